"""Train the three small n-gram models shipped in cfbot/lexicons/.

    python benchmarks/sentiment/train_models.py [--check] [--only safety|veto|feedback]

* ``safety_model.json``: none / self_harm / violence_abuse / medical_emergency, read
  on the text with known look-alikes taken out (cfbot.services.crisis.model_view). It
  can only raise ``urgent_review`` where the phrase lists found nothing.
* ``safety_veto.json``: look-alike / crisis, read on the whole folded text when the
  lists flagged it (cfbot.services.safety_model.lookalike): below its floor an
  ``urgent_review`` hit is dropped and a ``crisis`` hit lowered to ``urgent_review``.
  Its floor is chosen leaving one writer's set out at a time (``--check`` prints it).
* ``feedback_model.json``: ok / dissatisfied, asked where the lexicon scorer found no
  complaint (cfbot.services.reply_scoring.score_with_model).

All three are multinomial logistic regressions over word and letter n-grams
(cfbot.services.ngram_model), trained with AdaGrad in pure Python, each the average of
three runs in fixed shuffle orders (SEEDS), deterministic. Only
development sets are used (DEV_SETS), never a held-out set that is still being measured.
The lists and lexicons were tuned on the same sets, so cross-validation here says little
about recall on unseen replies; it does say how often a model flags ordinary replies,
and each threshold is the lowest at which that stays within the budget below. The
honest figures are on the held-out set (benchmarks/sentiment/RESULTS.md).

``--check`` cross-validates and prints the figures without writing the files.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from cfbot.services import feedback_model, safety_model  # noqa: E402
from cfbot.services.crisis import assess, folded_text, model_view  # noqa: E402
from cfbot.services.ngram_model import Model, features  # noqa: E402
from cfbot.services.sentiment import DEFAULT_TEXT_THRESHOLD, score  # noqa: E402

DATA = ROOT / "benchmarks" / "data"
LEXICONS = ROOT / "cfbot" / "lexicons"
DEV_SETS = (
    "feedback_labelled",
    "safety_dev",
    "dev4",
    "blind3",
    "blind4",
    "ordinary_dev",
    "train_crisis",
    "train_mix",
    "blind5",
    "blind6",
    "blind7",
    "train_a",
    "train_b",
    "blind8",
    "blind9",
    "train_c",
    "train_d",
    "blind10",
    "blind11",
    "blind12",
    "train_e",
    "train_f",
    "blind13",
    "train_g",
    "blind14",
    "blind15",
    "blind16",
    "train_h",
    "train_i",
)
KEEP = 20000  # n-grams kept per model (largest weights)
SAFETY_MAX_FALSE = 0.02  # share of non-crisis replies the safety model may flag
FEEDBACK_MAX_FALSE = 0.04  # share of ok replies the feedback model may turn into complaints
# (round six: 0.05 -> 0.04; averaging three orders put more replies near the threshold,
# and at 0.05 it called "the nurse was lovely and explained everything" a complaint)
# Below this P(dissatisfied) the feedback model overrules a lexicon complaint; chosen by
# cross-validation (0.1: en false alarms 0.11 -> 0.08 for recall 0.912 -> 0.906).
FEEDBACK_FLOOR = 0.1
# Below this P(crisis) the veto drops a list hit; chosen leaving one writer's set out at
# a time (VETO_HOLD; `--check --only veto`, which also prints the crisis messages a
# floor would drop). Round seven: after the sweeps the lists flag few ordinary
# development replies, and no floor drops none of the crisis messages: 0.005 drops 2 of
# 2,917 (one a goodbye the veto puts below 0.001) and 37 of 70 false list hits; 0.03
# dropped 5 and 45. The lowest floor scanned is kept: a missed crisis costs more than a
# false alarm. (Round six: 0.03, none of 1,933 dropped; round five: 0.02, then 0.04.)
VETO_FLOOR = 0.005


# AdaGrad settings per model; a small rate keeps the probabilities from saturating
class Training(NamedTuple):
    epochs: int
    rate: float
    l2: float


SAFETY_TRAINING = Training(epochs=4, rate=0.3, l2=1e-2)
FEEDBACK_TRAINING = Training(epochs=6, rate=0.01, l2=1e-2)
VETO_TRAINING = Training(epochs=6, rate=0.05, l2=1e-2)
# sets written apart from the lists' tuning, each by one writer (train_mix and everything
# after it in DEV_SETS), each left out in turn to choose VETO_FLOOR
VETO_HOLD = DEV_SETS[DEV_SETS.index("train_mix") :]
KIND_CATEGORY = {
    "medical": "medical_emergency",
    "overdose": "medical_emergency",
    "poisoning": "medical_emergency",
    "suicidal": "self_harm",
    "means": "self_harm",
    "selfharm": "self_harm",
    "self_harm": "self_harm",
    "idiom": "self_harm",
    "violence": "violence_abuse",
    "abuse": "violence_abuse",
    "stalking": "violence_abuse",
    "child_abuse": "violence_abuse",
    "sexual_assault": "violence_abuse",
    "elder_abuse": "violence_abuse",
    "threat_to_others": "violence_abuse",
}


class Row:
    """One labelled reply: text, survey language, question, crisis category or None,
    dissatisfied (None when unknown, e.g. safety_dev), whether it is a look-alike, the
    set it came from, and the tier the phrase lists alone give it (asked once here)."""

    def __init__(
        self,
        text: str,
        lang: str,
        question: str,
        crisis: str | None,
        dissatisfied: bool | None,
        lookalike: bool = False,
        source: str = "",
        listed: str | None = None,
    ) -> None:
        self.text, self.lang, self.question = text, lang, question
        self.crisis, self.dissatisfied = crisis, dissatisfied
        self.lookalike, self.source, self.listed = lookalike, source, listed


def load_rows(names: tuple[str, ...] = DEV_SETS) -> list[Row]:
    rows: list[Row] = []
    for name in names:
        with (DATA / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                text, lang, question = r["text"], r.get("lang", "en"), r.get("question", "")
                if "label" in r:  # three-label sets
                    crisis = r["label"] == "crisis"
                    kind = r.get("kind", "")
                    dis: bool | None = None if crisis else r["label"] == "dissatisfied"
                elif "expect" in r:  # safety_dev: crisis / either / none
                    crisis, kind, dis = r["expect"] in ("crisis", "either"), "", None
                else:  # feedback_labelled: crisis column holds the category
                    crisis, kind = bool(r["crisis"]), r["crisis"]
                    dis = None if crisis else r["dissatisfied"] == "1"
                lists = assess(text, model=False)
                cat = None
                if crisis:
                    cat = lists.category or KIND_CATEGORY.get(kind) or kind
                    cat = cat if cat in safety_model.CLASSES[1:] else "self_harm"
                lookalike = kind == "lookalike"
                rows.append(Row(text, lang, question, cat, dis, lookalike, name, lists.tier))
    return rows


def _softmax(sums: list[float]) -> list[float]:
    top = max(sums)
    exps = [math.exp(s - top) for s in sums]
    total = sum(exps)
    return [e / total for e in exps]


def train(
    data: list[tuple[list[str], int]],
    k: int,
    epochs: int = 4,
    rate: float = 0.3,
    l2: float = 1e-2,
    seed: int = 7,
) -> tuple[dict[str, list[float]], list[float]]:
    weights: dict[str, list[float]] = {}
    grad2: dict[str, list[float]] = {}
    bias = [0.0] * k
    bias_g2 = [1e-8] * k
    order = list(range(len(data)))
    rng = random.Random(seed)
    for _ in range(epochs):
        rng.shuffle(order)
        for idx in order:
            feats, y = data[idx]
            sums = list(bias)
            for f in feats:
                w = weights.get(f)
                if w is not None:
                    for i in range(k):
                        sums[i] += w[i]
            probs = _softmax(sums)
            for i in range(k):
                g = probs[i] - (1.0 if i == y else 0.0)
                bias_g2[i] += g * g
                bias[i] -= rate * g / math.sqrt(bias_g2[i])
            for f in feats:
                w = weights.setdefault(f, [0.0] * k)
                g2 = grad2.setdefault(f, [1e-8] * k)
                for i in range(k):
                    g = probs[i] - (1.0 if i == y else 0.0) + l2 * w[i]
                    g2[i] += g * g
                    w[i] -= rate * g / math.sqrt(g2[i])
    return weights, bias


# Each model is the average of models trained in these shuffle orders (one linear model:
# averaging the weights averages the scores). One order alone moved the safety net's
# answer on some unseen messages from p=1.00 to p=0.13 between retrainings (blind14);
# averaging three kept the catch at the top of the single orders' range with fewer
# false alarms (31 of 40 unlisted crisis messages at 4 false alarms, against 27-31 at
# 4-6).
SEEDS = (7, 8, 9)


def train_averaged(
    data: list[tuple[list[str], int]], k: int, settings: Training
) -> tuple[dict[str, list[float]], list[float]]:
    """:func:`train` once per shuffle order of SEEDS, weights and biases averaged."""
    runs = [train(data, k, *settings, seed=seed) for seed in SEEDS]
    weights: dict[str, list[float]] = {}
    for w, _ in runs:
        for f, v in w.items():
            acc = weights.setdefault(f, [0.0] * k)
            for i in range(k):
                acc[i] += v[i] / len(runs)
    bias = [sum(b[i] for _, b in runs) / len(runs) for i in range(k)]
    return weights, bias


def prune(weights: dict[str, list[float]], keep: int = KEEP) -> dict[str, list[float]]:
    ranked = sorted(weights.items(), key=lambda kv: -max(abs(x) for x in kv[1]))
    return {f: [round(x, 4) for x in w] for f, w in ranked[:keep]}


def _fit(data: list[tuple[list[str], int]], k: int, settings: Training) -> Model:
    """A model trained on ``data``, pruned as shipped (threshold unused)."""
    w, b = train_averaged(data, k, settings)
    return Model({f: tuple(v) for f, v in prune(w).items()}, tuple(b), 0.5)


def out_of_fold(
    views: list[str],
    ys: list[int],
    k: int,
    min_words: int,
    settings: Training,
    folds: int = 5,
) -> list[tuple[float, ...]]:
    """Class probabilities for every row from a model that did not see it."""
    fold_of = [zlib.crc32(v.encode()) % folds for v in views]
    enc = [(features(v), y) for v, y in zip(views, ys, strict=True)]
    probs: list[tuple[float, ...]] = [(1.0,) + (0.0,) * (k - 1)] * len(views)
    for part in range(folds):
        model = _fit([e for e, f in zip(enc, fold_of, strict=True) if f != part], k, settings)
        for i, v in enumerate(views):
            if fold_of[i] == part and len(v.split()) >= min_words:
                probs[i] = model.probabilities(v)
    return probs


def lowest_threshold(flagged: Callable[[float], int], budget: float) -> float:
    """The lowest threshold (0.20-0.99) at which ``flagged`` stays within ``budget``.
    From 0.20, not 0.50: the average of three models gives less extreme probabilities
    (where the three disagree), and a scan from 0.50 left the safety net's threshold
    stuck at 0.50, well within its false-alarm budget (blind15 lost 11 crisis messages
    it had caught)."""
    for t in [x / 100 for x in range(20, 100)]:
        if flagged(t) <= budget:
            return t
    return 0.99


def write(
    name: str,
    classes: tuple[str, ...],
    views: list[str],
    ys: list[int],
    t: float,
    settings: Training,
    floor: float = 0.0,
) -> None:
    data_ = [(features(v), y) for v, y in zip(views, ys, strict=True)]
    w, b = train_averaged(data_, len(classes), settings)
    out = LEXICONS / name
    data = {
        "about": "Trained by benchmarks/sentiment/train_models.py; see cfbot/services/"
        "ngram_model.py.",
        "sets": list(DEV_SETS),
        "classes": list(classes),
        "threshold": t,
        "floor": floor,
        "bias": [round(x, 4) for x in b],
        "weights": prune(w),
    }
    out.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)} ({out.stat().st_size // 1024} KB)")


def safety(rows: list[Row], check: bool) -> None:
    views = [model_view(r.text) for r in rows]
    ys = [safety_model.CLASSES.index(r.crisis or "none") for r in rows]
    listed = [r.listed is not None for r in rows]
    probs = out_of_fold(
        views, ys, len(safety_model.CLASSES), safety_model.MIN_WORDS, SAFETY_TRAINING
    )
    p = [1 - pr[0] for pr in probs]
    crisis = [i for i, r in enumerate(rows) if r.crisis]
    non = [i for i, r in enumerate(rows) if not r.crisis]
    t = lowest_threshold(
        lambda t: sum(not listed[i] and p[i] >= t for i in non), SAFETY_MAX_FALSE * len(non)
    )
    for x in sorted({0.5, 0.7, 0.9, 0.95, 0.98, 0.99, t}):
        print(
            f"safety t={x:.2f}: crisis caught lists {sum(listed[i] for i in crisis)}/"
            f"{len(crisis)}, lists+model {sum(listed[i] or p[i] >= x for i in crisis)}/"
            f"{len(crisis)}; non-crisis flagged lists {sum(listed[i] for i in non)}/{len(non)}"
            f", lists+model {sum(listed[i] or p[i] >= x for i in non)}/{len(non)} (out of fold)"
        )
    if not check:
        write("safety_model.json", safety_model.CLASSES, views, ys, t, SAFETY_TRAINING)


def _veto_rows(rows: list[Row]) -> list[tuple[Row, str, int, str | None]]:
    """Rows the veto learns from: crisis messages, look-alikes and anything the lists
    flag, each with its folded text, 1 for crisis, and the lists' tier."""
    return [
        (r, folded_text(r.text), int(bool(r.crisis)), r.listed)
        for r in rows
        if r.crisis or r.lookalike or r.listed is not None
    ]


