"""Scoring a survey reply as the product does: the lexicon scorer
(cfbot.services.sentiment) in the language the reply is written in, then the learned
feedback model (cfbot.services.feedback_model) where the lexicons are unsure; and
``classify``, everything the CLI prints for one reply (both safety tiers included).

``score()`` in sentiment stays the general scorer (VADER plus our rules); the model is
trained on survey replies and is applied to survey answers only.
"""

from __future__ import annotations

from typing import Any

from cfbot.services import feedback_model
from cfbot.services.crisis import CRISIS, URGENT_REVIEW, assess
from cfbot.services.language import detect_language
from cfbot.services.sentiment import (
    DEFAULT_TEXT_THRESHOLD,
    SentimentResult,
    _norm_lang,
    is_dissatisfied,
    score,
)

__all__ = ["MODEL_SCORE", "classify", "score_answer", "score_with_model", "scorer"]

MODEL_SCORE = -0.5  # a reply the feedback model calls a complaint


def score_with_model(text: str, lang: str, question: str | None = None) -> SentimentResult:
    """:func:`score`, then, where the lexicons found no complaint (no signal, neutral or
    positive), the learned feedback model (cfbot.services.feedback_model): when it is
    confident the reply is a complaint ("they asked me the same questions 4 times",
    sarcasm the lexicons read as praise), the score becomes ``MODEL_SCORE`` with method
    ``model``. Where the lexicons found a complaint but the model is sure it is none
    (below its floor: "killer customer service"), the score becomes 0 (``model-veto``)."""
    result = score(text, lang, question)
    model = feedback_model.load()
    p = feedback_model.p_dissatisfied(text, model)
    if model is None or p is None:
        return result
    signals = (*result.signals, f"model:{p:.2f}")
    if result.score is not None and result.score <= DEFAULT_TEXT_THRESHOLD:
        if p < model.floor:
            return SentimentResult(0.0, False, "model-veto", signals)
    elif p >= model.threshold:
        return SentimentResult(MODEL_SCORE, False, "model", signals)
    return result


def score_answer(text: str, lang: str, question: str | None) -> SentimentResult:
    """The flow engine's scorer: :func:`score_with_model` in the language the reply is
    written in (``lang`` for short texts). The engine passes the result on with the
    answer, which is stored as is (one scoring per answer)."""
    return score_with_model(text, detect_language(text, _norm_lang(lang) or "en"), question)


def scorer(text: str, lang: str, question: str | None) -> float | None:
    """Just the number of :func:`score_answer` (None when it needs review)."""
    return score_answer(text, lang, question).score


def classify(text: str, lang: str, question: str | None = None) -> dict[str, Any]:
    """Everything the CLI prints for one reply: sentiment, dissatisfaction, the two
    safety tiers and the language the reply is written in.

    ``lang`` is the conversation's language; the reply is scored with the rules of the
    language it is written in (``language``), and checked for crisis in every language.
    ``crisis`` is the high-confidence tier (category or False); ``urgent_review`` is True
    for a possible crisis that a person must read within minutes.
    """
    language = detect_language(text, _norm_lang(lang) or "en")
    result = score_with_model(text, language, question)
    safety = assess(text, language)
    return {
        "text": text,
        "lang": lang,
        "language": language,
        "sentiment": None if result.score is None else round(result.score, 4),
        "needs_review": result.needs_review,
        "dissatisfied": is_dissatisfied(qtype="text", value=text, sentiment=result.score),
        "crisis": (safety.category or False) if safety.tier == CRISIS else False,
        "urgent_review": safety.tier == URGENT_REVIEW,
        "method": result.method,
        "signals": list(result.signals),
    }
