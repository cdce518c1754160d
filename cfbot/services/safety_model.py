"""A small learned net under the crisis phrase lists: a linear model over word and
character n-grams that catches crisis messages phrased in ways no list holds.

The phrase lists (``lexicons/crisis.yaml`` and ``urgent_review.yaml``) decide first; this
model is only asked when they found nothing, and it can only raise ``urgent_review`` (a
person reads the message within minutes), never the high-confidence crisis tier. Its
weights are trained offline by ``benchmarks/sentiment/train_safety_model.py`` on our
development sets (never on a held-out set) and shipped as
``cfbot/lexicons/safety_model.json``. Scoring is pure Python: a dictionary lookup per
n-gram, no external model, nothing downloaded.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = ["CLASSES", "Model", "features", "load", "predict"]

# Class 0 is "no crisis"; the others are crisis categories (crisis.CRISIS_CATEGORIES).
CLASSES = ("none", "self_harm", "violence_abuse", "medical_emergency")
MIN_WORDS = 3  # shorter replies are answers ("no", "4", "all good"), not for the model


def features(folded: str) -> list[str]:
    """The n-grams of already folded text (crisis._prepare): words, word pairs and the
    3- to 5-letter pieces of each word (typos and word forms share pieces)."""
    words = folded.split()
    out = [f"w {w}" for w in words]
    out += [f"b {a} {b}" for a, b in zip(words, words[1:], strict=False)]
    for w in words:
        padded = f" {w} "
        n = len(padded)
        for size in (3, 4, 5):
            out += [padded[i : i + size] for i in range(n - size + 1)]
    return out


@dataclass(frozen=True)
class Model:
    weights: dict[str, tuple[float, ...]]
    bias: tuple[float, ...]
    threshold: float  # P(not none) at or above this raises urgent_review

    def probabilities(self, folded: str) -> tuple[float, ...]:
        sums = list(self.bias)
        k = len(sums)
        get = self.weights.get
        for f in features(folded):
            w = get(f)
            if w is not None:
                for i in range(k):
                    sums[i] += w[i]
        top = max(sums)
        exps = [math.exp(s - top) for s in sums]
        total = sum(exps)
        return tuple(e / total for e in exps)


@cache
def load() -> Model | None:
    """The shipped model, or None when the file is absent (the lists still work)."""
    path = resources.files("cfbot.lexicons").joinpath("safety_model.json")
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    if tuple(data["classes"]) != CLASSES:
        raise ValueError("lexicons/safety_model.json: classes do not match")
    return Model(
        weights={f: tuple(w) for f, w in data["weights"].items()},
        bias=tuple(data["bias"]),
        threshold=float(data["threshold"]),
    )


def predict(folded: str, model: Model | None = None) -> tuple[str, float] | None:
    """(category, P(crisis)) when the model thinks ``folded`` may be a crisis, else None."""
    model = model or load()
    if model is None or len(folded.split()) < MIN_WORDS:
        return None
    probs = model.probabilities(folded)
    p_crisis = 1.0 - probs[0]
    if p_crisis < model.threshold:
        return None
    best = max(range(1, len(CLASSES)), key=lambda i: probs[i])
    return CLASSES[best], p_crisis
