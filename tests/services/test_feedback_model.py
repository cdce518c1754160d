"""The learned feedback model under the lexicon scorer (cfbot.services.feedback_model)."""

from __future__ import annotations

import pytest

from cfbot.services import feedback_model
from cfbot.services.ngram_model import Model
from cfbot.services.reply_scoring import MODEL_SCORE, score_with_model
from cfbot.services.sentiment import score

SAYS_COMPLAINT = Model({"w times": (0.0, 6.0)}, (0.0, 0.0), threshold=0.9, floor=0.0)
SAYS_FINE = Model({"w killer": (6.0, 0.0)}, (0.0, 0.0), threshold=0.9, floor=0.1)


def test_a_confident_model_turns_an_unscored_reply_into_a_complaint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = "they asked me the same questions 4 times"
    assert score(text, "en").score is None or score(text, "en").score > -0.3
    monkeypatch.setattr(feedback_model, "load", lambda: SAYS_COMPLAINT)
    got = score_with_model(text, "en")
    assert got.score == MODEL_SCORE and got.method == "model" and not got.needs_review
    assert any(s.startswith("model:") for s in got.signals)


def test_an_unsure_model_leaves_the_reply_for_a_person(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feedback_model, "load", lambda: SAYS_COMPLAINT)
    got = score_with_model("zxq blorp frindle", "en")
    assert got.needs_review and got.score is None


def test_short_answers_are_not_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feedback_model, "load", lambda: SAYS_COMPLAINT)
    assert feedback_model.p_dissatisfied("times") is None


def test_the_model_overrules_a_lexicon_complaint_only_below_its_floor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = "killer customer service today"
    monkeypatch.setattr(feedback_model, "load", lambda: SAYS_FINE)
    lexicon = score(text, "en")
    got = score_with_model(text, "en")
    if lexicon.score is not None and lexicon.score <= -0.3:
        assert got.score == 0.0 and got.method == "model-veto"
    # a plain complaint the toy model knows nothing about keeps its score
    plain = "the wait was terrible and the staff were rude"
    assert score_with_model(plain, "en").score == score(plain, "en").score


def test_without_the_file_the_lexicons_decide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feedback_model, "load", lambda: None)
    for text in ("they asked me the same questions 4 times", "killer customer service"):
        assert score_with_model(text, "en") == score(text, "en")


def test_shipped_model_finds_complaints_the_lexicons_miss() -> None:
    # written here; the lexicons find no complaint in them
    missed = [
        ("had to explain my whole history three separate times to three people", "en"),
        ("the form was only in english and i read spanish", "en"),
        ("the doctor was typing the whole time and never looked up", "en"),
        ("i drove 40 minutes and they had no record of my appt", "en"),
        ("tuve que explicar todo tres veces", "es"),
        ("me pidieron el mismo papel 3 veces", "es"),
    ]
    assert all((score(t, lang).score or 0) > -0.3 for t, lang in missed)
    found = [t for t, lang in missed if score_with_model(t, lang).method == "model"]
    assert len(found) >= 4, found
    for t, lang in (
        ("the nurse was lovely and explained everything", "en"),
        ("came in for my flu shot", "en"),
        ("todo bien, gracias", "es"),
    ):
        assert score_with_model(t, lang).method != "model"
