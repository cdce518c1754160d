"""``cfbot translations extract|update|compile|check`` around Babel, for two domains:

* ``messages`` (clients): ``translate(lang, "msg")`` and ``ngettext(lang, "one", "many",
  n)`` in Python, ``t("msg")`` in templates, ``N_("msg")`` for strings translated later.
  Every supported language must be complete.
* ``staff`` (dashboard, PHAB report): ``st("msg")`` in ``templates/dashboard`` and
  ``templates/reports``, ``st``/``SN_`` in the staff web and report modules. Only
  :data:`STAFF_REQUIRED` must be complete; other staff catalogs are optional.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from cfbot.i18n import DOMAINS, STAFF_DOMAIN, SUPPORTED_LANGUAGES, clear_cache, locales_dir

KEYWORDS = {
    "translate": (2,),
    "ngettext": (2, 3),
    "t": None,
    "N_": None,
    "_": None,
}

STAFF_KEYWORDS = {"st": None, "SN_": None}
STAFF_PYTHON = (
    "cfbot/web/dashboard.py",
    "cfbot/web/results.py",
    "cfbot/web/results_downloads.py",
    "cfbot/web/staff_strings.py",
    "cfbot/reports/**.py",
)
STAFF_TEMPLATES = ("cfbot/templates/dashboard/**.html", "cfbot/templates/reports/**.html")
# staff catalogs that must be complete; the others are used when present
STAFF_REQUIRED: tuple[str, ...] = ("es",)
STAFF_LANGUAGES: tuple[str, ...] = ("es", "so", "hmn", "vi")

ROOT = Path(__file__).resolve().parents[2]


def extract_catalog(domain: str = "messages") -> object:
    """Collect every marked string of ``domain`` from cfbot's Python code and templates."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    catalog = Catalog(project="cfbot", charset="utf-8")
    if domain == STAFF_DOMAIN:
        method_map = [(p, "python") for p in STAFF_PYTHON]
        method_map += [(p, "jinja2") for p in STAFF_TEMPLATES]
        keywords: dict[str, Any] = STAFF_KEYWORDS
    else:
        method_map = [("cfbot/**.py", "python"), ("cfbot/templates/**.html", "jinja2")]
        keywords = KEYWORDS
    options_map = {p: {"extensions": "jinja2.ext.do"} for p, m in method_map if m == "jinja2"}
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT),
        method_map=method_map,
        options_map=options_map,
        keywords=keywords,
        comment_tags=("TRANSLATORS:",),
        strip_comment_tags=True,
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


@click.group()
def translations() -> None:
    """Manage gettext catalogs in cfbot/locales/."""


@translations.command("extract")
def extract() -> None:
    """Write cfbot/locales/messages.pot and cfbot/locales/staff.pot from the source."""
    from babel.messages.pofile import write_po

    for domain in DOMAINS:
        catalog = extract_catalog(domain)
        pot = locales_dir() / f"{domain}.pot"
        pot.parent.mkdir(parents=True, exist_ok=True)
        with pot.open("wb") as fh:
            write_po(fh, catalog, width=100, sort_output=True, omit_header=False)  # type: ignore[arg-type]  # extract_catalog is typed object to keep babel a lazy import
        click.echo(f"wrote {pot} ({len(catalog)} messages)")  # type: ignore[arg-type]  # extract_catalog is typed object to keep babel a lazy import


@translations.command("update")
def update() -> None:
    """Merge new strings into every locale's messages.po and into the staff.po of the
    required staff languages and of those that have one (keeps translations)."""
    for domain in DOMAINS:
        _update_domain(domain)


def _update_domain(domain: str) -> None:
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    template = extract_catalog(domain)
    for lang in _languages(domain):
        po = po_path(lang, domain)
        if domain == STAFF_DOMAIN and lang not in STAFF_REQUIRED and not po.exists():
            continue
        po.parent.mkdir(parents=True, exist_ok=True)
        catalog = read_catalog(lang, domain) or Catalog(project="cfbot", charset="utf-8")
        # no fuzzy guesses: a near-miss translation shown to clients is worse than none
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)  # type: ignore[arg-type]  # extract_catalog is typed object to keep babel a lazy import
        catalog.obsolete.clear()
        catalog.language_team = lang
        catalog.mime_headers  # noqa: B018 - forces header generation
        with po.open("wb") as fh:
            write_po(fh, catalog, width=100, sort_output=True, ignore_obsolete=True)
        missing = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
        click.echo(f"{lang} {domain}: {len(catalog)} messages, {len(missing)} untranslated")


def _languages(domain: str) -> tuple[str, ...]:
    return STAFF_LANGUAGES if domain == STAFF_DOMAIN else SUPPORTED_LANGUAGES


def po_path(lang: str, domain: str = "messages") -> Path:
    """Where ``lang``'s catalog of ``domain`` lives."""
    return locales_dir() / lang / "LC_MESSAGES" / f"{domain}.po"


def read_catalog(lang: str, domain: str = "messages") -> Any:
    """``lang``'s catalog of ``domain``, or None when it has none yet."""
    from babel.messages.pofile import read_po

    po = po_path(lang, domain)
    if not po.exists():
        return None
    with po.open("rb") as fh:
        return read_po(fh, locale=None)


@translations.command("compile")
def compile_() -> None:
    """Compile every messages.po and staff.po into .mo files (release step)."""
    from babel.messages.mofile import write_mo

    for domain in DOMAINS:
        for lang in SUPPORTED_LANGUAGES:
            catalog = read_catalog(lang, domain)
            if catalog is None:
                continue
            po = po_path(lang, domain)
            with po.with_suffix(".mo").open("wb") as fh:
                write_mo(fh, catalog)
            click.echo(f"compiled {po.with_suffix('.mo')}")
    clear_cache()


@translations.command("check")
def check() -> None:
    """Exit 1 when a locale lacks a translation of a string in the source (English is
    the source language, so only the other locales are checked): every language for
    client text, the required staff languages (Spanish) for staff text. Optional staff
    catalogs are reported, never failed."""
    failed = _check_domain("messages", tuple(x for x in SUPPORTED_LANGUAGES if x != "en"))
    failed = _check_domain(STAFF_DOMAIN, STAFF_REQUIRED) or failed
    for lang in STAFF_LANGUAGES:
        if lang not in STAFF_REQUIRED and po_path(lang, STAFF_DOMAIN).exists():
            _check_domain(STAFF_DOMAIN, (lang,), optional=True)
    if failed:
        sys.exit(1)
    click.echo("all locales complete")


def _check_domain(domain: str, languages: tuple[str, ...], optional: bool = False) -> bool:
    """Report missing translations of ``domain`` in ``languages``; True when any."""
    wanted = {str(m.id) for m in extract_catalog(domain) if m.id}  # type: ignore[attr-defined]  # extract_catalog is typed object to keep babel a lazy import
    failed = False
    for lang in languages:
        catalog = read_catalog(lang, domain)
        if catalog is None:
            problems = ["<no catalog>", *sorted(wanted)]
        else:
            translated = {str(m.id) for m in catalog if m.id and m.string and not m.fuzzy}
            problems = sorted(wanted - translated)
        if problems:
            failed = True
            note = " (optional)" if optional else ""
            click.echo(f"{lang} {domain}: {len(problems)} missing{note}")
            for msgid in problems[:50]:
                click.echo(f"  - {msgid}")
    return failed
