"""Train the small crisis model shipped as cfbot/lexicons/safety_model.json.

    python benchmarks/sentiment/train_safety_model.py [--sets dev4,blind3,...] [--check]

A multinomial logistic regression (none / self_harm / violence_abuse /
medical_emergency) over word and character n-grams (cfbot.services.safety_model),
trained with AdaGrad in pure Python, deterministic. Only development sets are used:
never a held-out set that is still being measured. The phrase lists were tuned on the
same sets, so cross-validation here says little about the model's worth; the threshold
(``--threshold``) was chosen on blind4 before blind4 was opened (benchmarks/sentiment/
RESULTS.md), and the honest figure is the next held-out set.

``--check`` trains and prints the cross-validated figures without writing the file.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from cfbot.services.crisis import _prepare, assess  # noqa: E402
from cfbot.services.safety_model import CLASSES, MIN_WORDS, Model, features  # noqa: E402

DATA = ROOT / "benchmarks" / "data"
OUT = ROOT / "cfbot" / "lexicons" / "safety_model.json"
DEFAULT_SETS = "feedback_labelled,safety_dev,dev4,blind3"
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


def load_rows(names: list[str]) -> list[tuple[str, str]]:
    """(text, class) pairs from the named sets in benchmarks/data."""
    rows: list[tuple[str, str]] = []
    for name in names:
        with (DATA / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                text = r["text"]
                if "label" in r:  # three-label sets
                    crisis = r["label"] == "crisis"
                    kind = r.get("kind", "")
                elif "expect" in r:  # safety_dev: crisis / either / none
                    crisis = r["expect"] in ("crisis", "either")
                    kind = ""
                else:  # feedback_labelled: crisis column holds the category
                    crisis = bool(r["crisis"])
                    kind = r["crisis"]
                if not crisis:
                    rows.append((text, "none"))
                    continue
                cat = assess(text, model=False).category or KIND_CATEGORY.get(kind) or kind
                rows.append((text, cat if cat in CLASSES[1:] else "self_harm"))
    return rows


def _softmax(sums: list[float]) -> list[float]:
    top = max(sums)
    exps = [math.exp(s - top) for s in sums]
    total = sum(exps)
    return [e / total for e in exps]


def train(
    data: list[tuple[list[str], int]], epochs: int = 4, rate: float = 0.3, l2: float = 1e-2
) -> tuple[dict[str, list[float]], list[float]]:
    k = len(CLASSES)
    weights: dict[str, list[float]] = {}
    grad2: dict[str, list[float]] = {}
    bias = [0.0] * k
    bias_g2 = [1e-8] * k
    order = list(range(len(data)))
    rng = random.Random(7)
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


def prune(weights: dict[str, list[float]], keep: int) -> dict[str, list[float]]:
    ranked = sorted(weights.items(), key=lambda kv: -max(abs(x) for x in kv[1]))
    return {f: [round(x, 4) for x in w] for f, w in ranked[:keep]}


def encode(rows: list[tuple[str, str]]) -> list[tuple[list[str], int]]:
    return [(features(_prepare(t)[0]), CLASSES.index(c)) for t, c in rows]


def cross_validate(
    rows: list[tuple[str, str]], keep: int, folds: int = 5
) -> list[tuple[float, bool, bool]]:
    """Out-of-fold (P(crisis), is crisis, lists found it) for every row."""
    out: list[tuple[float, bool, bool]] = []
    fold_of = [zlib.crc32(t.encode()) % folds for t, _ in rows]
    enc = encode(rows)
    for k in range(folds):
        tr = [e for e, f in zip(enc, fold_of, strict=True) if f != k]
        w, b = train(tr)
        model = Model({f: tuple(v) for f, v in prune(w, keep).items()}, tuple(b), 0.5)
        for (text, cls), f in zip(rows, fold_of, strict=True):
            if f != k:
                continue
            folded = _prepare(text)[0]
            p = 0.0 if len(folded.split()) < MIN_WORDS else 1 - model.probabilities(folded)[0]
            out.append((p, cls != "none", assess(text, model=False).tier is not None))
    return out


def report(cv: list[tuple[float, bool, bool]], t: float) -> str:
    crisis = [(p, listed) for p, c, listed in cv if c]
    non = [(p, listed) for p, c, listed in cv if not c]
    lists_only = sum(listed for _, listed in crisis)
    both = sum(listed or p >= t for p, listed in crisis)
    fa_lists = sum(listed for _, listed in non)
    fa_both = sum(listed or p >= t for p, listed in non)
    return (
        f"threshold {t:.2f}; crisis caught (either tier) lists {lists_only}/{len(crisis)}, "
        f"lists+model {both}/{len(crisis)}; non-crisis with a tier lists {fa_lists}/{len(non)}, "
        f"lists+model {fa_both}/{len(non)} (out-of-fold, five folds)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default=DEFAULT_SETS, help="comma-separated benchmarks/data sets")
    ap.add_argument("--keep", type=int, default=12000, help="n-grams kept (largest weights)")
    ap.add_argument("--threshold", type=float, default=0.7, help="P(crisis) that raises a tier")
    ap.add_argument("--check", action="store_true", help="cross-validate only, write nothing")
    args = ap.parse_args()
    names = [n.strip() for n in args.sets.split(",") if n.strip()]
    rows = load_rows(names)
    cv = cross_validate(rows, args.keep)
    t = args.threshold
    print(f"{len(rows)} rows from {', '.join(names)}")
    print(report(cv, t))
    if args.check:
        return
    w, b = train(encode(rows))
    data = {
        "about": "Trained by benchmarks/sentiment/train_safety_model.py; see "
        "cfbot/services/safety_model.py.",
        "sets": names,
        "classes": list(CLASSES),
        "threshold": t,
        "bias": [round(x, 4) for x in b],
        "weights": prune(w, args.keep),
    }
    OUT.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
