"""Sentiment / dissatisfaction / crisis benchmark for cfbot.services.sentiment and .crisis.

Run from the repository root:  python benchmarks/sentiment/run.py  [--no-write]

Reports, each next to a baseline measured in the same run:
1. Dissatisfaction alerts on our hand-labelled replies (benchmarks/data/feedback_labelled.csv)
   per language and split (dev = used while writing rules, heldout = not looked at):
   plain VADER (compound <= -0.3) vs ours. Crisis rows are left out here: they take
   the crisis path whatever their sentiment.
2. Crisis recall and false-crisis rate, ours vs a naive keyword list.
3. Pearson r against the human ratings of the VADER paper's four corpora
   (/work/shared/datasets/vader_icwsm2014, read in place, never copied), ours vs plain.
4. Scoring cost per reply in microseconds, ours vs plain VADER.
Writes benchmarks/sentiment/RESULTS.md.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from cfbot.services.crisis import assess, detect_crisis  # noqa: E402
from cfbot.services.reply_scoring import classify, score_with_model  # noqa: E402
from cfbot.services.sentiment import (  # noqa: E402
    DEFAULT_TEXT_THRESHOLD,
    score,
    vader_compound,
)

# The `fresh` split as first measured, before the vocabulary it exposed was added to
# the lexicons (recorded by hand; later runs are no longer a generalisation estimate).
FRESH_FIRST_RUN = """\
| lang | VADER recall | VADER false-alarm | ours recall | ours false-alarm | ours needs-review |
|---|---|---|---|---|---|
| en | 0.31 (5/16) | 0.09 (1/11) | 0.38 (6/16) | 0.09 (1/11) | 0 |
| es | 0.00 (0/10) | 0.00 (0/8) | 0.00 (0/10) | 0.12 (1/8) | 13 |
| so | 0.00 (0/3) | 0.00 (0/1) | 0.00 (0/3) | 0.00 (0/1) | 1 |
| hmn | 0.00 (0/3) | 0.00 (0/1) | 1.00 (3/3) | 0.00 (0/1) | 0 |
| vi | 0.00 (0/3) | 0.00 (0/2) | 0.00 (0/3) | 0.00 (0/2) | 3 |
| all | 0.14 (5/35) | 0.04 (1/23) | 0.26 (9/35) | 0.09 (2/23) | 17 |

Crisis on `fresh`, first run: naive recall 0.40 (4/10), ours recall 0.50 (5/10), right
category 0.40 (4/10), false-crisis 0.00 (0/58). Missed: "i dont see the point of living
anymore", "my ex keeps showing up and hitting me", "quiero desaparecer para siempre y
acabar con todo", Somali "ma rabo inaan noolaado", Vietnamese "chong toi hay danh dap toi";
"i took a bunch of pills on purpose" was caught as a medical emergency, not self-harm.
"""

LABELLED = ROOT / "benchmarks" / "data" / "feedback_labelled.csv"
# Blind set: written by someone who never saw the rules. Only aggregate figures are
# ever reported on it (no rows, no errors), and nothing is tuned on it.
BLIND3 = ROOT / "benchmarks" / "data" / "blind3.csv"
BLIND4 = ROOT / "benchmarks" / "data" / "blind4.csv"
BLIND5 = ROOT / "benchmarks" / "data" / "blind5.csv"
# Development set of the second safety round (360 replies, written independently of the
# rules, ~35% crisis, ~35% look-alikes). Measured once before any rule saw it (figures
# below), then tuned on: its current figures are no longer a generalisation estimate.
DEV4 = ROOT / "benchmarks" / "data" / "dev4.csv"
VADER_DIR = Path(os.environ.get("CFBOT_VADER_DATA", "/work/shared/datasets/vader_icwsm2014"))
CORPORA = {
    "tweets": "tweets_GroundTruth.txt",
    "movie reviews": "movieReviewSnippets_GroundTruth.txt",
    "amazon reviews": "amazonReviewSnippets_GroundTruth.txt",
    "nyt editorials": "nytEditorialSnippets_GroundTruth.txt",
}
LANGS = ("en", "es", "so", "hmn", "vi")
SPLITS = ("dev", "heldout", "fresh", "fresh2", "all")

# A naive crisis baseline: the keyword list a first attempt would use (substring match).
NAIVE_CRISIS = re.compile(
    r"kill|die|suicid|abuse|hit|beat|breath|chest|blood|seizure|overdose|unconscious|stroke"
    r"|morir|matar|suicid|pega|golpe|abuso|pecho|respirar|sobredosis"
    r"|dil|garaac|tuag|ntaus|chết|chet|tự tử|tu tu|đánh|danh|ngực|nguc|thở|tho",
    re.I,
)


def _rate(num: int, den: int) -> str:
    return f"{num / den:.2f} ({num}/{den})" if den else "n/a"


def load_labelled() -> list[dict[str, str]]:
    with LABELLED.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def quality(rows: list[dict[str, str]]) -> tuple[list[list[str]], dict[str, list[str]]]:
    """Alert recall / false-alarm per language and split, plain VADER vs ours."""
    table: list[list[str]] = []
    misses: dict[str, list[str]] = {"ours": [], "vader": []}
    preds = []
    for r in rows:
        if r["crisis"]:
            continue
        v = vader_compound(r["text"]) <= DEFAULT_TEXT_THRESHOLD
        c = classify(r["text"], r["lang"], r["question"])
        preds.append((r, v, c["dissatisfied"], c["needs_review"]))
        if c["dissatisfied"] != (r["dissatisfied"] == "1"):
            kind = "missed" if r["dissatisfied"] == "1" else "false alarm"
            misses["ours"].append(
                f"{r['split']:7} {r['lang']:3} {kind:11} {c['sentiment']!s:>8}  {r['text']}"
            )
    for split in SPLITS:
        for lang in (*LANGS, "all"):
            sel = [
                p
                for p in preds
                if (split == "all" or p[0]["split"] == split)
                and (lang == "all" or p[0]["lang"] == lang)
            ]
            if not sel:
                continue
            pos = [p for p in sel if p[0]["dissatisfied"] == "1"]
            neg = [p for p in sel if p[0]["dissatisfied"] != "1"]
            table.append(
                [
                    split,
                    lang,
                    str(len(sel)),
                    _rate(sum(p[1] for p in pos), len(pos)),
                    _rate(sum(p[1] for p in neg), len(neg)),
                    _rate(sum(p[2] for p in pos), len(pos)),
                    _rate(sum(p[2] for p in neg), len(neg)),
                    str(sum(p[3] for p in sel)),
                ]
            )
    return table, misses


def crisis_quality(rows: list[dict[str, str]]) -> tuple[list[list[str]], list[str]]:
    table: list[list[str]] = []
    errors: list[str] = []
    ours = {id(r): detect_crisis(r["text"], r["lang"]) for r in rows}
    naive = {id(r): bool(NAIVE_CRISIS.search(r["text"])) for r in rows}
    for split in SPLITS:
        sel = [r for r in rows if split == "all" or r["split"] == split]
        cr = [r for r in sel if r["crisis"]]
        non = [r for r in sel if not r["crisis"]]
        complaints = [r for r in non if r["dissatisfied"] == "1"]
        table.append(
            [
                split,
                str(len(cr)),
                _rate(sum(naive[id(r)] for r in cr), len(cr)),
                _rate(sum(naive[id(r)] for r in non), len(non)),
                _rate(sum(bool(ours[id(r)]) for r in cr), len(cr)),
                _rate(sum(ours[id(r)] == r["crisis"] for r in cr), len(cr)),
                _rate(sum(bool(ours[id(r)]) for r in non), len(non)),
                str(sum(bool(ours[id(r)]) for r in complaints)),
            ]
        )
        if split == "all":
            for r in sel:
                got = ours[id(r)] or ""
                if got != r["crisis"]:
                    errors.append(
                        f"{r['split']:7} {r['lang']:3} label={r['crisis'] or '-'} got={got or '-'}"
                        f"  {r['text']}"
                    )
    return table, errors


def blind3(path: Path = BLIND3) -> tuple[list[list[str]], list[list[str]]]:
    """Aggregate figures on a three-label set (blind3 or dev4), per language: (crisis
    table, dissatisfaction table). Labels: ``crisis`` / ``dissatisfied`` / ``ok``. Either
    tier = ``crisis`` or ``urgent_review``. urgent_review false alarms are a share of the
    non-crisis replies.
    """
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    preds = [(r, classify(r["text"], r["lang"], r["question"])) for r in rows]
    c_table: list[list[str]] = []
    d_table: list[list[str]] = []
    for lang in (*LANGS, "all"):
        sel = [(r, c) for r, c in preds if lang == "all" or r["lang"] == lang]
        cr = [c for r, c in sel if r["label"] == "crisis"]
        non = [c for r, c in sel if r["label"] != "crisis"]
        ok = [c for r, c in sel if r["label"] == "ok"]
        dis = [c for r, c in sel if r["label"] == "dissatisfied"]
        c_table.append(
            [
                lang,
                _rate(sum(bool(c["crisis"]) for c in cr), len(cr)),
                _rate(sum(bool(c["crisis"]) or bool(c.get("urgent_review")) for c in cr), len(cr)),
                _rate(sum(bool(c["crisis"]) for c in non), len(non)),
                _rate(sum(bool(c.get("urgent_review")) and not c["crisis"] for c in non), len(non)),
            ]
        )
        d_table.append(
            [
                lang,
                _rate(sum(c["dissatisfied"] for c in dis), len(dis)),
                _rate(sum(c["dissatisfied"] for c in ok), len(ok)),
                _rate(sum(c["dissatisfied"] or c["needs_review"] for c in dis), len(dis)),
                _rate(sum(c["needs_review"] for c in ok), len(ok)),
            ]
        )
    return c_table, d_table


# blind3 measured once before any change of the safety-net work (aggregates only).
BLIND3_BEFORE = """\
| lang | crisis-tier recall | either-tier recall | false crisis (non-crisis) | urgent_review false alarms (non-crisis) |
|---|---|---|---|---|
| en | 0.35 (17/49) | 0.35 (17/49) | 0.05 (6/112) | 0.00 (0/112) |
| es | 0.33 (16/48) | 0.33 (16/48) | 0.05 (5/110) | 0.00 (0/110) |
| so | 0.41 (7/17) | 0.41 (7/17) | 0.03 (1/30) | 0.00 (0/30) |
| hmn | 0.38 (6/16) | 0.38 (6/16) | 0.00 (0/29) | 0.00 (0/29) |
| vi | 0.31 (5/16) | 0.31 (5/16) | 0.14 (4/29) | 0.00 (0/29) |
| all | 0.35 (51/146) | 0.35 (51/146) | 0.05 (16/310) | 0.00 (0/310) |

