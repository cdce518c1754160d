"""Downloads from the results pages, on the results blueprint (same sign-in, site scope
and headers as /dashboard/results):

* ``GET /dashboard/results/phab-report`` - the PHAB 9.1.4 A evidence report (PDF or
  HTML) for the period and site of the results page;
* ``GET /dashboard/responses/export`` - the answers of the surveys the responses page
  shows (same filters and search), streamed as CSV, or as XLSX; phones masked.

Routes hold no database session: the report is built by :mod:`cfbot.reports.phab` and the
export is streamed by :mod:`cfbot.services.exports`, each with its own unit of work.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import date

from flask import redirect, request, url_for
from sqlalchemy.engine import Engine
from werkzeug.wrappers import Response

from cfbot.i18n import normalize_language
from cfbot.reports import phab
from cfbot.services import exports
from cfbot.services.routing import get_routing
from cfbot.web import dashboard
from cfbot.web.context import get_runtime, page_language
from cfbot.web.results import _form, bp

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _attachment(name: str) -> str:
    return f'attachment; filename="{name}"'


@bp.get("/results/phab-report")
def phab_report() -> Response:
    email = dashboard._staff()
    if email is None:
        return redirect(url_for("dashboard.login_form"))
    scope = dashboard._scope(email)
    filters, form = _form(scope)
    rt = get_runtime()
    fmt = request.args.get("format", "pdf")
    report = phab.build_report(
        rt,
        date.fromisoformat(form["from"]),
        date.fromisoformat(form["to"]),
        filters.site,
        scope,
    )
    html = phab.render_html(report, normalize_language(page_language()))
    name = f"phab-9.1.4A-{form['from']}-{form['to']}" + (f"-{filters.site}" if filters.site else "")
    if fmt == "html":
        response = Response(html, mimetype="text/html")
        response.headers["Content-Disposition"] = _attachment(name + ".html")
        return response
    response = Response(phab.render_pdf(html), mimetype="application/pdf")
    response.headers["Content-Disposition"] = _attachment(name + ".pdf")
    return response


def _xlsx_chunks(
    engine: Engine, query: exports.ExportQuery, chunk: int = 64 * 1024
) -> Iterator[bytes]:
    # runs while the response streams, outside the request: it gets the engine, not rt
    with tempfile.TemporaryFile() as handle:
        exports.write_xlsx(engine, query, handle)
        handle.seek(0)
        while block := handle.read(chunk):
            yield block


@bp.get("/responses/export")
def responses_export() -> Response:
    email = dashboard._staff()
    if email is None:
        return redirect(url_for("dashboard.login_form"))
    scope = dashboard._scope(email)
    filters, form = _form(scope)
    rt = get_runtime()
    query = exports.ExportQuery(
        start=date.fromisoformat(form["from"]),
        end=date.fromisoformat(form["to"]),
        timezone=get_routing(rt).timezone,
        site=filters.site,
        by_survey_start=True,
        program=filters.program,
        flow=filters.flow,
        language=filters.language,
        channel=filters.channel,
        sites=scope,
        search=(request.args.get("q") or "").strip()[:200],
    )
    name = f"answers-{form['from']}-{form['to']}"
    if request.args.get("format") == "xlsx":
        response = Response(_xlsx_chunks(rt.engine, query), mimetype=XLSX_TYPE)
        response.headers["Content-Disposition"] = _attachment(name + ".xlsx")
        return response
    response = Response(
        exports.iter_csv_chunks(rt.engine, query), content_type="text/csv; charset=utf-8"
    )
    response.headers["Content-Disposition"] = _attachment(name + ".csv")
    return response
