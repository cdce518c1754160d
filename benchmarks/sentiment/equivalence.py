"""Do classify()'s results stay the same? A check for speed work on the classifier.

Run from the repository root:

    python benchmarks/sentiment/equivalence.py save  [FILE]   # record the outputs
    python benchmarks/sentiment/equivalence.py check [FILE]   # compare with a record
    python benchmarks/sentiment/equivalence.py cross          # detection, other defaults

Runs ``classify`` over every row of the labelled sets (feedback_labelled.csv,
safety_dev.csv, dev4.csv), the four VADER paper corpora (read in place from
the directory in ``CFBOT_VADER_DATA``; skipped when
absent, never copied) and the blind set. The record (default
benchmarks/sentiment/out/equivalence.json, ignored by git) keeps, per row, the score
rounded to 4 places, needs_review, dissatisfied, the crisis category, urgent_review and
the detected language, plus method and signals (reported apart: they may change where
the language does). Rows are keyed by position, no text is stored. Of the blind set only
a sha256 over its outputs is kept and printed: no row of it is ever shown.

``cross`` measures language detection when the conversation's language is another one
(the labelled rows with each other language as the default), with and without the
known-words shortcut of ``detect_language``.

``check`` prints every differing row of the non-blind sets and, per labelled set, the
language detection accuracy against its ``lang`` column. Exit status 1 when a decision
field differs.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from cfbot.services.reply_scoring import classify  # noqa: E402

DATA = ROOT / "benchmarks" / "data"
VADER_DIR = Path(os.environ["CFBOT_VADER_DATA"]) if os.environ.get("CFBOT_VADER_DATA") else None
CORPORA = (
    "tweets_GroundTruth.txt",
    "movieReviewSnippets_GroundTruth.txt",
    "amazonReviewSnippets_GroundTruth.txt",
    "nytEditorialSnippets_GroundTruth.txt",
)
LABELLED = ("feedback_labelled.csv", "safety_dev.csv", "dev4.csv")
BLIND = "blind3.csv"
DEFAULT_OUT = ROOT / "benchmarks" / "sentiment" / "out" / "equivalence.json"
# Fields whose change changes a decision (alerts, crisis replies, review queues).
DECISION = ("sentiment", "needs_review", "dissatisfied", "crisis", "urgent_review", "language")
DETAIL = ("method", "signals")


def _csv_rows(path: Path) -> Iterator[tuple[str, str, str | None, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            yield r["text"], r["lang"], r.get("question") or None, r["lang"]


def _corpus_rows(path: Path) -> Iterator[tuple[str, str, str | None, str]]:
    with path.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 3:
                yield parts[2], "en", None, "en"


def _sets() -> Iterator[tuple[str, Iterator[tuple[str, str, str | None, str]], bool]]:
    for name in LABELLED:
        yield name, _csv_rows(DATA / name), True
    if VADER_DIR is not None and VADER_DIR.is_dir():
        for name in CORPORA:
            if (VADER_DIR / name).is_file():
                yield f"vader:{name}", _corpus_rows(VADER_DIR / name), False
    else:
        print("VADER corpora not found (CFBOT_VADER_DATA): skipped", file=sys.stderr)


def _record(text: str, lang: str, question: str | None) -> dict[str, Any]:
    c = classify(text, lang, question)
    return {k: c[k] for k in (*DECISION, *DETAIL)}


def run() -> dict[str, Any]:
    out: dict[str, Any] = {"sets": {}, "texts": {}, "truth": {}}
    for name, rows, labelled in _sets():
        recs, texts, truth = [], [], []
        for text, lang, question, gold in rows:
            recs.append(_record(text, lang, question))
            texts.append(text)
            truth.append(gold if labelled else None)
        out["sets"][name] = recs
        out["texts"][name] = texts  # kept in memory only, for printing differences
        out["truth"][name] = truth
    blind = DATA / BLIND
    if blind.is_file():
        h, hd = hashlib.sha256(), hashlib.sha256()
        n = 0
        for text, lang, question, _ in _csv_rows(blind):
            rec = _record(text, lang, question)
            h.update(json.dumps({k: rec[k] for k in DECISION}, sort_keys=True).encode() + b"\n")
            hd.update(json.dumps(rec, sort_keys=True).encode() + b"\n")
            n += 1
        out["blind_sha256"] = h.hexdigest()  # decision fields
        out["blind_detail_sha256"] = hd.hexdigest()  # with method and signals
        out["blind_rows"] = n
    return out


def _accuracy(recs: list[dict[str, Any]], truth: list[str | None]) -> str:
    pairs = [(r["language"], t) for r, t in zip(recs, truth, strict=True) if t]
    if not pairs:
        return "-"
    ok = sum(1 for got, want in pairs if got == want)
    return f"{ok}/{len(pairs)} = {ok / len(pairs):.4f}"


def _summary(res: dict[str, Any]) -> None:
    for name, recs in res["sets"].items():
        h = hashlib.sha256(json.dumps(recs, sort_keys=True).encode()).hexdigest()[:16]
        acc = _accuracy(recs, res["truth"][name])
        print(f"{name:45} rows={len(recs):6}  sha256={h}  language accuracy {acc}")
    if "blind_sha256" in res:
        print(f"{BLIND:45} rows={res['blind_rows']:6}  sha256={res['blind_sha256'][:16]}", end="")
        print(f"  (with method/signals {res['blind_detail_sha256'][:16]})")


def save(path: Path) -> int:
    res = run()
    _summary(res)
    path.parent.mkdir(parents=True, exist_ok=True)
    stored = {
        "sets": res["sets"],
        "truth": res["truth"],
        "blind_sha256": res.get("blind_sha256"),
        "blind_detail_sha256": res.get("blind_detail_sha256"),
    }
    path.write_text(json.dumps(stored, sort_keys=True), encoding="utf-8")
    print(f"saved {path}")
    return 0


def check(path: Path) -> int:
    base = json.loads(path.read_text(encoding="utf-8"))
    res = run()
    _summary(res)
    decision_diffs = detail_diffs = 0
    for name, recs in res["sets"].items():
        old = base["sets"].get(name)
        if old is None:
            print(f"{name}: not in the record")
            continue
        if len(old) != len(recs):
            print(f"{name}: {len(old)} rows recorded, {len(recs)} now")
            decision_diffs += 1
            continue
        acc_old = _accuracy(old, base["truth"][name])
        acc_new = _accuracy(recs, res["truth"][name])
        if acc_old != acc_new:
            print(f"{name}: language accuracy {acc_old} -> {acc_new}")
        for i, (a, b) in enumerate(zip(old, recs, strict=True)):
            dec = [k for k in DECISION if a[k] != b[k]]
            det = [k for k in DETAIL if a[k] != b[k]]
            if dec:
                decision_diffs += 1
                changes = ", ".join(f"{k}: {a[k]!r} -> {b[k]!r}" for k in dec)
                print(f"  DIFF {name}[{i}] {changes} | {res['texts'][name][i]!r}")
            elif det:
                detail_diffs += 1
                changes = ", ".join(f"{k}: {a[k]!r} -> {b[k]!r}" for k in det)
                print(f"  detail {name}[{i}] {changes}")
    if base.get("blind_sha256") and res.get("blind_sha256"):
        same = base["blind_sha256"] == res["blind_sha256"]
        print(f"{BLIND}: {'identical' if same else 'DIFFERENT'} outputs (hash only)")
        decision_diffs += 0 if same else 1
        if same and base.get("blind_detail_sha256") != res.get("blind_detail_sha256"):
            print(f"{BLIND}: method/signals differ (hash only)")
            detail_diffs += 1
    print(f"decision differences: {decision_diffs}; method/signal-only differences: {detail_diffs}")
    return 1 if decision_diffs else 0


def cross() -> int:
    """Language detection when the conversation's language is another one: every
    labelled row detected with each other language as the default, scored against its
    ``lang`` column, with and without the known-words shortcut of detect_language."""
    from cfbot.services import language

    rows = [(t, gold) for name in LABELLED for t, _, _, gold in _csv_rows(DATA / name)]
    langs = sorted({g for _, g in rows})

    def accuracy() -> tuple[int, int]:
        ok = n = 0
        for text, gold in rows:
            for other in langs:
                if other != gold:
                    n += 1
                    ok += language.detect_language(text, other) == gold
        return ok, n

    ok, n = accuracy()
    shortcut = language.known_words
    try:
        language.known_words = lambda lang: frozenset()  # type: ignore[assignment]
        ok0, _ = accuracy()
    finally:
        language.known_words = shortcut  # type: ignore[assignment]
    print(f"detected right with another default: {ok}/{n} = {ok / n:.4f} (shortcut on)")
    print(f"detected right with another default: {ok0}/{n} = {ok0 / n:.4f} (shortcut off)")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=("save", "check", "cross"))
    ap.add_argument("file", nargs="?", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args()
    if args.mode == "cross":
        return cross()
    return save(args.file) if args.mode == "save" else check(args.file)


if __name__ == "__main__":
    raise SystemExit(main())