| lang | dissatisfied recall | false alarms (ok replies) | recall incl. needs-review | ok replies needing review |
|---|---|---|---|---|
| en | 0.68 (32/47) | 0.11 (7/65) | 0.68 (32/47) | 0.00 (0/65) |
| es | 0.54 (25/46) | 0.00 (0/64) | 0.91 (42/46) | 0.28 (18/64) |
| so | 0.50 (6/12) | 0.00 (0/18) | 1.00 (12/12) | 0.39 (7/18) |
| hmn | 0.73 (8/11) | 0.00 (0/18) | 1.00 (11/11) | 0.50 (9/18) |
| vi | 0.64 (7/11) | 0.00 (0/18) | 1.00 (11/11) | 0.50 (9/18) |
| all | 0.61 (78/127) | 0.04 (7/183) | 0.85 (108/127) | 0.23 (43/183) |
"""

# Second safety round (dev4): blind3 before it (= after the first round) and after it.
BLIND3_ROUND2_BEFORE = """\
| lang | crisis-tier recall | either-tier recall | false crisis (non-crisis) | urgent_review false alarms (non-crisis) |
|---|---|---|---|---|
| en | 0.33 (16/49) | 0.69 (34/49) | 0.02 (2/112) | 0.13 (15/112) |
| es | 0.31 (15/48) | 0.75 (36/48) | 0.03 (3/110) | 0.19 (21/110) |
| so | 0.41 (7/17) | 0.88 (15/17) | 0.03 (1/30) | 0.17 (5/30) |
| hmn | 0.38 (6/16) | 0.88 (14/16) | 0.00 (0/29) | 0.24 (7/29) |
| vi | 0.31 (5/16) | 0.81 (13/16) | 0.10 (3/29) | 0.10 (3/29) |
| all | 0.34 (49/146) | 0.77 (112/146) | 0.03 (9/310) | 0.16 (51/310) |

| lang | dissatisfied recall | false alarms (ok replies) | recall incl. needs-review | ok replies needing review |
|---|---|---|---|---|
| en | 0.74 (35/47) | 0.11 (7/65) | 0.87 (41/47) | 0.25 (16/65) |
| es | 0.57 (26/46) | 0.00 (0/64) | 0.89 (41/46) | 0.36 (23/64) |
| so | 0.58 (7/12) | 0.00 (0/18) | 1.00 (12/12) | 0.28 (5/18) |
| hmn | 0.82 (9/11) | 0.00 (0/18) | 1.00 (11/11) | 0.44 (8/18) |
| vi | 0.64 (7/11) | 0.00 (0/18) | 1.00 (11/11) | 0.44 (8/18) |
| all | 0.66 (84/127) | 0.04 (7/183) | 0.91 (116/127) | 0.33 (60/183) |
"""
BLIND3_ROUND2_AFTER = """\
| lang | crisis-tier recall | either-tier recall | false crisis (non-crisis) | urgent_review false alarms (non-crisis) |
|---|---|---|---|---|
| en | 0.33 (16/49) | 0.76 (37/49) | 0.01 (1/112) | 0.12 (13/112) |
| es | 0.31 (15/48) | 0.77 (37/48) | 0.02 (2/110) | 0.15 (16/110) |
| so | 0.41 (7/17) | 0.88 (15/17) | 0.03 (1/30) | 0.17 (5/30) |
| hmn | 0.38 (6/16) | 0.94 (15/16) | 0.00 (0/29) | 0.17 (5/29) |
| vi | 0.31 (5/16) | 0.81 (13/16) | 0.03 (1/29) | 0.14 (4/29) |
| all | 0.34 (49/146) | 0.80 (117/146) | 0.02 (5/310) | 0.14 (43/310) |

