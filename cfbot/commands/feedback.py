"""`cfbot feedback ...`: try the sentiment, dissatisfaction and crisis classifiers."""

from __future__ import annotations

import json
import sys

import click

from cfbot.services.reply_scoring import classify


@click.group("feedback")
def feedback() -> None:
    """Feedback scoring tools."""


@feedback.command("classify")
@click.option("--lang", required=True, help="Language of the survey: en, es, so, hmn, vi, ...")
@click.option("--question", default=None, help="The question the replies answer.")
def classify_cmd(lang: str, question: str | None) -> None:
    """Read one reply per line from stdin; print one JSON object per line.

    Each object has text, lang, sentiment (-1..1 or null), needs_review, dissatisfied,
    crisis (false or a category: the high-confidence tier), urgent_review (true for a
    possible crisis a person must read within minutes), language (the language the reply
    is written in; --lang for short texts), method and signals.
    """
    for line in sys.stdin:
        text = line.rstrip("\r\n")
        if not text.strip():
            continue
        click.echo(json.dumps(classify(text, lang, question), ensure_ascii=False))


@feedback.command("export-labels")
@click.option(
    "--out", "out_path", required=True, type=click.Path(dir_okay=False), help="CSV file to write."
)
def export_labels_cmd(out_path: str) -> None:
    """Write every staff-labelled answer from the review queue as CSV (label, gloss,
    language, text with phone numbers and emails masked, who and when)."""
    from cfbot.commands import cli_runtime
    from cfbot.services.review import export_labels

    rt = cli_runtime(log=False)
    with open(out_path, "w", encoding="utf-8", newline="") as fh:
        n = export_labels(rt, fh)
    click.echo(f"wrote {n} labelled answer(s) to {out_path}")


if __name__ == "__main__":  # pragma: no cover - handy for `python -m`
    feedback(sys.argv[1:])
