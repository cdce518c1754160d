"""Sentiment / dissatisfaction / crisis benchmark for cfbot.services.sentiment and .crisis.

Run from the repository root:  python benchmarks/sentiment/run.py  [--no-write]

Reports, each next to a baseline measured in the same run:
1. Dissatisfaction alerts on our hand-labelled replies (benchmarks/data/feedback_labelled.csv)
   per language and split (dev = used while writing rules, heldout = not looked at):
   plain VADER (compound <= -0.3) vs ours. Crisis rows are left out here: they take
   the crisis path whatever their sentiment.
2. Crisis recall and false-crisis rate, ours vs a naive keyword list.
3. Pearson r against the human ratings of the VADER paper's four corpora
   (the directory in CFBOT_VADER_DATA, read in place, never copied), ours vs plain.
4. Scoring cost per reply in microseconds, ours vs plain VADER.
Writes benchmarks/sentiment/RESULTS.md.
"""

from __future__ import annotations

import argparse
import csv
import itertools
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

from cfbot.services import feedback_model  # noqa: E402
from cfbot.services.crisis import assess, detect_crisis  # noqa: E402
from cfbot.services.language import detect_language  # noqa: E402
from cfbot.services.reply_scoring import classify, score_with_model  # noqa: E402
from cfbot.services.sentiment import (  # noqa: E402
    DEFAULT_TEXT_THRESHOLD,
    score,
    vader_compound,
)

RECORDS = Path(__file__).resolve().parent / "records"


def _record(name: str) -> str:
    """A table measured once and kept (held-out sets are measured a rationed number of
    times; their figures are recorded in benchmarks/sentiment/records/, not re-run)."""
    return (RECORDS / f"{name}.md").read_text(encoding="utf-8")


def _before_after(name: str, round_name: str, start: str) -> list[str]:
    """A held-out set's two recorded measurements (``records/NAME_before.md``, taken at
    commit ``start``, and ``NAME_after.md``) under their headings, for the parts list."""
    return [
        f"### {name} before round {round_name} ({start})",
        "",
        _record(f"{name}_before"),
        "",
        f"### {name} after round {round_name}",
        "",
        _record(f"{name}_after"),
        "",
    ]


# The `fresh` split as first measured, before the vocabulary it exposed was added to
# the lexicons (recorded by hand; later runs are no longer a generalisation estimate).
FRESH_FIRST_RUN = _record("fresh_first_run")

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
# The VADER paper's four human-rated corpora (tweets_GroundTruth.txt ...), not copied into
# the repo: the directory that holds them is given in CFBOT_VADER_DATA.
VADER_DIR = Path(os.environ["CFBOT_VADER_DATA"]) if os.environ.get("CFBOT_VADER_DATA") else None
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
BLIND3_BEFORE = _record("blind3_before")

# Second safety round (dev4): blind3 before it (= after the first round) and after it.
BLIND3_ROUND2_BEFORE = _record("blind3_round2_before")
BLIND3_ROUND2_AFTER = _record("blind3_round2_after")

# dev4 as first measured, before any rule saw it (a generalisation estimate).
DEV4_FIRST_RUN = _record("dev4_first_run")

# blind5 (round three's held-out set) at the start of round three (commit bc77884).
BLIND5_BEFORE = _record("blind5_before")

# blind5 after round three (commit 622a2fb), lists and models; measured once.
BLIND5_AFTER = _record("blind5_after")

# The same commit with both learned models switched off (lists and lexicons alone).
BLIND5_AFTER_LISTS = _record("blind5_after_lists")

# blind4 at the start of round three (bc77884), before any change.
BLIND4_BEFORE = _record("blind4_before")

# blind4 after the lists learned blind3's kinds (906aead), still unopened.
BLIND4_LISTS = _record("blind4_lists")

# blind4 with the first safety model (trained without blind4), still unopened; blind4 was opened after this.
BLIND4_MODEL = _record("blind4_model")

# Round six: blind13 (a new writer) at the start (0ec954b) and at the end (read by
# _before_after in main()); train_e and train_f as first measured, before they were used
# for training.
TRAIN_E_FIRST = _record("train_e_first_run")
TRAIN_F_FIRST = _record("train_f_first_run")
# the second pass: blind14 at its start (8ec8026) and end; train_g on arrival (8ec8026)
BLIND14_BEFORE = _record("blind14_before")
BLIND14_AFTER = _record("blind14_after")
TRAIN_G_FIRST = _record("train_g_first_run")
# the third pass: blind15 at its start (5108a44) and end
BLIND15_BEFORE = _record("blind15_before")
BLIND15_AFTER = _record("blind15_after")