| lang | dissatisfied recall | false alarms (ok replies) | recall incl. needs-review | ok replies needing review |
|---|---|---|---|---|
| en | 0.79 (37/47) | 0.11 (7/65) | 0.89 (42/47) | 0.25 (16/65) |
| es | 0.59 (27/46) | 0.00 (0/64) | 0.89 (41/46) | 0.36 (23/64) |
| so | 0.58 (7/12) | 0.00 (0/18) | 1.00 (12/12) | 0.28 (5/18) |
| hmn | 0.82 (9/11) | 0.00 (0/18) | 1.00 (11/11) | 0.44 (8/18) |
| vi | 0.64 (7/11) | 0.00 (0/18) | 1.00 (11/11) | 0.44 (8/18) |
| all | 0.69 (87/127) | 0.04 (7/183) | 0.92 (117/127) | 0.33 (60/183) |
"""

# dev4 as first measured, before any rule saw it (a generalisation estimate).
DEV4_FIRST_RUN = """\
| lang | crisis-tier recall | either-tier recall | false crisis (non-crisis) | urgent_review false alarms (non-crisis) |
|---|---|---|---|---|
| en | 0.31 (13/42) | 0.64 (27/42) | 0.05 (4/78) | 0.18 (14/78) |
| es | 0.12 (5/42) | 0.48 (20/42) | 0.04 (3/78) | 0.28 (22/78) |
| so | 0.20 (3/15) | 0.47 (7/15) | 0.04 (1/25) | 0.16 (4/25) |
| hmn | 0.27 (4/15) | 0.60 (9/15) | 0.08 (2/25) | 0.24 (6/25) |
| vi | 0.07 (1/15) | 0.40 (6/15) | 0.04 (1/25) | 0.16 (4/25) |
| all | 0.20 (26/129) | 0.53 (69/129) | 0.05 (11/231) | 0.22 (50/231) |

| lang | dissatisfied recall | false alarms (ok replies) | recall incl. needs-review | ok replies needing review |
|---|---|---|---|---|
| en | 0.61 (23/38) | 0.12 (5/40) | 0.71 (27/38) | 0.25 (10/40) |
| es | 0.44 (18/41) | 0.08 (3/37) | 0.80 (33/41) | 0.30 (11/37) |
| so | 0.50 (6/12) | 0.00 (0/13) | 0.92 (11/12) | 0.23 (3/13) |
| hmn | 0.75 (9/12) | 0.00 (0/13) | 1.00 (12/12) | 0.23 (3/13) |
| vi | 0.62 (8/13) | 0.00 (0/12) | 0.92 (12/13) | 0.33 (4/12) |
| all | 0.55 (64/116) | 0.07 (8/115) | 0.82 (95/116) | 0.27 (31/115) |
"""

# blind5 (round three's held-out set) at the start of round three (commit bc77884).
BLIND5_BEFORE = """\
| lang | crisis-tier recall | either-tier recall | false crisis (non-crisis) | urgent_review false alarms (non-crisis) |
|---|---|---|---|---|
| en | 0.17 (8/48) | 0.69 (33/48) | 0.01 (1/102) | 0.14 (14/102) |
| es | 0.19 (9/48) | 0.69 (33/48) | 0.01 (1/102) | 0.14 (14/102) |
| so | 0.21 (3/14) | 0.43 (6/14) | 0.00 (0/26) | 0.31 (8/26) |
| hmn | 0.14 (2/14) | 0.64 (9/14) | 0.00 (0/26) | 0.23 (6/26) |
| vi | 0.00 (0/14) | 0.50 (7/14) | 0.04 (1/26) | 0.19 (5/26) |
| all | 0.16 (22/138) | 0.64 (88/138) | 0.01 (3/282) | 0.17 (47/282) |

| lang | dissatisfied recall | false alarms (ok replies) | recall incl. needs-review | ok replies needing review |
|---|---|---|---|---|
| en | 0.69 (24/35) | 0.13 (9/67) | 0.77 (27/35) | 0.06 (4/67) |
| es | 0.50 (17/34) | 0.04 (3/68) | 0.79 (27/34) | 0.40 (27/68) |
| so | 0.50 (4/8) | 0.00 (0/18) | 0.88 (7/8) | 0.44 (8/18) |
| hmn | 0.75 (6/8) | 0.00 (0/18) | 1.00 (8/8) | 0.33 (6/18) |
| vi | 0.88 (7/8) | 0.00 (0/18) | 1.00 (8/8) | 0.56 (10/18) |
| all | 0.62 (58/93) | 0.06 (12/189) | 0.83 (77/93) | 0.29 (55/189) |
"""

# blind5 after round three (commit 622a2fb), lists and models; measured once.
BLIND5_AFTER = """\
| lang | crisis-tier recall | either-tier recall | false crisis (non-crisis) | urgent_review false alarms (non-crisis) |
|---|---|---|---|---|
| en | 0.17 (8/48) | 0.85 (41/48) | 0.01 (1/102) | 0.14 (14/102) |
| es | 0.21 (10/48) | 0.96 (46/48) | 0.01 (1/102) | 0.17 (17/102) |
| so | 0.21 (3/14) | 0.71 (10/14) | 0.00 (0/26) | 0.31 (8/26) |
| hmn | 0.14 (2/14) | 0.93 (13/14) | 0.00 (0/26) | 0.27 (7/26) |
| vi | 0.07 (1/14) | 0.79 (11/14) | 0.00 (0/26) | 0.27 (7/26) |
| all | 0.17 (24/138) | 0.88 (121/138) | 0.01 (2/282) | 0.19 (53/282) |

| lang | dissatisfied recall | false alarms (ok replies) | recall incl. needs-review | ok replies needing review |
|---|---|---|---|---|
| en | 0.89 (31/35) | 0.16 (11/67) | 0.94 (33/35) | 0.06 (4/67) |
| es | 0.76 (26/34) | 0.06 (4/68) | 0.91 (31/34) | 0.38 (26/68) |
| so | 0.88 (7/8) | 0.11 (2/18) | 1.00 (8/8) | 0.39 (7/18) |
| hmn | 1.00 (8/8) | 0.11 (2/18) | 1.00 (8/8) | 0.28 (5/18) |
| vi | 1.00 (8/8) | 0.11 (2/18) | 1.00 (8/8) | 0.56 (10/18) |
| all | 0.86 (80/93) | 0.11 (21/189) | 0.95 (88/93) | 0.28 (52/189) |
"""

# The same commit with both learned models switched off (lists and lexicons alone).
BLIND5_AFTER_LISTS = """\
| lang | crisis-tier recall | either-tier recall | false crisis (non-crisis) | urgent_review false alarms (non-crisis) |
|---|---|---|---|---|
| en | 0.17 (8/48) | 0.75 (36/48) | 0.01 (1/102) | 0.13 (13/102) |
| es | 0.21 (10/48) | 0.73 (35/48) | 0.01 (1/102) | 0.12 (12/102) |
| so | 0.21 (3/14) | 0.50 (7/14) | 0.00 (0/26) | 0.27 (7/26) |
| hmn | 0.14 (2/14) | 0.64 (9/14) | 0.00 (0/26) | 0.23 (6/26) |
| vi | 0.07 (1/14) | 0.57 (8/14) | 0.00 (0/26) | 0.19 (5/26) |
| all | 0.17 (24/138) | 0.69 (95/138) | 0.01 (2/282) | 0.15 (43/282) |

