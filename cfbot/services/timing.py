"""Pure timing rules: the recipient's time zone and the hours we may text them.

No database, no clock: every function takes the moment it reasons about.

Time zone of a client, first match wins:

1. the ``timezone`` given with the visit (an IANA name such as ``America/Chicago``);
2. the area code of a North American (+1) number, from :data:`AREA_CODE_ZONES`;
3. ``CFBOT_TIMEZONE``.

An area code says where a number was issued, not where its owner is now, and several
states span two zones. For those the table picks the zone most of the area code's
people live in (e.g. 850, the Florida panhandle, is Central; 541, eastern Oregon, is
Pacific; 605, South Dakota, is Central). Send the visit's ``timezone`` when you know
better.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_CLOCK_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")

# zone -> area codes. Multi-zone area codes go to the zone where most of their
# population lives (see the module docstring).
_ZONE_AREA_CODES: dict[str, str] = {
    "America/New_York": (
        # CT DE DC
        "203 475 860 959 302 202 771 "
        # FL (not the panhandle)
        "239 305 321 324 352 386 407 561 645 656 689 727 728 754 772 786 813 863 904 941 954 "
        # GA
        "229 404 470 478 678 706 762 770 912 943 "
        # KY east
        "502 606 859 "
        # ME MD MA
        "207 240 301 410 443 667 339 351 413 508 617 774 781 857 978 "
        # MI (906: most of the Upper Peninsula is Eastern)
        "231 248 269 313 517 586 616 679 734 810 906 947 989 "
        # NH NJ
        "603 201 551 609 640 732 848 856 862 908 973 "
        # NY
        "212 315 329 332 347 363 516 518 585 607 624 631 646 680 716 718 838 845 914 917 929 934 "
        # NC
        "252 336 472 704 743 828 910 919 980 984 "
        # OH
        "216 220 234 283 326 330 380 419 436 440 513 567 614 740 937 "
        # PA
        "215 223 267 272 412 445 484 570 582 610 717 724 814 835 878 "
        # RI SC
        "401 803 821 839 843 854 864 "
        # TN east
        "423 865 "
        # VT VA WV
        "802 276 434 540 571 703 757 804 826 948 304 681"
    ),
    "America/Indiana/Indianapolis": "260 317 463 574 765 812 930",
    "America/Chicago": (
        # AL AR
        "205 251 256 334 483 659 938 327 479 501 870 "
        # FL panhandle (Pensacola, Panama City)
        "448 850 "
        # IL
        "217 224 309 312 331 447 464 618 630 708 730 773 779 815 847 861 872 "
        # IN northwest (Gary)
        "219 "
        # IA KS (western KS is Mountain; most people are Central)
        "319 515 563 641 712 316 620 785 913 "
        # KY west
        "270 364 "
        # LA
        "225 318 337 504 985 "
        # MN: every area code of the state
        "218 320 507 612 651 763 952 "
        # MS MO
        "228 601 662 769 314 417 557 573 636 660 816 975 "
        # NE ND SD (their western parts are Mountain)
        "308 402 531 701 605 "
        # OK
        "405 539 572 580 918 "
        # TN middle and west
        "615 629 731 901 931 "
        # TX (not El Paso)
        "210 214 254 281 325 346 361 409 430 432 469 512 682 713 726 737 806 817 830 832 "
        "903 936 940 945 956 972 979 "
        # WI
        "262 274 414 534 608 715 920"
    ),
    "America/Denver": (
        # CO MT NM UT WY, TX El Paso
        "303 719 720 970 983 406 505 575 385 435 801 307 915"
    ),
    "America/Boise": "208 986",
    "America/Phoenix": "480 520 602 623 928",
    "America/Los_Angeles": (
        # CA
        "209 213 279 310 323 341 350 369 408 415 424 442 510 530 559 562 619 626 628 650 "
        "657 661 669 707 714 747 760 805 818 820 831 837 840 858 909 916 925 949 951 "
        # NV OR WA
        "702 725 775 458 503 541 971 206 253 360 425 509 564"
    ),
    "America/Anchorage": "907",
    "Pacific/Honolulu": "808",
    "America/Puerto_Rico": "787 939",
    "America/St_Thomas": "340",
    "Pacific/Guam": "671",
    # Canada
    "America/Toronto": (
        "226 249 289 343 365 382 416 437 519 548 613 647 683 705 742 753 807 905 "
        "263 354 367 418 438 450 468 514 579 581 819 873"
    ),
    "America/Vancouver": "236 250 257 604 672 778",
    "America/Edmonton": "368 403 587 780 825",
    "America/Regina": "306 474 639",
    "America/Winnipeg": "204 431 584",
    "America/Halifax": "782 902",
    "America/Moncton": "428 506",
    "America/St_Johns": "709",
}

AREA_CODE_ZONES: dict[str, str] = {
    code: zone for zone, codes in _ZONE_AREA_CODES.items() for code in codes.split()
}


def parse_clock(text: str) -> time:
    """``"08:00"`` -> ``time(8, 0)``; raises ValueError for anything else."""
    match = _CLOCK_RE.match(text.strip())
    if not match:
        raise ValueError(f"not a 24-hour HH:MM time: {text!r}")
    return time(int(match.group(1)), int(match.group(2)))


def zone_or_none(name: str | None) -> ZoneInfo | None:
    """The IANA zone called ``name``, or None if empty or unknown."""
    if not name:
        return None
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zone_for_phone(phone: str | None) -> str | None:
    """IANA zone for a North American E.164 number's area code, or None."""
    if not phone or not phone.startswith("+1") or len(phone) != 12:
        return None
    return AREA_CODE_ZONES.get(phone[2:5])


def recipient_zone(phone: str | None, timezone: str | None, default: str) -> tuple[ZoneInfo, str]:
    """The client's zone and where it came from (``visit``, ``area_code``, ``default``)."""
    given = zone_or_none(timezone)
    if given is not None:
        return given, "visit"
    by_phone = zone_for_phone(phone)
    if by_phone is not None:
        return ZoneInfo(by_phone), "area_code"
    return ZoneInfo(default), "default"


def in_window(local: time, start: time, end: time) -> bool:
    """Whether a local wall-clock time is inside ``[start, end)``; the window may wrap
    past midnight (``start > end``)."""
    if start < end:
        return start <= local < end
    return local >= start or local < end


def is_allowed(moment: datetime, zone: ZoneInfo, start: time, end: time) -> bool:
    """Whether texting at ``moment`` (aware) falls inside the window in ``zone``."""
    return in_window(moment.astimezone(zone).time().replace(tzinfo=None), start, end)


def _local_start(day: date, start: time, zone: ZoneInfo) -> datetime:
    # a wall time that does not exist (DST gap) resolves to the instant just after it
    return datetime.combine(day, start, tzinfo=zone).astimezone(UTC)


def next_allowed(moment: datetime, zone: ZoneInfo, start: time, end: time) -> datetime:
    """The earliest instant at or after ``moment`` inside the window, in UTC."""
    if moment.tzinfo is None:
        raise ValueError("next_allowed needs an aware datetime")
    moment = moment.astimezone(UTC)
    if is_allowed(moment, zone, start, end):
        return moment
    local_day = moment.astimezone(zone).date()
    for offset in range(0, 3):
        candidate = _local_start(local_day + timedelta(days=offset), start, zone)
        if candidate >= moment and is_allowed(candidate, zone, start, end):
            return candidate
    # unreachable for real zones; keep a safe answer rather than raising in a job
    return moment + timedelta(days=1)  # pragma: no cover