ROUND_SIX_INTRO = (
    "Written for round six by a new writer who saw no rules and no other set (en/es 160 "
    "each, so/hmn/vi 40 each; 28% crisis, 28% look-alikes; the writer said much of the "
    "Spanish and of the three smaller languages was adapted from its English rows). "
    "Never opened: measured on arrival on the code at the start of the round (0ec954b) "
    "and once at its end. Two more writers wrote training sets, `train_e` and `train_f` "
    "(460 replies each; many Spanish complaints, many look-alikes), each measured once on "
    "arrival (below). blind12, measured before and after round five's second pass, "
    "became training data. Round six: Spanish 'molestar' (to bother) no longer matches "
    "the English 'molest' (it put complaints in the crisis tier); urgent_review kinds "
    "from blind12 and the training sets (forced labour, marks on the wrists, a last "
    "visit 'ever', nobody would notice, neglected children, infant danger signs after "
    "a fall or a shot, pregnancy warning signs); look-alikes (screening questions "
    "answered no, posters and videos, work that sees overdoses, relatives who died long "
    "ago, smells, gums); the models retrained on 22 sets (11,121 replies); the veto "
    "floor 0.04 -> 0.01, the largest at which leaving one writer's set out at a time "
    "(15 sets) dropped none of the 1,670 crisis messages the lists flagged."
)
ROUND_SIX_SECOND_PASS = (
    "blind13, measured before and after the first pass, then became training data (it "
    "was opened: its misses and false alarms gave the second pass's kinds), with a new "
    "training set `train_g` (480 replies on the line between quiet complaints and "
    "satisfied replies with negative words). A new writer's `blind14` was measured on "
    "arrival at the end of the first pass (8ec8026) and once at the end of the second. "
    "The second pass: urgent_review kinds (if I don't wake up, goodbyes to the clinic, "
    "confinement and a phone taken, an elder left alone, a pregnancy headache with "
    "spots, stroke signs in Hmong, adult medicine given to a child); look-alikes "
    "(screening questions on a form, classes, tools and gun shops, a simile of being "
    "beaten, 'que abuso'); the models retrained on 24 sets (12,041 replies)."
)
ROUND_SIX_SECOND_READING = (
    "Reading the second pass (blind14): crisis messages in either tier 0.90 -> 0.90 "
    "(113 -> 113 of 126), false crisis-tier replies 1 -> 1 of 314, urgent_review false "
    "alarms 7% -> 7%; dissatisfaction recall 0.89 -> 0.85 (en 0.84 -> 0.78, es 0.91 -> "
    "0.86) at false alarms 0.09 -> 0.09. Worse on complaints, and the crisis figure "
    "hid a swap: the lists caught messages they had missed, while the retrained net "
    "lost four it had caught at p=1.00 (one training order of one linear model; see "
    "the third pass)."
)
ROUND_SIX_THIRD_PASS = (
    "blind14 was then opened and became training data; a new writer's `blind15` was "
    "measured on arrival at the end of the second pass (5108a44) and once at the end of "
    "the third. The third pass: urgent_review kinds from blind14 (not safe going home, "
    "forced work and forced marriage, not around for the next visit, no formula and no "
    "wet diapers, a fall in pregnancy, no movement felt, water broken, an elder bruised "
    "and afraid); look-alikes (asking whether one could overdose or what to do if a "
    "child swallows something, guns kept locked, a pet that ate medicine); and every "
    "model is now the average of three trained in different shuffle orders (SEEDS in "
    "train_models.py), retrained on 25 sets (12,481 replies)."
)
ROUND_SIX_THIRD_READING = (
    "Reading the third pass (blind15): crisis messages in either tier 0.91 -> 0.86 "
    "(108 -> 102 of 119; en 42 -> 35 of 43), false crisis-tier replies 1 -> 1 of 321, "
    "urgent_review false alarms 9% -> 7%; dissatisfaction recall 0.87 -> 0.83 (en 0.88 "
    "-> 0.81, es 0.81 -> 0.76) at false alarms 0.02 -> 0.02. A regression. blind15 was "
    "then opened to find it: every lost message was one the safety net no longer "
    "raised. The average of three models gives less extreme probabilities where they "
    "disagree, and the threshold scan began at 0.50, so the net's threshold stayed at "
    "0.50 well inside its false-alarm budget. The scan now begins at 0.20 (the budget "
    "chooses the threshold again); that fix is measured on blind16 below, never on "
    "blind15."
)
BLIND16_BEFORE = _record("blind16_before")
BLIND16_AFTER = _record("blind16_after")
ROUND_SIX_FINAL = (
    "Reading round six as a whole (blind16, start against end): crisis messages in "
    "either tier 0.83 -> 0.87 (99 -> 104 of 119; en 39 -> 39, es 34 -> 36, so 7 -> 9), "
    "false crisis-tier replies 0 -> 1 of 321, urgent_review false alarms 4% -> 5%; "
    "dissatisfaction recall 0.87 -> 0.85 (en 0.85 -> 0.83, es 0.91 -> 0.91) at false "
    "alarms 0.05 -> 0.03 (es 0.11 -> 0.04). Not met: 15 crisis messages of 119 reach no "
    "tier (the goal is none), en complaint recall is 0.83. Each pass learned its "
    "writer's kinds; the next writer's crisis wording was new again, and a retrained "
    "net moved single messages both ways."
)
# Round seven: two new writers' held-out sets, blind17 and blind18, each measured on
# arrival at 0a50db0 (the end of round six) and once at the end of round seven (their
# records are read by _before_after in main()); train_h and train_i on arrival.
TRAIN_H_FIRST = _record("train_h_first_run")
TRAIN_I_FIRST = _record("train_i_first_run")
ROUND_SEVEN_INTRO = (
    "Round seven. Four new writers who saw no rules: `blind17` and `blind18` (440 "
    "replies each, 27% crisis, 27% look-alikes) were measured on arrival on the code of "
    "the round's start (0a50db0) and once at its end, never opened; `train_h` (480, "
    "many quiet complaints) and `train_i` (480, indirect crises and hard look-alikes) "
    "were measured on arrival and then used, with blind15 and blind16 (measured in "
    "round six). The round: urgent_review kinds from those four sets (pills counted "
    "out, too many or double doses, sugar signs, water broken, a floppy baby, an opened "
    "caesarean wound, a restraining order, debt bondage, postpartum thoughts of harm, "
    "goodbyes); a reply that tells of a past crisis and ends with the client well now "
    "gets no tier (none of the 2,685 crisis messages the lists flagged has that shape, "
    "40 ordinary replies did); weeks are no longer 'the past' for a medical emergency; "
    "then two sweeps over every development set, written as kinds: 221 patterns for "
    "the 776 crisis replies that only the learned net had caught, and 154 look-alikes "
    "for the ordinary replies the lists flagged (in-sample: 768 crisis replies gained a "
    "list tier, 780 ordinary replies left one, none of either went the wrong way). The "
    "models were retrained on 29 sets (14,321 replies) and the veto floor lowered to "
    "0.005 (leaving one writer's set out at a time, no floor keeps every crisis now)."
)
ROUND_SEVEN_READING = (
    "Reading round seven (two held-out sets, start against end): crisis messages in "
    "either tier 114 -> 118 of 119 (blind17) and 115 -> 118 of 120 (blind18); "
    "ordinary replies in the crisis tier 3 -> 3 of 321 and 3 -> 1 of 320; urgent_review "
    "false alarms 10% -> 11% and 10% -> 10%; dissatisfaction recall 0.86 -> 0.84 (en "
    "0.94 -> 0.91, es 0.84 -> 0.80) and 0.92 -> 0.90 (en 0.90 -> 0.90, es 0.89 -> 0.83) "
    "at false alarms 0.07 -> 0.07 and 0.10 -> 0.10. The crisis sweep carried over to "
    "new writers (7 of the 10 messages missed at the start now reach a tier); the "
    "look-alike sweep did "
    "not (780 ordinary replies cleared in-sample, none net on the held-out sets): "
    "each writer's harmless uses of alarming words are new again. Not met: 3 crisis "
    "messages of 239 reach no tier, urgent_review false alarms are 10-11% (goal 5%), "
    "Spanish complaint recall is 0.80-0.83 (goal 0.9)."
)
ROUND_SIX_READING = (
    "Reading round six (blind13): crisis messages in either tier 0.94 -> 0.95 (116 -> "
    "117 of 123), false crisis-tier replies 0 -> 0 of 317, urgent_review false alarms "
    "6% -> 6%; dissatisfaction recall 0.93 -> 0.96 (en 0.90 -> 0.93, es 0.95 -> 1.00) at "
    "false alarms 0.09 -> 0.09 (en 0.14 -> 0.14, es 0.07 -> 0.10). Not met: six crisis "
    "messages of 123 reach no tier, and English false alarms are 0.14. The veto floor "
    "was lowered for safety (no crisis message dropped), which keeps more false list "
    "hits for a person to read."
)