| lang | dissatisfied recall | false alarms (ok replies) | recall incl. needs-review | ok replies needing review |
|---|---|---|---|---|
| en | 0.69 (24/35) | 0.13 (9/67) | 0.77 (27/35) | 0.06 (4/67) |
| es | 0.50 (17/34) | 0.04 (3/68) | 0.79 (27/34) | 0.40 (27/68) |
| so | 0.50 (4/8) | 0.00 (0/18) | 0.88 (7/8) | 0.44 (8/18) |
| hmn | 0.75 (6/8) | 0.00 (0/18) | 1.00 (8/8) | 0.33 (6/18) |
| vi | 0.88 (7/8) | 0.00 (0/18) | 1.00 (8/8) | 0.56 (10/18) |
| all | 0.62 (58/93) | 0.06 (12/189) | 0.83 (77/93) | 0.29 (55/189) |
"""

# blind4 at the start of round three (bc77884), before any change.
BLIND4_BEFORE = """\
| lang | crisis-tier recall | either-tier recall | false crisis (non-crisis) | urgent_review false alarms (non-crisis) |
|---|---|---|---|---|
| en | 0.25 (16/64) | 0.78 (50/64) | 0.03 (3/96) | 0.09 (9/96) |
| es | 0.18 (11/62) | 0.58 (36/62) | 0.03 (3/98) | 0.10 (10/98) |
| so | 0.28 (5/18) | 0.61 (11/18) | 0.00 (0/27) | 0.07 (2/27) |
| hmn | 0.22 (4/18) | 0.67 (12/18) | 0.00 (0/27) | 0.26 (7/27) |
| vi | 0.50 (9/18) | 0.78 (14/18) | 0.00 (0/27) | 0.26 (7/27) |
| all | 0.25 (45/180) | 0.68 (123/180) | 0.02 (6/275) | 0.13 (35/275) |

| lang | dissatisfied recall | false alarms (ok replies) | recall incl. needs-review | ok replies needing review |
|---|---|---|---|---|
| en | 0.68 (27/40) | 0.12 (7/56) | 0.88 (35/40) | 0.09 (5/56) |
| es | 0.50 (20/40) | 0.00 (0/58) | 0.82 (33/40) | 0.31 (18/58) |
| so | 0.45 (5/11) | 0.00 (0/16) | 1.00 (11/11) | 0.38 (6/16) |
| hmn | 0.82 (9/11) | 0.06 (1/16) | 1.00 (11/11) | 0.25 (4/16) |
| vi | 0.67 (8/12) | 0.00 (0/15) | 1.00 (12/12) | 0.53 (8/15) |
| all | 0.61 (69/114) | 0.05 (8/161) | 0.89 (102/114) | 0.25 (41/161) |
"""

# blind4 after the lists learned blind3's kinds (906aead), still unopened.
BLIND4_LISTS = """\
| lang | crisis-tier recall | either-tier recall | false crisis (non-crisis) | urgent_review false alarms (non-crisis) |
|---|---|---|---|---|
| en | 0.28 (18/64) | 0.80 (51/64) | 0.03 (3/96) | 0.07 (7/96) |
| es | 0.19 (12/62) | 0.63 (39/62) | 0.03 (3/98) | 0.07 (7/98) |
| so | 0.28 (5/18) | 0.61 (11/18) | 0.00 (0/27) | 0.07 (2/27) |
| hmn | 0.22 (4/18) | 0.67 (12/18) | 0.00 (0/27) | 0.22 (6/27) |
| vi | 0.50 (9/18) | 0.78 (14/18) | 0.00 (0/27) | 0.22 (6/27) |
| all | 0.27 (48/180) | 0.71 (127/180) | 0.02 (6/275) | 0.10 (28/275) |

| lang | dissatisfied recall | false alarms (ok replies) | recall incl. needs-review | ok replies needing review |
|---|---|---|---|---|
| en | 0.68 (27/40) | 0.12 (7/56) | 0.88 (35/40) | 0.09 (5/56) |
| es | 0.50 (20/40) | 0.00 (0/58) | 0.82 (33/40) | 0.31 (18/58) |
| so | 0.45 (5/11) | 0.00 (0/16) | 1.00 (11/11) | 0.38 (6/16) |
| hmn | 0.82 (9/11) | 0.06 (1/16) | 1.00 (11/11) | 0.25 (4/16) |
| vi | 0.67 (8/12) | 0.00 (0/15) | 1.00 (12/12) | 0.53 (8/15) |
| all | 0.61 (69/114) | 0.05 (8/161) | 0.89 (102/114) | 0.25 (41/161) |
"""

# blind4 with the first safety model (trained without blind4), still unopened; blind4 was opened after this.
BLIND4_MODEL = """\
| lang | crisis-tier recall | either-tier recall | false crisis (non-crisis) | urgent_review false alarms (non-crisis) |
|---|---|---|---|---|
| en | 0.28 (18/64) | 0.91 (58/64) | 0.03 (3/96) | 0.10 (10/96) |
| es | 0.19 (12/62) | 0.92 (57/62) | 0.03 (3/98) | 0.14 (14/98) |
| so | 0.28 (5/18) | 0.83 (15/18) | 0.00 (0/27) | 0.15 (4/27) |
| hmn | 0.22 (4/18) | 0.89 (16/18) | 0.00 (0/27) | 0.22 (6/27) |
| vi | 0.50 (9/18) | 0.89 (16/18) | 0.00 (0/27) | 0.26 (7/27) |
| all | 0.27 (48/180) | 0.90 (162/180) | 0.02 (6/275) | 0.15 (41/275) |

| lang | dissatisfied recall | false alarms (ok replies) | recall incl. needs-review | ok replies needing review |
|---|---|---|---|---|
| en | 0.68 (27/40) | 0.12 (7/56) | 0.88 (35/40) | 0.09 (5/56) |
| es | 0.50 (20/40) | 0.00 (0/58) | 0.82 (33/40) | 0.31 (18/58) |
| so | 0.45 (5/11) | 0.00 (0/16) | 1.00 (11/11) | 0.38 (6/16) |
| hmn | 0.82 (9/11) | 0.06 (1/16) | 1.00 (11/11) | 0.25 (4/16) |
| vi | 0.67 (8/12) | 0.00 (0/15) | 1.00 (12/12) | 0.53 (8/15) |
| all | 0.61 (69/114) | 0.05 (8/161) | 0.89 (102/114) | 0.25 (41/161) |
"""

# blind6 (a second held-out set of round three) at the start (bc77884).
BLIND6_BEFORE = """\
| lang | crisis-tier recall | either-tier recall | false crisis (non-crisis) | urgent_review false alarms (non-crisis) |
|---|---|---|---|---|
| en | 0.10 (4/42) | 0.45 (19/42) | 0.00 (0/88) | 0.11 (10/88) |
| es | 0.10 (4/42) | 0.52 (22/42) | 0.00 (0/88) | 0.08 (7/88) |
| so | 0.31 (4/13) | 0.54 (7/13) | 0.00 (0/27) | 0.00 (0/27) |
| hmn | 0.08 (1/13) | 0.62 (8/13) | 0.04 (1/27) | 0.07 (2/27) |
| vi | 0.08 (1/13) | 0.46 (6/13) | 0.04 (1/27) | 0.04 (1/27) |
| all | 0.11 (14/123) | 0.50 (62/123) | 0.01 (2/257) | 0.08 (20/257) |