def veto(rows: list[Row], check: bool) -> None:
    picked = _veto_rows(rows)
    if check:  # leave one writer's set out at a time; crisis rows the lists caught
        floors = (0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.1)
        lost = dict.fromkeys(floors, 0)
        dropped = dict.fromkeys(floors, 0)
        caught = flagged = 0
        for held in VETO_HOLD:
            model = _fit(
                [(features(v), y) for r, v, y, _ in picked if r.source != held],
                2,
                VETO_TRAINING,
            )
            for r, v, y, tier in picked:
                if r.source != held or tier is None:
                    continue
                p = model.probabilities(v)[1]
                caught += y
                flagged += 1 - y
                for f in floors:  # a crisis-tier hit is only lowered, never dropped
                    lost[f] += y and tier == "urgent_review" and p < f
                    dropped[f] += (not y) and tier == "urgent_review" and p < f
                if y and tier == "urgent_review" and p < 0.05:  # development sets only
                    print(f"  crisis dropped below {p:.3f} ({held}): {r.text[:120]}")
        for f in floors:
            print(
                f"veto floor {f}: of {caught} crisis messages the lists flagged in "
                f"{', '.join(VETO_HOLD)} (each left out in turn), {lost[f]} dropped; "
                f"of {flagged} non-crisis list hits, {dropped[f]} dropped"
            )
        return
    views = [v for _, v, _, _ in picked]
    ys = [y for _, _, y, _ in picked]
    write(
        "safety_veto.json",
        safety_model.VETO_CLASSES,
        views,
        ys,
        1.0,
        VETO_TRAINING,
        VETO_FLOOR,
    )