# Round five: blind10 and blind11 (new writers) at the start (9ea17ec) and at the end
# (read by _before_after in main()); blind12 before and after the second pass; train_c
# and train_d as first measured, before they were used for training.
BLIND12_BEFORE = _record("blind12_before")
BLIND12_AFTER = _record("blind12_after")
TRAIN_C_FIRST = _record("train_c_first_run")
TRAIN_D_FIRST = _record("train_d_first_run")

# Round four: blind8 and blind9 (new writers) at the start (f3e96ee) and at the end
# (read by _before_after in main()); train_a and train_b as first measured, before they
# were used for training.
TRAIN_A_FIRST = _record("train_a_first_run")
TRAIN_B_FIRST = _record("train_b_first_run")

ROUND_FIVE_INTRO = (
    "Written for round five by two new writers who saw no rules and no other set (en/es "
    "150 each, so/hmn/vi 40 each; about a third crisis, 30% look-alikes). Never opened: "
    "each was measured on arrival on the code at the start of the round (9ea17ec), and "
    "once at its end. Two more writers wrote training sets: `train_c` (700 replies, 45% "
    "look-alikes) and `train_d` (700: complaints of every sort, ok replies full of "
    "negative words), each measured once on arrival (below). blind8 and blind9, measured "
    "before and after round four, became training data. Round five: crisis-tier phrases "
    "for a weapon aimed or threatened, a means saved up with a time, a household chemical "
    "drunk, strangling, a house burnt with the client inside (found in the demo and on "
    "the training sets); urgent_review kinds the training sets showed missing; past "
    "events in every language lower a crisis-tier hit to urgent_review; the three models "
    "retrained on 17 sets (8,941 replies); the veto floor raised 0.005 -> 0.02, chosen "
    "leaving one writer's set out at a time (10 sets): no crisis message the lists "
    "flagged was dropped, 320 of 562 false list hits were."
)
ROUND_FIVE_SECOND_PASS = (
    "After blind10 and blind11 were measured after the first pass, both became training "
    "data (blind10 was opened: its misses and false alarms gave the kinds of the second "
    "pass), and a fifth writer wrote `blind12`, measured on arrival at the end of the "
    "first pass and once at the end of the second, never opened. The second pass: "
    "crisis-tier phrases for fuels and washer fluid drunk, a pest poison eaten, fever in "
    "a baby a few weeks old; urgent_review kinds (a running engine in the garage, on a "
    "bridge looking down); look-alikes (dying at the bill, asking whether a pest poison "
    "is safe, bleeding gums, a killing look, blood pressure in Somali and Hmong); the "
    "models retrained on 19 sets (9,781 replies); the veto floor 0.02 -> 0.04, chosen "
    "leaving one writer's set out at a time over 12 sets (no crisis message the lists "
    "flagged dropped; 421 of 648 false list hits dropped)."
)
ROUND_FIVE_SECOND_READING = (
    "Reading the second pass (blind12): crisis messages in either tier 0.95 -> 0.95 "
    "(123 -> 124 of 130), false crisis-tier replies 7 -> 7, urgent_review false alarms "
    "11% -> 9%; dissatisfaction recall 0.88 -> 0.88 (en 0.95 -> 0.92, es 0.86 -> 0.86) "
    "at false alarms 0.05 -> 0.04. On three writers who never saw the rules, round five "
    "moved false alarms a few points and recall in either tier about one message per "
    "set: what is learned from one writer's look-alikes and crisis wording carries over "
    "to the next only in part. Six crisis messages of 130 still reach no tier."
)
ROUND_FIVE_READING = (
    "Reading round five: crisis messages in either tier 0.96 -> 0.96 (132 -> 133 of 138, "
    "blind10) and 0.95 -> 0.96 (130 -> 132 of 137, blind11); false crisis-tier replies "
    "9 -> 2 and 3 -> 2; urgent_review false alarms 12% -> 13% and 17% -> 13%. "
    "Dissatisfaction recall 0.96 -> 0.96 and 0.89 -> 0.90 (en 1.00 and 0.93, es 0.90 and "
    "0.88) at false alarms 0.08 -> 0.08 and 0.06 -> 0.05 (en 0.15 -> 0.11 on blind10). "
    "Not met: 5 crisis messages on each set reach no tier; urgent_review false alarms are "
    "13%, not 5%; es complaint recall is 0.88 on blind11 and en false alarms 0.11 on "
    "blind10. Leaving one training writer out at a time, the veto dropped 57% of false "
    "list hits; on blind10 false alarms did not fall, so what it learned from the "
    "training writers' look-alikes did not carry over to that writer's."
)