| lang | dissatisfied recall | false alarms (ok replies) | recall incl. needs-review | ok replies needing review |
|---|---|---|---|---|
| en | 0.58 (18/31) | 0.05 (3/57) | 0.71 (22/31) | 0.11 (6/57) |
| es | 0.39 (12/31) | 0.02 (1/57) | 0.74 (23/31) | 0.25 (14/57) |
| so | 0.38 (3/8) | 0.05 (1/19) | 0.88 (7/8) | 0.42 (8/19) |
| hmn | 0.50 (4/8) | 0.05 (1/19) | 0.75 (6/8) | 0.32 (6/19) |
| vi | 0.62 (5/8) | 0.00 (0/19) | 1.00 (8/8) | 0.58 (11/19) |
| all | 0.49 (42/86) | 0.04 (6/171) | 0.77 (66/86) | 0.26 (45/171) |
"""

# blind6 when it arrived, at the code blind5 was measured on (lists of blind3/blind4, first models).
BLIND6_MID = """\
| lang | crisis-tier recall | either-tier recall | false crisis (non-crisis) | urgent_review false alarms (non-crisis) |
|---|---|---|---|---|
| en | 0.10 (4/42) | 0.74 (31/42) | 0.00 (0/88) | 0.11 (10/88) |
| es | 0.10 (4/42) | 0.79 (33/42) | 0.00 (0/88) | 0.07 (6/88) |
| so | 0.31 (4/13) | 0.62 (8/13) | 0.00 (0/27) | 0.00 (0/27) |
| hmn | 0.08 (1/13) | 0.85 (11/13) | 0.04 (1/27) | 0.07 (2/27) |
| vi | 0.15 (2/13) | 0.77 (10/13) | 0.04 (1/27) | 0.04 (1/27) |
| all | 0.12 (15/123) | 0.76 (93/123) | 0.01 (2/257) | 0.07 (19/257) |

| lang | dissatisfied recall | false alarms (ok replies) | recall incl. needs-review | ok replies needing review |
|---|---|---|---|---|
| en | 0.84 (26/31) | 0.09 (5/57) | 0.90 (28/31) | 0.11 (6/57) |
| es | 0.74 (23/31) | 0.05 (3/57) | 0.84 (26/31) | 0.23 (13/57) |
| so | 0.75 (6/8) | 0.05 (1/19) | 0.88 (7/8) | 0.42 (8/19) |
| hmn | 0.50 (4/8) | 0.05 (1/19) | 0.75 (6/8) | 0.32 (6/19) |
| vi | 1.00 (8/8) | 0.11 (2/19) | 1.00 (8/8) | 0.47 (9/19) |
| all | 0.78 (67/86) | 0.07 (12/171) | 0.87 (75/86) | 0.25 (42/171) |
"""

# blind6 at the end of round three (0d67d53): lists also learned train_crisis, models retrained with it.
BLIND6_AFTER = """\
| lang | crisis-tier recall | either-tier recall | false crisis (non-crisis) | urgent_review false alarms (non-crisis) |
|---|---|---|---|---|
| en | 0.10 (4/42) | 0.79 (33/42) | 0.00 (0/88) | 0.11 (10/88) |
| es | 0.10 (4/42) | 0.81 (34/42) | 0.00 (0/88) | 0.07 (6/88) |
| so | 0.31 (4/13) | 0.92 (12/13) | 0.00 (0/27) | 0.00 (0/27) |
| hmn | 0.08 (1/13) | 0.77 (10/13) | 0.04 (1/27) | 0.00 (0/27) |
| vi | 0.15 (2/13) | 1.00 (13/13) | 0.04 (1/27) | 0.04 (1/27) |
| all | 0.12 (15/123) | 0.83 (102/123) | 0.01 (2/257) | 0.07 (17/257) |

| lang | dissatisfied recall | false alarms (ok replies) | recall incl. needs-review | ok replies needing review |
|---|---|---|---|---|
| en | 0.84 (26/31) | 0.09 (5/57) | 0.90 (28/31) | 0.11 (6/57) |
| es | 0.74 (23/31) | 0.04 (2/57) | 0.84 (26/31) | 0.25 (14/57) |
| so | 0.75 (6/8) | 0.00 (0/19) | 0.88 (7/8) | 0.42 (8/19) |
| hmn | 0.50 (4/8) | 0.05 (1/19) | 0.75 (6/8) | 0.32 (6/19) |
| vi | 1.00 (8/8) | 0.11 (2/19) | 1.00 (8/8) | 0.47 (9/19) |
| all | 0.78 (67/86) | 0.06 (10/171) | 0.87 (75/86) | 0.25 (43/171) |
"""

# blind7 (the last held-out set of round three) at the start (bc77884).
BLIND7_BEFORE = """\
| lang | crisis-tier recall | either-tier recall | false crisis (non-crisis) | urgent_review false alarms (non-crisis) |
|---|---|---|---|---|
| en | 0.10 (4/42) | 0.45 (19/42) | 0.01 (1/88) | 0.10 (9/88) |
| es | 0.14 (6/42) | 0.52 (22/42) | 0.00 (0/88) | 0.09 (8/88) |
| so | 0.46 (6/13) | 0.77 (10/13) | 0.00 (0/27) | 0.22 (6/27) |
| hmn | 0.46 (6/13) | 0.69 (9/13) | 0.00 (0/27) | 0.26 (7/27) |
| vi | 0.31 (4/13) | 0.54 (7/13) | 0.00 (0/27) | 0.15 (4/27) |
| all | 0.21 (26/123) | 0.54 (67/123) | 0.00 (1/257) | 0.13 (34/257) |

| lang | dissatisfied recall | false alarms (ok replies) | recall incl. needs-review | ok replies needing review |
|---|---|---|---|---|
| en | 0.59 (19/32) | 0.20 (11/56) | 0.78 (25/32) | 0.16 (9/56) |
| es | 0.38 (12/32) | 0.00 (0/56) | 0.78 (25/32) | 0.38 (21/56) |
| so | 0.22 (2/9) | 0.06 (1/18) | 0.78 (7/9) | 0.33 (6/18) |
| hmn | 0.33 (3/9) | 0.00 (0/18) | 0.89 (8/9) | 0.33 (6/18) |
| vi | 0.44 (4/9) | 0.06 (1/18) | 0.89 (8/9) | 0.44 (8/18) |
| all | 0.44 (40/91) | 0.08 (13/166) | 0.80 (73/91) | 0.30 (50/166) |
"""

# blind7 on arrival (a488ba1: lists of blind3/blind4/train_crisis, models with train_crisis).
BLIND7_MID = """\
| lang | crisis-tier recall | either-tier recall | false crisis (non-crisis) | urgent_review false alarms (non-crisis) |
|---|---|---|---|---|
| en | 0.12 (5/42) | 0.79 (33/42) | 0.02 (2/88) | 0.08 (7/88) |
| es | 0.14 (6/42) | 0.74 (31/42) | 0.00 (0/88) | 0.06 (5/88) |
| so | 0.46 (6/13) | 0.85 (11/13) | 0.00 (0/27) | 0.22 (6/27) |
| hmn | 0.46 (6/13) | 0.92 (12/13) | 0.00 (0/27) | 0.30 (8/27) |
| vi | 0.38 (5/13) | 0.92 (12/13) | 0.00 (0/27) | 0.15 (4/27) |
| all | 0.23 (28/123) | 0.80 (99/123) | 0.01 (2/257) | 0.12 (30/257) |

