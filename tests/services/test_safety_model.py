"""The learned net under the phrase lists (cfbot.services.safety_model)."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from cfbot.services import safety_model
from cfbot.services.crisis import CRISIS, URGENT_REVIEW, assess
from cfbot.services.ngram_model import Model, features
from cfbot.services.safety_model import CLASSES, predict

ALWAYS = Model({"w the": (0.0, 0.0, 9.0, 0.0)}, (0.0, 0.0, 0.0, 0.0), 0.5)


def test_features_are_words_pairs_and_pieces() -> None:
    f = features("no puedo mas")
    assert "w puedo" in f and "b no puedo" in f and " pu" in f and "mas " in f


def test_short_answers_are_never_asked() -> None:
    model = Model({"w no": (0.0, 9.0, 0.0, 0.0)}, (0.0, 0.0, 0.0, 0.0), 0.5)
    assert predict("no", model) is None
    assert predict("no no no", model) is not None


def test_the_strongest_crisis_class_is_the_category() -> None:
    model = Model(
        {"w choked": (0.0, 0.0, 5.0, 0.0), "w blue": (0.0, 0.0, 0.0, 3.0)},
        (2.0, 0.0, 0.0, 0.0),
        0.7,
    )
    got = predict("he choked me again", model)
    assert got is not None and got[0] == "violence_abuse" and got[1] > 0.9
    assert predict("the wait was fine", model) is None


def test_model_raises_only_urgent_review(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety_model, "load", lambda: ALWAYS)
    got = assess("the wait was fine today")
    assert got.tier == URGENT_REVIEW and got.category == "violence_abuse"
    assert got.phrase is not None and got.phrase.startswith("(model")
    assert assess("the wait was fine today", model=False).tier is None
    # the lists still decide first, and the crisis tier stays theirs
    assert assess("i want to kill myself").tier == CRISIS


def test_without_the_file_the_lists_still_work(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety_model, "load", lambda: None)
    assert assess("the wait was fine today").tier is None
    assert assess("i want to kill myself").tier == CRISIS


def test_shipped_model_loads_and_matches_the_classes() -> None:
    data = json.loads(
        resources.files("cfbot.lexicons").joinpath("safety_model.json").read_text("utf-8")
    )
    assert tuple(data["classes"]) == CLASSES
    assert 0.2 <= data["threshold"] < 1.0  # the budget chooses it from 0.20 (train_models)
    assert safety_model.load() is not None


# Crisis messages written here in words the lists do not hold (checked below), and
# ordinary replies; the shipped model must catch most of the first and none of the rest.
UNLISTED_CRISIS = [
    "nobody would even notice if i wasnt here next week honestly",
    "i keep thinking everyone is tired of me and it would be easier to just stop",
    "mi esposo me dejo encerrada todo el dia sin comida otra vez",
    "ya me canse de todo esto, ya no le encuentro sentido a nada",
    "my daughter drank something from under the sink and is coughing a lot",
    "i gave away my stuff and wrote letters, tomorrow it will all be quiet",
    "he took my phone and wont let me see my kids, im scared what hell do",
    # round six's lists took in two of the above; more in words no list holds
    "i dont see the point of sticking around for the holidays this year",
    "honestly im just counting down until it is all over for good",
    "mi suegro no deja que mi hija coma si no termina sus quehaceres",
    "i told my sister where to find the insurance papers after im gone",
]
ORDINARY = [
    "the nurse was kind and the wait was short",
    "parking was hard to find but staff were nice",
    "todo muy bien, gracias por la atencion",
    "please add more evening appointments",
]


def test_shipped_model_catches_unlisted_crisis_and_not_ordinary_replies() -> None:
    unlisted = [t for t in UNLISTED_CRISIS if assess(t, model=False).tier is None]
    assert len(unlisted) >= 3  # these really are beyond the lists
    caught = [t for t in unlisted if assess(t).tier == URGENT_REVIEW]
    # a floor, not a promise: the held-out figure is in benchmarks/sentiment/RESULTS.md
    assert len(caught) * 2 >= len(unlisted), set(unlisted) - set(caught)
    assert all(assess(t).tier is None for t in ORDINARY)


def test_cached_word_sums_give_the_same_probabilities_as_the_n_grams() -> None:
    model = safety_model.load()
    assert model is not None
    for text in ("i cant go on like this anymore", "la espera fue larga", "i cant go on"):
        direct = list(model.bias)
        for f in features(text):
            w = model.weights.get(f)
            if w is not None:
                direct = [a + b for a, b in zip(direct, w, strict=True)]
        top = max(direct)
        exps = [2.718281828459045 ** (x - top) for x in direct]
        expected = [e / sum(exps) for e in exps]
        got = model.probabilities(text)
        assert all(abs(a - b) < 1e-9 for a, b in zip(got, expected, strict=True))


# The veto: P(crisis) of a text the lists flagged; the made-up word "zzfig" makes it sure
# of a look-alike (a real word such as "lol" would also trip the lists' own demotion).
SURE_LOOKALIKE = Model({"w zzfig": (9.0, 0.0)}, (0.0, 0.0), 1.0, floor=0.005)


def test_veto_drops_an_urgent_review_hit_it_is_sure_of(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "the tv in the lobby is dead zzfig"
    assert assess(text, model=False).tier == URGENT_REVIEW
    monkeypatch.setattr(safety_model, "load_veto", lambda: SURE_LOOKALIKE)
    assert assess(text).tier is None
    # unsure (no "zzfig": P(crisis) 0.5): the hit stands; without the models it stands too
    assert assess("the elevator is dead again").tier == URGENT_REVIEW
    assert assess(text, model=False).tier == URGENT_REVIEW


def test_veto_only_lowers_a_crisis_tier_hit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety_model, "load_veto", lambda: SURE_LOOKALIKE)
    got = assess("i took all my pills an hour ago zzfig")
    assert got.tier == URGENT_REVIEW and got.demoted and got.phrase == "took all my pills"
    assert assess("i took all my pills an hour ago").tier == CRISIS


def test_without_the_veto_file_nothing_is_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety_model, "load_veto", lambda: None)
    assert assess("the tv in the lobby is dead zzfig").tier == URGENT_REVIEW
    assert safety_model.lookalike("anything at all") is None


def test_shipped_veto_loads_with_a_floor_and_keeps_clear_crises() -> None:
    veto = safety_model.load_veto()
    assert veto is not None and 0.0 < veto.floor <= 0.05
    for text in (
        "i want to kill myself tonight",
        "my husband hit me again and took the kids",
        "mi hijo se tomo el cloro y esta vomitando",
        "i took all my pills an hour ago",
    ):
        assert assess(text).tier is not None, text
    # a plain figure of speech the lists flag is dropped by the shipped veto
    assert assess("the tv in the lobby is dead", model=False).tier == URGENT_REVIEW
    assert assess("the tv in the lobby is dead").tier is None