# blind6 (a second held-out set of round three) at the start (bc77884).
BLIND6_BEFORE = _record("blind6_before")

# blind6 when it arrived, at the code blind5 was measured on (lists of blind3/blind4, first models).
BLIND6_MID = _record("blind6_mid")

# blind6 at the end of round three (0d67d53): lists also learned train_crisis, models retrained with it.
BLIND6_AFTER = _record("blind6_after")

# blind7 (the last held-out set of round three) at the start (bc77884).
BLIND7_BEFORE = _record("blind7_before")

# blind7 on arrival (a488ba1: lists of blind3/blind4/train_crisis, models with train_crisis).
BLIND7_MID = _record("blind7_mid")

# blind7 after the models were retrained with train_mix (73b0551).
BLIND7_AFTER = _record("blind7_after")

# train_mix measured once before it was used (a488ba1).
TRAIN_MIX_FIRST = _record("train_mix_first")

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
    if VADER_DIR is None or not VADER_DIR.is_dir():
        return [], (
            "VADER paper data not found (set CFBOT_VADER_DATA to the directory of the "
            "paper's corpora): skipped"
        )
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


def _interleaved_us(
    fns: dict[str, Callable[[], object]], n: int, repeat: int = 7
) -> dict[str, float]:
    """Best-of-``repeat`` microseconds per call of each function, the functions taking
    turns within every round: this machine has slow spells, and timing one function
    after another let a spell fall on one side of a ratio."""
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeat):
        for name, fn in fns.items():
            t0 = time.perf_counter_ns()
            for _ in range(n):
                fn()
            best[name] = min(best[name], (time.perf_counter_ns() - t0) / n / 1000)
    return best