| lang | dissatisfied recall | false alarms (ok replies) | recall incl. needs-review | ok replies needing review |
|---|---|---|---|---|
| en | 0.78 (25/32) | 0.11 (6/56) | 0.88 (28/32) | 0.16 (9/56) |
| es | 0.75 (24/32) | 0.05 (3/56) | 0.88 (28/32) | 0.34 (19/56) |
| so | 0.78 (7/9) | 0.00 (0/18) | 0.89 (8/9) | 0.33 (6/18) |
| hmn | 0.89 (8/9) | 0.06 (1/18) | 0.89 (8/9) | 0.33 (6/18) |
| vi | 1.00 (9/9) | 0.11 (2/18) | 1.00 (9/9) | 0.39 (7/18) |
| all | 0.80 (73/91) | 0.07 (12/166) | 0.89 (81/91) | 0.28 (47/166) |
"""

# blind7 after the models were retrained with train_mix (73b0551).
BLIND7_AFTER = """\
| lang | crisis-tier recall | either-tier recall | false crisis (non-crisis) | urgent_review false alarms (non-crisis) |
|---|---|---|---|---|
| en | 0.12 (5/42) | 0.88 (37/42) | 0.02 (2/88) | 0.08 (7/88) |
| es | 0.14 (6/42) | 0.93 (39/42) | 0.00 (0/88) | 0.07 (6/88) |
| so | 0.46 (6/13) | 0.92 (12/13) | 0.00 (0/27) | 0.22 (6/27) |
| hmn | 0.46 (6/13) | 1.00 (13/13) | 0.00 (0/27) | 0.33 (9/27) |
| vi | 0.38 (5/13) | 0.92 (12/13) | 0.00 (0/27) | 0.15 (4/27) |
| all | 0.23 (28/123) | 0.92 (113/123) | 0.01 (2/257) | 0.12 (32/257) |

| lang | dissatisfied recall | false alarms (ok replies) | recall incl. needs-review | ok replies needing review |
|---|---|---|---|---|
| en | 0.81 (26/32) | 0.12 (7/56) | 0.84 (27/32) | 0.14 (8/56) |
| es | 0.78 (25/32) | 0.09 (5/56) | 0.88 (28/32) | 0.30 (17/56) |
| so | 0.67 (6/9) | 0.00 (0/18) | 0.78 (7/9) | 0.33 (6/18) |
| hmn | 0.89 (8/9) | 0.11 (2/18) | 0.89 (8/9) | 0.33 (6/18) |
| vi | 0.89 (8/9) | 0.11 (2/18) | 0.89 (8/9) | 0.39 (7/18) |
| all | 0.80 (73/91) | 0.10 (16/166) | 0.86 (78/91) | 0.27 (44/166) |
"""

# train_mix measured once before it was used (a488ba1).
TRAIN_MIX_FIRST = """\
| lang | crisis-tier recall | either-tier recall | false crisis (non-crisis) | urgent_review false alarms (non-crisis) |
|---|---|---|---|---|
| en | 0.23 (14/60) | 0.78 (47/60) | 0.01 (1/140) | 0.11 (15/140) |
| es | 0.13 (12/90) | 0.84 (76/90) | 0.01 (2/210) | 0.13 (28/210) |
| so | 0.17 (5/30) | 0.70 (21/30) | 0.00 (0/70) | 0.11 (8/70) |
| hmn | 0.17 (5/30) | 0.87 (26/30) | 0.00 (0/70) | 0.16 (11/70) |
| vi | 0.20 (6/30) | 0.77 (23/30) | 0.07 (5/70) | 0.10 (7/70) |
| all | 0.17 (42/240) | 0.80 (193/240) | 0.01 (8/560) | 0.12 (69/560) |

