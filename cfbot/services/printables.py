"""Printables: a one-page waiting-room poster (QR code + keyword in five languages) and
QR codes for visit summaries.

The QR code (segno) points at the web chat for the site (``/chat?site=…``) or, for a
visit, at its own link (``/s/<code>``). The poster is HTML rendered to PDF by WeasyPrint
(imported only here, so the rest of cfbot runs without its system libraries).
"""

from __future__ import annotations

import html
import io
from dataclasses import dataclass
from urllib.parse import urlencode

import segno
from sqlmodel import select

from cfbot.db import unit_of_work
from cfbot.flows.model import Flow
from cfbot.i18n import LANGUAGE_NAMES, SUPPORTED_LANGUAGES, translate
from cfbot.models import VisitLink
from cfbot.runtime import Runtime
from cfbot.services.routing import get_routing
from cfbot.services.visit_links import link_url


class PrintableError(ValueError):
    """A poster or QR code that cannot be made (unknown site, flow or visit)."""


@dataclass(frozen=True)
class Poster:
    """What a poster says: the site, the link its QR code opens, a keyword per language."""

    site_name: str
    url: str
    keywords: dict[str, str]
    number: str


def site_url(rt: Runtime, site: str, flow: Flow | None = None) -> str:
    """The web-chat link for ``site`` (and the flow's program), absolute when
    ``CFBOT_PUBLIC_URL`` is set."""
    params = {"site": site}
    if flow is not None and flow.program:
        params["program"] = flow.program
    return rt.settings.public_url.rstrip("/") + "/chat?" + urlencode(params)


def poster_for(rt: Runtime, site: str, flow_id: str | None = None) -> Poster:
    """The poster of ``site``: the flow given, else the one listing the site, else the
    first flow with keywords. Keywords carry the site's code (``FEEDBACK N``)."""
    routing_site = get_routing(rt).site(site)
    if routing_site is None:
        raise PrintableError(f"unknown site {site!r} (not in routing.yaml)")
    flows = rt.flows.all()
    if flow_id is not None:
        flow = rt.flows.get(flow_id)
        if flow is None:
            raise PrintableError(f"unknown flow {flow_id!r}")
    else:
        flow = next((f for f in flows if routing_site.key in f.sites), None) or next(
            (f for f in flows if f.keywords), None
        )
        if flow is None:
            raise PrintableError("no flow with keywords is loaded")
    code = next((c for c, s in flow.site_codes.items() if s == routing_site.key), None)
    code = code.upper() if code else routing_site.code
    keywords: dict[str, str] = {}
    for lang in SUPPORTED_LANGUAGES:
        words = flow.keywords.get(lang) or ()
        if words:
            keywords[lang] = f"{words[0]} {code}" if code else words[0]
    number = rt.settings.twilio_from_number
    return Poster(routing_site.name, site_url(rt, routing_site.key, flow), keywords, number)


def visit_url(rt: Runtime, visit_id: int) -> str:
    """The survey link of a visit (see :mod:`cfbot.services.visit_links`)."""
    with unit_of_work(rt.engine, immediate=False) as session:
        link = session.exec(select(VisitLink).where(VisitLink.visit_id == visit_id)).first()
        if link is None:
            raise PrintableError(f"visit {visit_id} has no survey link")
        return link_url(rt, link.code)


def qr_code(url: str, kind: str) -> bytes:
    """``url`` as a QR code: ``png`` or ``svg`` bytes (error correction M, quiet zone 4)."""
    if kind not in ("png", "svg"):
        raise PrintableError("the QR code file must end in .png or .svg")
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind=kind, scale=10, border=4)
    return out.getvalue()


def poster_html(poster: Poster) -> str:
    """The poster as a standalone HTML page (A4/Letter-safe, large type)."""
    qr = segno.make(poster.url, error="m").png_data_uri(scale=10, border=4)
    rows = []
    for lang, word in poster.keywords.items():
        if poster.number:
            line = translate(lang, "Text {keyword} to {number}", keyword="\x00", number="\x01")
        else:
            line = translate(lang, "Text {keyword}", keyword="\x00")
        line = html.escape(line).replace("\x00", f"<b>{html.escape(word)}</b>")
        line = line.replace("\x01", html.escape(poster.number))
        heading = html.escape(translate(lang, "Tell us about your visit"))
        rows.append(
            f'<li lang="{lang}"><span class="lang">{html.escape(LANGUAGE_NAMES[lang])}</span>'
            f"<span class=head>{heading}</span> {line}</li>"
        )
    scan = html.escape(translate("en", "Or scan the code to answer on the web"))
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{html.escape(poster.site_name)}</title><style>
@page {{ size: letter; margin: 18mm; }}
body {{ font-family: "DejaVu Sans", sans-serif; color: #111; }}
h1 {{ font-size: 30pt; margin: 0 0 4mm; }} p.site {{ font-size: 16pt; margin: 0 0 8mm; }}
ul {{ list-style: none; padding: 0; font-size: 15pt; }} li {{ margin: 0 0 5mm; }}
.lang {{ display: block; font-size: 10pt; color: #444; }} .head {{ font-weight: bold; }}
.qr {{ text-align: center; margin-top: 6mm; }} .qr img {{ width: 62mm; height: 62mm; }}
.url {{ font-size: 10pt; word-break: break-all; }}
</style></head><body>
<h1>{html.escape(translate("en", "Tell us about your visit"))}</h1>
<p class="site">{html.escape(poster.site_name)}</p>
<ul>{"".join(rows)}</ul>
<div class="qr"><img src="{qr}" alt="QR code: {html.escape(poster.url)}">
<p>{scan}</p><p class="url">{html.escape(poster.url)}</p></div>
</body></html>"""


def poster_pdf(poster: Poster) -> bytes:
    """The poster as a one-page PDF (WeasyPrint)."""
    from weasyprint import HTML

    return bytes(HTML(string=poster_html(poster)).write_pdf())
