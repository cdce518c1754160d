"""A small learned model of dissatisfaction, for replies where the lexicons are unsure.

The lexicon scorer (cfbot.services.sentiment) decides first. Where it found no
complaint (no signal, neutral or praise) and the model is confident the reply is one,
the reply becomes a complaint (score -0.5, method ``model``). Where the lexicons called
a reply a complaint but the model is confident it is not (P below the model's
``floor``: "killer customer service", "drop dead gorgeous"), the reply is scored 0 with
method ``model-veto``. Replies it is not sure about stay as they were, so a reply
nothing recognised still goes to a person. Weights:
``cfbot/lexicons/feedback_model.json``, trained by ``benchmarks/sentiment/train_models.py``
on development sets only (see cfbot.services.ngram_model).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from cfbot.services.ngram_model import Model, load_model

__all__ = ["CLASSES", "MIN_WORDS", "load", "model_view", "p_dissatisfied"]

CLASSES = ("ok", "dissatisfied")
MIN_WORDS = 2


_MARKS = re.compile("[\u0300-\u036f]")
_NOT_WORD = re.compile(r"[^\w\s]+")


def model_view(text: str) -> str:
    """Text as the model reads it: lower case, accents off (đ -> d), punctuation out.
    Cheaper than cfbot.text.fold, and only ever compared with itself."""
    plain = _MARKS.sub("", unicodedata.normalize("NFKD", text.lower())).replace("đ", "d")
    return " ".join(_NOT_WORD.sub(" ", plain).split())


@cache
def load() -> Model | None:
    return load_model("feedback_model.json", CLASSES)


def p_dissatisfied(text: str, model: Model | None = None) -> float | None:
    """P(dissatisfied) of ``text``, or None for very short replies or without a model."""
    model = model or load()
    view = model_view(text)
    if model is None or len(view.split()) < MIN_WORDS:
        return None
    return model.probabilities(view)[1]