| lang | dissatisfied recall | false alarms (ok replies) | recall incl. needs-review | ok replies needing review |
|---|---|---|---|---|
| en | 0.81 (57/70) | 0.01 (1/70) | 0.86 (60/70) | 0.31 (22/70) |
| es | 0.77 (81/105) | 0.03 (3/105) | 0.88 (92/105) | 0.37 (39/105) |
| so | 0.66 (23/35) | 0.06 (2/35) | 0.97 (34/35) | 0.40 (14/35) |
| hmn | 0.69 (24/35) | 0.03 (1/35) | 0.89 (31/35) | 0.43 (15/35) |
| vi | 0.80 (28/35) | 0.17 (6/35) | 1.00 (35/35) | 0.49 (17/35) |
| all | 0.76 (213/280) | 0.05 (13/280) | 0.90 (252/280) | 0.38 (107/280) |
"""

BLIND3_C_HEAD = [
    "lang",
    "crisis-tier recall",
    "either-tier recall",
    "false crisis (non-crisis)",
    "urgent_review false alarms (non-crisis)",
]
BLIND3_D_HEAD = [
    "lang",
    "dissatisfied recall",
    "false alarms (ok replies)",
    "recall incl. needs-review",
    "ok replies needing review",
]


def blind3_report(path: Path = BLIND3) -> str:
    c_table, d_table = blind3(path)
    return "\n".join(
        [
            md_table(BLIND3_C_HEAD, c_table),
            "",
            md_table(BLIND3_D_HEAD, d_table),
        ]
    )


def read_corpus(path: Path) -> list[tuple[float, str]]:
    out = []
    with path.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 3:
                try:
                    out.append((float(parts[1]), parts[2]))
                except ValueError:
                    continue
    return out


def vader_paper() -> tuple[list[list[str]], str | None]:
    if not VADER_DIR.is_dir():
        return [], f"VADER paper data not found at {VADER_DIR}: skipped"
    table = []
    for name, fname in CORPORA.items():
        path = VADER_DIR / fname
        if not path.is_file():
            table.append([name, "missing", "", "", "", ""])
            continue
        data = read_corpus(path)
        gold = [g for g, _ in data]
        plain = [vader_compound(t) for _, t in data]
        ours = [score(t, "en").score or 0.0 for _, t in data]
        survey = [score_with_model(t, "en").score or 0.0 for _, t in data]
        changed = sum(1 for a, b in zip(plain, ours, strict=True) if abs(a - b) > 1e-9)
        r_plain = statistics.correlation(gold, plain)
        r_ours = statistics.correlation(gold, ours)
        table.append(
            [
                name,
                str(len(data)),
                f"{r_plain:.4f}",
                f"{r_ours:.4f}",
                f"{r_ours - r_plain:+.4f}",
                str(changed),
                f"{statistics.correlation(gold, survey):.4f}",
            ]
        )
    return table, None


def _per_call_us(fn: Callable[[], object], n: int, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter_ns()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter_ns() - t0) / n / 1000)
    return best


def cost(rows: list[dict[str, str]]) -> list[list[str]]:
    """Median-free, best-of-5 microseconds per reply over the labelled set."""
    texts = [(r["text"], r["lang"], r["question"]) for r in rows]
    en = [t for t in texts if t[1] == "en"]
    classify(*texts[0])  # warm caches: lexicons, VADER, compiled patterns
    out = []
    for label, sample in (("English replies", en), ("all five languages", texts)):
        it = {"i": 0}

        def nxt(sample=sample, it=it) -> tuple[str, str, str]:
            it["i"] = (it["i"] + 1) % len(sample)
            return sample[it["i"]]

        n = len(sample) * 4
        plain = _per_call_us(lambda nxt=nxt: vader_compound(nxt()[0]), n)
        ours = _per_call_us(lambda nxt=nxt: score(*nxt()), n)
        full = _per_call_us(lambda nxt=nxt: classify(*nxt()), n)
        crisis = _per_call_us(lambda nxt=nxt: assess(nxt()[0]), n)
        out.append(
            [
                label,
                f"{plain:.1f}",
                f"{ours:.1f}",
                f"{ours / plain:.2f}x",
                f"{crisis:.1f}",
                f"{full:.1f}",
                f"{full / plain:.2f}x",
            ]
        )
    return out


def md_table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-write", action="store_true", help="print only, do not write RESULTS.md")
    ap.add_argument(
        "--blind",
        action="store_true",
        help="also measure the held-out set blind5 (aggregates only; its runs are rationed)",
    )
    ap.add_argument(
        "--blind-only",
        action="store_true",
        help="print only the aggregate blind5 figures (nothing written)",
    )
    ap.add_argument(
        "--set",
        metavar="NAME",
        help="print only the aggregate figures of benchmarks/data/NAME.csv (e.g. dev4)",
    )
    args = ap.parse_args()
    if args.set:
        print(blind3_report(ROOT / "benchmarks" / "data" / f"{args.set}.csv"))
        return 0
    if args.blind_only:
        print(blind3_report(BLIND5))
        return 0

    blind_after = blind3_report(BLIND5) if args.blind else None
    rows = load_labelled()
    counts = {lang: sum(r["lang"] == lang for r in rows) for lang in LANGS}
    q_table, misses = quality(rows)
    c_table, c_errors = crisis_quality(rows)
    p_table, p_note = vader_paper()
    k_table = cost(rows)

    q_head = [
        "split",
        "lang",
        "replies",
        "VADER recall",
        "VADER false-alarm",
        "ours recall",
        "ours false-alarm",
        "ours needs-review",
    ]
    c_head = [
        "split",
        "crisis msgs",
        "naive recall",
        "naive false-crisis",
        "ours recall",
        "ours right category",
        "ours false-crisis",
        "complaints called crisis",
    ]
    p_head = [
        "corpus",
        "sentences",
        "plain VADER r",
        "ours r (score)",
        "diff",
        "sentences changed",
        "survey scorer r (score_with_model)",
    ]
    k_head = [
        "replies",
        "plain VADER µs",
        "ours score() µs",
        "ratio",
        "assess() µs (both tiers)",
        "classify() µs",
        "ratio",
    ]
    parts = [
        "# Sentiment, dissatisfaction and crisis benchmark",
        "",
        f"Generated by `python benchmarks/sentiment/run.py` on Python "
        f"{platform.python_version()} ({platform.machine()}). Baselines are measured in the "
        "same run.",
        "",
        "## 1. Dissatisfaction alerts on the labelled replies",
        "",
        f"`benchmarks/data/feedback_labelled.csv`: {len(rows)} replies written and labelled by "
        "hand before any rule was written ("
        + ", ".join(f"{k} {v}" for k, v in counts.items())
        + "), split 70/30 by a hash of the text into `dev` (looked at while writing rules) "
        "and `heldout` (not looked at). Crisis rows are left out of this table. An alert is "
        f"sentiment <= {DEFAULT_TEXT_THRESHOLD} (plain VADER: compound <= "
        f"{DEFAULT_TEXT_THRESHOLD}). Recall = alerts / dissatisfied replies; false-alarm = "
        "alerts / satisfied or neutral replies. `needs-review` replies raise no alert.",
        "",
        md_table(q_head, q_table),
        "",
        "### The `fresh` split as first measured (before any change it prompted)",
        "",
        FRESH_FIRST_RUN,
        "## 0. Held-out set `blind5` (420 replies; round three)",
        "",
        "Written for round three by someone who never saw the rules or the other sets "
        "(en/es 150 each, so/hmn/vi 40 each; about a third crisis, a quarter look-alikes). "
        "Never opened: only these aggregates are reported, measured twice, at the start of "
        "round three and at its end, plus once more at the end with the learned models "
        "switched off, to show what they add. Nothing was tuned after a measurement. "
        "Columns as in section 0a below.",
        "",
        "### Before round three (lists only, as after round two)",
        "",
        BLIND5_BEFORE,
        "",
        "### After round three: lists and learned models",
        "",
        BLIND5_AFTER,
        "",
        "### After round three, the learned models switched off",
        "",
        BLIND5_AFTER_LISTS,
        "",
        *(["### This run", "", blind_after, ""] if blind_after else []),
        "Reading round three: tuning the phrase lists on two more independent sets (blind3, "
        "blind4) moved unseen crisis recall only 0.64 -> 0.69; the learned safety net took "
        "it to 0.88 (88 -> 121 of 138), at 6 more urgent_review false alarms (17% -> 19% "
        "of non-crisis replies) and no more false crisis-tier replies (3 -> 2). The "
        "feedback model took unseen dissatisfaction recall 0.62 -> 0.86 (en 0.69 -> 0.89, "
        "es 0.50 -> 0.76) at false alarms 0.06 -> 0.11 (en 0.13 -> 0.16). The goals (every "
        "crisis in a tier, urgent_review false alarms <= 5%, complaint recall >= 0.9 with "
        "false alarms <= 0.1) are not met. 17 unseen crisis messages reach no tier.",
        "",
        "## 0-bis. Held-out set `blind6` (380 replies; round three)",
        "",
        "Written late in round three by a third author who saw nothing (en/es 130 each, "
        "so/hmn/vi 40 each). Measured three times, never opened: at the round's start; on "
        "arrival, at the code blind5 was measured on; and at the end, after the lists "
        "learned the kinds of one more independently written training set "
        "(`train_crisis`, 720 replies) and the models were retrained with it.",
        "",
        "### Before round three",
        "",
        BLIND6_BEFORE,
        "",
        "### At the code blind5 was measured on",
        "",
        BLIND6_MID,
        "",
        "### End of round three",
        "",
        BLIND6_AFTER,
        "",
        "Reading: on blind6 unseen crisis recall went 0.50 -> 0.76 -> 0.83 (62 -> 102 of 123) "
        "with urgent_review false alarms 8% -> 7% and 2 false crisis-tier replies "
        "throughout; dissatisfaction recall 0.49 -> 0.78 at false alarms 0.04 -> 0.06. "
        "More independently written training replies keep helping; 21 unseen crisis "
        "messages still reach no tier. `train_crisis` itself, measured once before it was "
        "used (at the code blind5 was measured on): either tier 0.77 (277/360), "
        "urgent_review false alarms 0.21 (74/360; 30% of it is look-alikes), false crisis "
        "6/360; dissatisfaction recall 0.80 (78/98) at false alarms 0.15 (38/262).",
        "",
        "## 0-ter. Held-out set `blind7` (380 replies; round three)",
        "",
        "Written at the end of round three by a fourth author who saw nothing. Measured "
        "three times, never opened: at the round's start; on arrival; and after the two "
        "models were retrained with one more independently written training set "
        "(`train_mix`, 800 replies, 300 of them Spanish; the lists did not change).",
        "",
        "### Before round three",
        "",
        BLIND7_BEFORE,
        "",
        "### On arrival",
        "",
        BLIND7_MID,
        "",
        "### After retraining with train_mix",
        "",
        BLIND7_AFTER,
        "",
        "Reading: unseen crisis recall 0.54 -> 0.80 -> 0.92 (67 -> 113 of 123) with "
        "urgent_review false alarms 13% -> 12% and 1-2 false crisis-tier replies; the last "
        "step is the models alone learning from 800 more replies. Dissatisfaction recall "
        "0.44 -> 0.80 at false alarms 0.08 -> 0.10. `train_mix` itself, measured once "
        "before use, is below.",
        "",
        "### `train_mix` as first measured (before it was used)",
        "",
        TRAIN_MIX_FIRST,
        "",
        "## 0a. Set `blind4` (455 replies; held out during round three, then opened)",
        "",
        "Written for round three by another author who saw nothing. Measured three times "
        "before it was opened: at the start; after the lists learned blind3's kinds; and "
        "with the first learned safety net (trained without it). Its figures were also used "
        "to choose the safety net's training settings, so the third row is not fully held "
        "out. It was then opened and tuned on (it is a development set now).",
        "",
        "### Before round three",
        "",
        BLIND4_BEFORE,
        "",
        "### After the lists learned blind3's kinds",
        "",
        BLIND4_LISTS,
        "",
        "### With the first safety net (trained on the other sets)",
        "",
        BLIND4_MODEL,
        "",
        "## 0b. Set `blind3` (456 replies; blind in rounds one and two, opened in round three)",
        "",
        "Written by someone who never saw the rules; only these aggregate figures were "
        "reported, measured before the safety-net work and after each round; round three "
        "opened it as a development set. Labels: crisis "
        "/ dissatisfied / ok. Crisis-tier recall = crisis messages in the high-confidence "
        "tier; either-tier = in `crisis` or `urgent_review`; false crisis and urgent_review "
        "false alarms are shares of the non-crisis replies. Dissatisfaction is over the "
        "non-crisis replies, by the survey's language.",
        "",
        "### Before",
        "",
        BLIND3_BEFORE,
        "",
        "### After the first safety round (= before the second)",
        "",
        BLIND3_ROUND2_BEFORE,
        "",
        "### After the second safety round (dev4 kinds)",
        "",
        BLIND3_ROUND2_AFTER,
        "",
        "### Now (after tuning on it in round three; not an estimate)",
        "",
        blind3_report(BLIND3),
        "",
        "## 0c. Development set `dev4` (360 replies; tuned on after its first run)",
        "",
        "Written independently of the rules (en/es 120 each, so/hmn/vi 40 each; ~35% "
        "crisis, ~35% look-alikes). The first run, before any rule saw it, is the honest "
        "estimate; the current figures are after tuning on it and are NOT one.",
        "",
        "### First run (before any change)",
        "",
        DEV4_FIRST_RUN,
        "### Current (after tuning on it)",
        "",
        blind3_report(DEV4),
        "",
        "Reading round two: dev4 either-tier recall went 0.53 -> 0.99 because it was tuned "
        "on; blind3 (never tuned on) went 0.77 -> 0.80, false crisis 9 -> 5 and "
        "urgent_review false alarms 51 -> 43 of 310. Most of the dev4 gain is its own "
        "phrasing; expect unseen crisis recall near 0.8, not 0.99. blind3 was meant to be "
        "run twice this round; a third aggregate run happened by mistake with its output "
        "discarded unread (nothing was tuned on it).",
        "",
        "## 2. Crisis detection",
        "",
        "Naive = substring match on a first-attempt keyword list (kill, die, abuse, hit, "
        "chest, morir, ...). False-crisis = non-crisis replies flagged.",
        "",
        md_table(c_head, c_table),
        "",
        "## 3. VADER paper data (regression check, English)",
        "",
        p_note
        or (
            "Pearson r of the score against the mean human rating, per corpus "
            f"(read from `{VADER_DIR}`, not copied into the repo). `score()` is the general "
            "scorer (VADER plus our rules); the last column is what survey answers get "
            "(`score_with_model`: the feedback model trained on survey replies, which "
            "these corpora are not, so it lowers r here; it is applied to survey answers "
            "only)."
        ),
        "",
        md_table(p_head, p_table) if p_table else "",
        "",
        "## 4. Cost per reply",
        "",
        "Best of 5 passes over the labelled replies; single thread.",
        "",
        md_table(k_head, k_table),
        "",
        "At the start of round three the same table read: score() 5.65x (English) / 7.39x "
        "(five languages), classify() 15.69x / 27.74x. Round three made the lists match "
        "by word starts (services/lexmatch.py), returned early from assess() when no list "
        "phrase can match, and skipped lingua for replies made of known words; it also "
        "added the two learned models (about 30 µs on a free-text reply). What keeps "
        "classify() above 3x: lingua on replies with unknown words (75-100 µs a call, "
        "about 4x VADER by itself), and assess() plus score() already near 5x together.",
        "",
        "## What changed after the first run",
        "",
        "The first run (before any tuning) gave, on `heldout`: en recall 0.94 / false-alarm "
        "0.09, es 1.00 / 0.00, so/hmn/vi 1.00 / 0.00; crisis 22/22 caught, 0 false. Changes "
        "made after it, and the split whose errors prompted them: `waiting room`, `flu shot`, "
        "`substance abuse group`, `gonna kill me` read as neutral (dev); Spanish `que no ...` "
        "is a wish, not a negation (dev); `anything else?` is not an improvement question "
        "(dev); praise beside a specific complaint counts a quarter, not a half (dev "
        "`wow so fast, only took all day`; held-out `great, another 3 hour wait` still "
        "fails); `nope` as a leading answer word (held-out `nope all good`: a plain bug, "
        "VADER negates after `nope`). Then the `fresh` split was written and measured (table "
        "above) and the vocabulary and crisis phrases it exposed were added; its current "
        "figures are therefore not a generalisation estimate.",
        "",
        "The `fresh2` split (200 replies) was written later by a different author who had "
        "not read the lexicons or the labelled rows. Measured before any change, ours vs "
        "plain VADER, dissatisfaction recall / false alarms: en 0.70 / 0.12 (VADER 0.27 / "
        "0.19), es 0.61 / 0.04 (0.00 / 0.08), so 0.64 / 0.00, hmn 0.78 / 0.00, vi 0.62 / "
        "0.11 (VADER 0.00 everywhere); all 0.66 / 0.06 (0.10 / 0.09); 29 replies `needs "
        "review`, 18 of them complaints. Crisis 18/20 caught (missed: a child whipped with a "
        "belt; face and throat swelling after a shot), 1 false crisis in 180. After that "
        "measurement the two crisis misses, `nothing to improve`, `was nervous but no need`, "
        "`no podría ser mejor`, and phones never answered / having to come back in all five "
        "languages were added, so its current figures are no longer held out.",
        "",
        "Reading the figures: the lexicons recognise the phrasings their author thought of. "
        "The honest estimates for unseen replies are the first `fresh` measurement (English "
        "recall about 0.4) and the first `fresh2` measurement (about 0.66 over five "
        "languages at 0.06 false alarms); unseen Spanish, Somali, Hmong and Vietnamese "
        "complaints often come out `needs review` rather than wrong. So/hmn/vi lexicons are provisional and unreviewed by native speakers. "
        "Grow the lexicons from real replies that staff mark as missed.",
        "",
        "## Errors (all splits)",
        "",
        "Dissatisfaction, ours:",
        "",
        "```",
        *misses["ours"],
        "```",
        "",
        "Crisis, ours:",
        "",
        "```",
        *(c_errors or ["(none)"]),
        "```",
        "",
    ]
    report = "\n".join(parts)
    print(report)
    if not args.no_write:
        (Path(__file__).parent / "RESULTS.md").write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