def feedback(rows: list[Row], check: bool) -> None:
    rows = [r for r in rows if r.dissatisfied is not None]
    views = [feedback_model.model_view(r.text) for r in rows]
    ys = [int(bool(r.dissatisfied)) for r in rows]
    lexicon = [score(r.text, r.lang, r.question) for r in rows]
    said = [s.score is not None and s.score <= DEFAULT_TEXT_THRESHOLD for s in lexicon]
    probs = out_of_fold(views, ys, 2, feedback_model.MIN_WORDS, FEEDBACK_TRAINING)
    p = [pr[1] for pr in probs]
    dis = [i for i, r in enumerate(rows) if r.dissatisfied]
    ok = [i for i, r in enumerate(rows) if not r.dissatisfied]
    t = lowest_threshold(
        lambda t: sum(not said[i] and p[i] >= t for i in ok), FEEDBACK_MAX_FALSE * len(ok)
    )
    final = [
        (said[i] and (len(views[i].split()) < 2 or p[i] >= FEEDBACK_FLOOR)) or p[i] >= t
        for i in range(len(rows))
    ]
    print(
        f"feedback t={t:.2f}, floor {FEEDBACK_FLOOR}: complaints found "
        f"{sum(final[i] for i in dis)}/{len(dis)}; ok replies called complaints "
        f"{sum(final[i] for i in ok)}/{len(ok)} (out of fold)"
    )
    for x in sorted({0.5, 0.7, 0.9, t}):
        print(
            f"feedback t={x:.2f}: complaints found lexicons {sum(said[i] for i in dis)}/"
            f"{len(dis)}, lexicons+model {sum(said[i] or p[i] >= x for i in dis)}/{len(dis)}"
            f"; ok replies called complaints lexicons {sum(said[i] for i in ok)}/{len(ok)}, "
            f"lexicons+model {sum(said[i] or p[i] >= x for i in ok)}/{len(ok)} (out of fold)"
        )
    if not check:
        write(
            "feedback_model.json",
            feedback_model.CLASSES,
            views,
            ys,
            t,
            FEEDBACK_TRAINING,
            FEEDBACK_FLOOR,
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="cross-validate only, write nothing")
    ap.add_argument("--only", choices=("safety", "veto", "feedback"), help="train one model")
    args = ap.parse_args()
    rows = load_rows()
    print(f"{len(rows)} rows from {', '.join(DEV_SETS)}")
    if args.only in (None, "safety"):
        safety(rows, args.check)
    if args.only in (None, "veto"):
        veto(rows, args.check)
    if args.only in (None, "feedback"):
        feedback(rows, args.check)


if __name__ == "__main__":
    main()
