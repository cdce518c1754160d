"""Where a survey was started from: poster keywords with a site code, and site lists.

A poster at Northside says ``FEEDBACK N``: the flow keyword plus the site's code. Codes
come from the flow (``site_codes: {N: northside}``) or from ``routing.yaml``
(``sites: {northside: {code: N}}``); the flow's own codes win.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cfbot.flows.model import Flow
from cfbot.runtime import Runtime
from cfbot.services.routing import RoutingError, get_routing, load_routing, routing_path
from cfbot.text import fold_phrase


@dataclass(frozen=True)
class KeywordStart:
    """A message that starts a survey: the flow, its language and, if said, the site."""

    flow: Flow
    lang: str
    site: str | None = None


def site_for_code(rt: Runtime, flow: Flow, code: str) -> str | None:
    """The site a keyword suffix names, from the flow's ``site_codes`` then routing."""
    wanted = fold_phrase(code)
    if not wanted:
        return None
    if wanted in flow.site_codes:
        return flow.site_codes[wanted]
    for site in get_routing(rt).sites.values():
        if site.code and fold_phrase(site.code) == wanted:
            return site.key
    return None


def match_keyword(rt: Runtime, text: str) -> KeywordStart | None:
    """The survey ``text`` starts: a flow keyword alone, or followed by a site code."""
    found = rt.flows.by_keyword(text)
    if found is not None:
        return KeywordStart(found[0], found[1])
    words = text.strip().split()
    if len(words) < 2:
        return None
    found = rt.flows.by_keyword(" ".join(words[:-1]))
    if found is None:
        return None
    site = site_for_code(rt, found[0], words[-1])
    if site is None:
        return None
    return KeywordStart(found[0], found[1], site)


def site_context(rt: Runtime, site: str | None) -> dict[str, str] | None:
    """Placeholder values for a survey at ``site``: questions say the clinic's name as
    people know it ("Northside Clinic"), never its key."""
    return {"site": get_routing(rt).site_name(site)} if site else None


def site_choices(rt: Runtime) -> list[tuple[str, str]]:
    """Every site of ``routing.yaml`` as ``(key, name)``, for "Which clinic did you visit?"."""
    return [(site.key, site.name) for site in get_routing(rt).sites.values()]


def known_site(rt: Runtime, key: str | None) -> str | None:
    """The routing key of site ``key`` (case-insensitive), or None when unknown."""
    site = get_routing(rt).site(key)
    return site.key if site is not None else None


def program_of(rt: Runtime, site: str | None, program: str | None) -> str | None:
    """``program`` when routing knows it (for ``site`` if given, else anywhere)."""
    if not program:
        return None
    routing = get_routing(rt)
    found = routing.site(site)
    sites = [found] if found is not None else list(routing.sites.values())
    for candidate in sites:
        if program in candidate.programs or program.lower() in candidate.programs:
            return program.lower() if program.lower() in candidate.programs else program
    return None


def routing_sites(settings: Any) -> set[str] | None:
    """The site keys of the routing file (None when it is missing or broken)."""
    path = routing_path(settings)
    if not path.is_file():
        return None
    try:
        return set(load_routing(path).sites)
    except RoutingError:
        return None
