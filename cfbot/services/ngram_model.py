"""Small linear models over word and letter n-grams, trained offline and shipped as
JSON beside the lexicons (``cfbot/lexicons/*.json``). Scoring is pure Python, a
dictionary lookup per n-gram: no external model and nothing downloaded.

Two models use it: ``safety_model`` (a net under the crisis phrase lists) and
``feedback_model`` (dissatisfaction where the lexicons find no signal). Both are trained
by ``benchmarks/sentiment/train_models.py`` on development sets only.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from importlib import resources

__all__ = ["Model", "features", "load_model"]


def features(folded: str) -> list[str]:
    """The n-grams of folded text: words, word pairs and the 3- to 5-letter pieces of
    each word (typos and word forms share pieces)."""
    words = folded.split()
    out = [f"w {w}" for w in words]
    out += [f"b {a} {b}" for a, b in zip(words, words[1:], strict=False)]
    for w in words:
        padded = f" {w} "
        n = len(padded)
        for size in (3, 4, 5):
            out += [padded[i : i + size] for i in range(n - size + 1)]
    return out


def _word_features(word: str) -> list[str]:
    padded = f" {word} "
    n = len(padded)
    out = [f"w {word}"]
    for size in (3, 4, 5):
        out += [padded[i : i + size] for i in range(n - size + 1)]
    return out


_CACHE_LIMIT = 50_000  # words whose summed weights are kept (cleared when full)


@dataclass(frozen=True)
class Model:
    """A multinomial logistic regression: one weight per class per n-gram."""

    weights: dict[str, tuple[float, ...]]
    bias: tuple[float, ...]
    threshold: float  # P(positive class) at or above this: the model says yes
    floor: float = 0.0  # P below this: the model is confident the answer is no
    # a word's own n-grams always add up the same: summed once per word, then reused
    _words: dict[str, tuple[float, ...]] = field(default_factory=dict, compare=False, repr=False)

    def _word(self, word: str) -> tuple[float, ...]:
        vec = self._words.get(word)
        if vec is None:
            sums = [0.0] * len(self.bias)
            get = self.weights.get
            for f in _word_features(word):
                w = get(f)
                if w is not None:
                    for i, x in enumerate(w):
                        sums[i] += x
            vec = tuple(sums)
            if len(self._words) >= _CACHE_LIMIT:
                self._words.clear()
            self._words[word] = vec
        return vec

    def probabilities(self, folded: str) -> tuple[float, ...]:
        """Class probabilities of folded text: the same sum as over :func:`features`."""
        sums = list(self.bias)
        words = folded.split()
        for word in words:
            for i, x in enumerate(self._word(word)):
                sums[i] += x
        get = self.weights.get
        for a, b in zip(words, words[1:], strict=False):
            w = get(f"b {a} {b}")
            if w is not None:
                for i, x in enumerate(w):
                    sums[i] += x
        top = max(sums)
        exps = [math.exp(s - top) for s in sums]
        total = sum(exps)
        return tuple(e / total for e in exps)


def load_model(filename: str, classes: tuple[str, ...]) -> Model | None:
    """``cfbot/lexicons/<filename>``, or None when the file is absent."""
    path = resources.files("cfbot.lexicons").joinpath(filename)
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    if tuple(data["classes"]) != classes:
        raise ValueError(f"lexicons/{filename}: classes {data['classes']} != {list(classes)}")
    return Model(
        weights={f: tuple(w) for f, w in data["weights"].items()},
        bias=tuple(data["bias"]),
        threshold=float(data["threshold"]),
        floor=float(data.get("floor", 0.0)),
    )
