"""A small learned net under the crisis phrase lists: catches crisis messages phrased
in ways no list holds.

The phrase lists (``lexicons/crisis.yaml`` and ``urgent_review.yaml``) decide first; this
model is only asked when they found nothing, and it can only raise ``urgent_review`` (a
person reads the message within minutes), never the high-confidence crisis tier. It reads
the text with the known look-alikes taken out (``crisis.model_view``). Weights:
``cfbot/lexicons/safety_model.json``, trained by ``benchmarks/sentiment/train_models.py``
on development sets only (see cfbot.services.ngram_model).

A second model, the veto (``safety_veto.json``), reads the whole text when the lists did
flag it: when it is sure the text is a look-alike ("the hold music made me want to die
lol"), an ``urgent_review`` hit is dropped and a ``crisis`` hit is lowered to
``urgent_review`` (a person still reads it). It never removes a crisis-tier hit.
"""

from __future__ import annotations

from functools import cache

from cfbot.services.ngram_model import Model, load_model

__all__ = ["CLASSES", "MIN_WORDS", "VETO_CLASSES", "load", "load_veto", "lookalike", "predict"]

# Class 0 is "no crisis"; the others are crisis categories (crisis.CRISIS_CATEGORIES).
CLASSES = ("none", "self_harm", "violence_abuse", "medical_emergency")
MIN_WORDS = 3  # shorter replies are answers ("no", "4", "all good"), not for the model
# The second model, the veto: is a text the lists flagged a crisis or a look-alike?
VETO_CLASSES = ("lookalike", "crisis")


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


@cache
def load_veto() -> Model | None:
    """The shipped veto model (``safety_veto.json``), or None when the file is absent."""
    return load_model("safety_veto.json", VETO_CLASSES)


def lookalike(folded: str, model: Model | None = None) -> float | None:
    """P(crisis) when the veto model is sure that ``folded`` (the whole folded text, a
    list phrase in it) is a look-alike, i.e. below the model's ``floor``; else None.

    It was trained on crisis messages against look-alikes (idioms, jokes, past events
    that are over, questions for information) that use the same alarming words, and its
    floor was chosen leaving one writer's set out at a time, so that it lets through
    almost every crisis (benchmarks/sentiment/train_models.py).
    """
    model = model or load_veto()
    if model is None or model.floor <= 0.0:
        return None
    p_crisis = model.probabilities(folded)[1]
    return p_crisis if p_crisis < model.floor else None