def _cycle(n: int) -> Callable[[], int]:
    """1, 2, ..., n-1, 0, 1, ...: the index of the next reply to time, so that the
    timed functions do not read the same reply (and its cached answers) again."""
    counter = itertools.count(1)
    return lambda: next(counter) % n


def cost(rows: list[dict[str, str]]) -> list[list[str]]:
    """Best-of-7 microseconds per reply over the labelled set, interleaved."""
    texts = [(r["text"], r["lang"], r["question"]) for r in rows]
    en = [t for t in texts if t[1] == "en"]
    classify(*texts[0])  # warm caches: lexicons, VADER, compiled patterns
    out = []
    for label, sample in (("English replies", en), ("all five languages", texts)):
        step = _cycle(len(sample))

        def nxt(sample=sample, step=step) -> tuple[str, str, str]:
            return sample[step()]

        us = _interleaved_us(
            {
                "plain": lambda nxt=nxt: vader_compound(nxt()[0]),
                "ours": lambda nxt=nxt: score(*nxt()),
                "full": lambda nxt=nxt: classify(*nxt()),
                "crisis": lambda nxt=nxt: assess(nxt()[0]),
            },
            len(sample) * 2,
        )
        plain, ours, full, crisis = us["plain"], us["ours"], us["full"], us["crisis"]
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


