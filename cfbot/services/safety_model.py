"""A small learned net under the crisis phrase lists: catches crisis messages phrased
in ways no list holds.

The phrase lists (``lexicons/crisis.yaml`` and ``urgent_review.yaml``) decide first; this
model is only asked when they found nothing, and it can only raise ``urgent_review`` (a
person reads the message within minutes), never the high-confidence crisis tier. It reads
the text with the known look-alikes taken out (``crisis.model_view``). Weights:
``cfbot/lexicons/safety_model.json``, trained by ``benchmarks/sentiment/train_models.py``
on development sets only (see cfbot.services.ngram_model).
"""

from __future__ import annotations

from functools import cache

from cfbot.services.ngram_model import Model, load_model

__all__ = ["CLASSES", "MIN_WORDS", "load", "predict"]

# Class 0 is "no crisis"; the others are crisis categories (crisis.CRISIS_CATEGORIES).
CLASSES = ("none", "self_harm", "violence_abuse", "medical_emergency")
MIN_WORDS = 3  # shorter replies are answers ("no", "4", "all good"), not for the model


@cache
def load() -> Model | None:
    """The shipped model, or None when the file is absent (the lists still work)."""
    return load_model("safety_model.json", CLASSES)


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
