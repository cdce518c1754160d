"""``cfbot translations extract|update|compile|check`` around Babel.

Keywords: ``translate(lang, "msg")`` and ``ngettext(lang, "one", "many", n)`` in Python,
``t("msg")`` in templates, ``N_("msg")`` for strings translated later.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from cfbot.i18n import SUPPORTED_LANGUAGES, clear_cache, locales_dir

KEYWORDS = {
    "translate": (2,),
    "ngettext": (2, 3),
    "t": None,
    "N_": None,
    "_": None,
}

ROOT = Path(__file__).resolve().parents[2]


def extract_catalog() -> object:
    """Collect every marked string from cfbot's Python code and templates."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    catalog = Catalog(project="cfbot", charset="utf-8")
    method_map = [("cfbot/**.py", "python"), ("cfbot/templates/**.html", "jinja2")]
    options_map = {"cfbot/templates/**.html": {"extensions": "jinja2.ext.do"}}
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT),
        method_map=method_map,
        options_map=options_map,
        keywords=KEYWORDS,
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
    """Write cfbot/locales/messages.pot from the source."""
    from babel.messages.pofile import write_po

    catalog = extract_catalog()
    pot = locales_dir() / "messages.pot"
    pot.parent.mkdir(parents=True, exist_ok=True)
    with pot.open("wb") as fh:
        write_po(fh, catalog, width=100, sort_output=True, omit_header=False)  # type: ignore[arg-type]
    click.echo(f"wrote {pot} ({len(catalog)} messages)")  # type: ignore[arg-type]


@translations.command("update")
def update() -> None:
    """Merge new strings into every locale's messages.po (keeps translations)."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    template = extract_catalog()
    for lang in SUPPORTED_LANGUAGES:
        po = po_path(lang)
        po.parent.mkdir(parents=True, exist_ok=True)
        catalog = read_catalog(lang) or Catalog(project="cfbot", charset="utf-8")
        # no fuzzy guesses: a near-miss translation shown to clients is worse than none
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)  # type: ignore[arg-type]
        catalog.obsolete.clear()
        catalog.language_team = lang
        catalog.mime_headers  # noqa: B018 - forces header generation
        with po.open("wb") as fh:
            write_po(fh, catalog, width=100, sort_output=True, ignore_obsolete=True)
        missing = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
        click.echo(f"{lang}: {len(catalog)} messages, {len(missing)} untranslated")


def po_path(lang: str) -> Path:
    """Where ``lang``'s catalog lives."""
    return locales_dir() / lang / "LC_MESSAGES" / "messages.po"


def read_catalog(lang: str) -> Any:
    """``lang``'s catalog, or None when it has none yet."""
    from babel.messages.pofile import read_po

    po = po_path(lang)
    if not po.exists():
        return None
    with po.open("rb") as fh:
        return read_po(fh, locale=None)


@translations.command("compile")
def compile_() -> None:
    """Compile every messages.po into messages.mo (release step)."""
    from babel.messages.mofile import write_mo

    for lang in SUPPORTED_LANGUAGES:
        catalog = read_catalog(lang)
        if catalog is None:
            continue
        po = po_path(lang)
        with po.with_suffix(".mo").open("wb") as fh:
            write_mo(fh, catalog)
        click.echo(f"compiled {po.with_suffix('.mo')}")
    clear_cache()


@translations.command("check")
def check() -> None:
    """Exit 1 when a locale lacks a translation of a string in the source (English is
    the source language, so only the other locales are checked)."""
    wanted = {str(m.id) for m in extract_catalog() if m.id}  # type: ignore[attr-defined]
    failed = False
    for lang in SUPPORTED_LANGUAGES:
        if lang == "en":
            continue
        catalog = read_catalog(lang)
        if catalog is None:
            problems = ["<no catalog>", *sorted(wanted)]
        else:
            translated = {str(m.id) for m in catalog if m.id and m.string and not m.fuzzy}
            problems = sorted(wanted - translated)
        if problems:
            failed = True
            click.echo(f"{lang}: {len(problems)} missing")
            for msgid in problems[:50]:
                click.echo(f"  - {msgid}")
    if failed:
        sys.exit(1)
    click.echo("all locales complete")