def cost_parts(rows: list[dict[str, str]]) -> list[list[str]]:
    """Where classify()'s time goes: each step it takes, timed on its own over all five
    languages (interleaved, best of 7), in µs and as a multiple of plain VADER. The
    steps overlap a little (classify() detects the language once for all of them)."""
    texts = [(r["text"], r["lang"], r["question"]) for r in rows]
    langs = [detect_language(t, lang) for t, lang, _ in texts]
    classify(*texts[0])
    nxt = _cycle(len(texts))

    def lang_step() -> object:
        i = nxt()
        # a new string each time: detect_language keeps the last text's answer
        return detect_language(texts[i][0] + " ", texts[i][1])

    steps: dict[str, Callable[[], object]] = {
        "plain VADER": lambda: vader_compound(texts[nxt()][0]),
        "detect_language()": lang_step,
        "score() in the detected language": lambda: score(
            texts[(i := nxt())][0], langs[i], texts[i][2]
        ),
        "feedback model": lambda: feedback_model.p_dissatisfied(texts[nxt()][0]),
        "assess() (both tiers, lists and models)": lambda: assess(texts[nxt()][0]),
        "classify() (everything)": lambda: classify(*texts[nxt()]),
    }
    us = _interleaved_us(steps, len(texts) * 2)
    plain = us["plain VADER"]
    return [[name, f"{v:.1f}", f"{v / plain:.2f}x"] for name, v in us.items()]


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
    kp_table = cost_parts(rows)

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
        "## 0-seven. Held-out sets `blind17` and `blind18` (440 replies each; round seven)",
        "",
        ROUND_SEVEN_INTRO,
        "",
        *_before_after("blind17", "seven", "0a50db0"),
        *_before_after("blind18", "seven", "0a50db0"),
        ROUND_SEVEN_READING,
        "",
        "### `train_h` and `train_i` as first measured (0a50db0, before they were used)",
        "",
        TRAIN_H_FIRST,
        "",
        TRAIN_I_FIRST,
        "",
        "## 0-six. Held-out sets `blind13`, `blind14` and `blind15` (440 replies each; "
        "round six, three passes)",
        "",
        ROUND_SIX_INTRO,
        "",
        *_before_after("blind13", "six", "0ec954b"),
        ROUND_SIX_READING,
        "",
        "### blind14: the second pass of round six",
        "",
        ROUND_SIX_SECOND_PASS,
        "",
        "Before (8ec8026, the end of the first pass):",
        "",
        BLIND14_BEFORE,
        "",
        "After:",
        "",
        BLIND14_AFTER,
        "",
        ROUND_SIX_SECOND_READING,
        "",
        "### blind15: the third pass of round six",
        "",
        ROUND_SIX_THIRD_PASS,
        "",
        "Before (5108a44, the end of the second pass):",
        "",
        BLIND15_BEFORE,
        "",
        "After:",
        "",
        BLIND15_AFTER,
        "",
        ROUND_SIX_THIRD_READING,
        "",
        "### blind16: the end of round six against its start",
        "",
        "A new writer's `blind16` (440 replies), written after the fix above and measured "
        "once on the code of the round's start (0ec954b) and once on its end, never opened:",
        "",
        "Before (0ec954b):",
        "",
        BLIND16_BEFORE,
        "",
        "After (the end of round six):",
        "",
        BLIND16_AFTER,
        "",
        ROUND_SIX_FINAL,
        "",
        "### `train_e`, `train_f` and `train_g` as first measured (before they were used)",
        "",
        "train_e and train_f on 0ec954b's lists and models (measured before any change of "
        "round six):",
        "",
        TRAIN_E_FIRST,
        "",
        TRAIN_F_FIRST,
        "",
        "train_g on 8ec8026 (the end of the first pass):",
        "",
        TRAIN_G_FIRST,
        "",
        "## 0-five. Held-out sets `blind10` and `blind11` (420 replies each; round five)",
        "",
        ROUND_FIVE_INTRO,
        "",
        *_before_after("blind10", "five", "9ea17ec"),
        *_before_after("blind11", "five", "9ea17ec"),
        ROUND_FIVE_READING,
        "",
        "### blind12: a second pass of round five",
        "",
        ROUND_FIVE_SECOND_PASS,
        "",
        "Before (ead8d76, the end of the first pass):",
        "",
        BLIND12_BEFORE,
        "",
        "After:",
        "",
        BLIND12_AFTER,
        "",
        ROUND_FIVE_SECOND_READING,
        "",
        "### `train_c` and `train_d` as first measured (before they were used)",
        "",
        "train_c on ea914f2, train_d on 78ae5c0 (the code of that moment, before any "
        "retraining of round five):",
        "",
        TRAIN_C_FIRST,
        "",
        TRAIN_D_FIRST,
        "",
        "## 0-new. Held-out sets `blind8` and `blind9` (420 replies each; round four)",
        "",
        "Written for round four by two new writers who saw no rules and no other set (en/es "
        "150 each, so/hmn/vi 40 each; about 30% crisis, 30% look-alikes). Never opened: "
        "each was measured on arrival, before any change of round four, and once at its "
        "end. Two more writers wrote `train_a` and `train_b` (650 replies each), measured "
        "once on arrival (below), then used for training. After their last measurement "
        "the round-three held-out sets blind5, blind6 and blind7 were opened and became "
        "training data too (their figures below stay as recorded). Round four changed no "
        "phrase list: it retrained the safety net and the feedback model on the larger "
        "data (13 sets, 6,700 replies) and added the veto (a third model that reads a "
        "text the lists flagged and drops the hit when it is sure it is a look-alike; a "
        "crisis-tier hit is only lowered to urgent_review). The veto's floor was chosen "
        "leaving one writer's set out at a time so that no crisis message the lists "
        "flagged was dropped.",
        "",
        *_before_after("blind8", "four", "f3e96ee"),
        *_before_after("blind9", "four", "f3e96ee"),
        "Reading round four: urgent_review false alarms fell 21% -> 14% (blind8) and "
        "16% -> 9% (blind9) while unseen crisis recall in either tier rose 0.91 -> 0.93 "
        "and 0.94 -> 0.95; false crisis-tier replies 5 -> 4 and 0 -> 0. Dissatisfaction "
        "recall rose 0.80 -> 0.89 and 0.79 -> 0.88 (en 0.89 and 0.82, es 0.89 and 0.89) "
        "at false alarms 0.10 -> 0.06 and 0.08 -> 0.06. Still short of the goals: 9 and 6 "
        "crisis messages reach no tier, false alarms are above 5%, en/es complaint recall "
        "is just under 0.9 on one set each.",
        "",
        "### `train_a` and `train_b` as first measured (f3e96ee, before they were used)",
        "",
        TRAIN_A_FIRST,
        "",
        TRAIN_B_FIRST,
        "",
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
            "(the VADER paper's corpora, read from the directory in `CFBOT_VADER_DATA`, not "
            "copied into the repo). `score()` is the general "
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
        "Best of 7 passes over the labelled replies, the four functions taking turns in "
        "every pass (this machine has slow spells); single thread.",
        "",
        md_table(k_head, k_table),
        "",
        "Where classify()'s time goes (each step on its own, all five languages):",
        "",
        md_table(["step", "µs per reply", "x plain VADER"], kp_table),
        "",
        "At the start of round three the same table read: score() 5.65x (English) / 7.39x "
        "(five languages), classify() 15.69x / 27.74x. Round three made the lists match "
        "by word starts (services/lexmatch.py), returned early from assess() when no list "
        "phrase can match, and skipped lingua for replies made of known words; it also "
        "added the two learned models (about 30 µs on a free-text reply). What keeps "
        "classify() above 3x: lingua on replies with unknown words (75-100 µs a call, "
        "about 4x VADER by itself), and assess() plus score() already near 5x together.",
        "",
        "Round five ran on a new machine, where the same code is slower against VADER than "
        "where round four's table was taken (round four: classify() 10.30x / 11.31x). "
        "Measured here, alternating the code of the round's start (9ea17ec) and its end "
        "twice over the labelled replies (VADER about 22 µs a call both ways), classify() "
        "was 13.9x and 15.7x before against 14.4x and 18.1x after, and assess() 3.9x and "
        "4.7x against 4.6x and 5.4x: the round's new phrases cost about 15% of assess().",
        "",
        "Round six added the step table above. No step is within the 3x goal by itself "
        "except the feedback model: score() (VADER plus our lexicons, about 3x) and "
        "assess() (every language's phrase lists and two models, about 3x) each cost as "
        "much as the whole budget, and lingua, where the known words do not decide the "
        "language, adds more. Meeting 3x would take a different design (one compiled "
        "scan for every list, or a compiled scorer), not trimming; round six only "
        "removed a repeated look-alike scan from assess()'s common path.",
        "",
        "Round seven indexed each list alternative by up to four starting characters "
        "(lexmatch.py; 148 -> 11 alternatives tried per word start in the largest list) "
        "and made the quiet check one scan where a text's two views are the same: "
        "assess() 2.85x -> 2.34x and classify() 9.9x -> 9.3x, the start and end "
        "alternated in one session. The round's 375 new list patterns then took assess() "
        "back to about 3x (table above); classify() stays near 10x. The cause is the "
        "same as before: lingua and Python-level scanning, not a step that trimming "
        "could remove.",
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
