"""Kinds of crisis phrasing found missing on the dev4 set (benchmarks/data/dev4.csv),
tested on sentences written here (not copied from the set), so a pattern that only
memorised one dev sentence fails. Plus the dev4 set itself as a floor."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cfbot.services.crisis import CRISIS, URGENT_REVIEW, assess

DEV4 = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "dev4.csv"

EITHER = [
    # goodbyes, arrangements, burden
    "i wont be around for my next visit so dont bother calling",
    "not planning on being alive by friday",
    "gave my cat away to my neighbor this morning. nobody will miss me",
    "ya no me van a ver despues de hoy",
    "ya tengo todo arreglado, quien se queda con mis hijos ya esta decidido",
    "para que seguir, nadie me quiere",
    "berri ma joogi doono",
    "hmo no yog hmo kawg ntawm kuv",
    "em xin loi, em di truoc",
    # means and places
    "sitting on top of the parking garage roof right now",
    "there's a rope in my closet",
    "took about 30 of my blood pressure pills",
    "voy hacia la presa ahorita",
    "buundada ayaan ag taaganahay",
    "toi da muon sung cua ban",
    # self-harm repeated
    "burned myself again last night",
    "me volvi a cortar los brazos",
    "iska gooyay gacanta",
    # child ingestion: verb + substance class
    "my toddler chewed on a dishwasher pod",
    "baby got into grandmas pills",
    "mi nino se metio una pila a la boca",
    "se tomo el frasco entero de jarabe",
    "wiilkayga wuxuu cabtay saabuun",
    "kuv tus ntxhais haus tshuaj ntxuav tsev",
    # abuse of a child, coercion, secrecy, stalking
    "her boyfriend touches my daughter when im at work",
    "he makes me do things i dont want to and says dont tell my mom",
    "my ex keeps showing up outside my house at night",
    "un hombre me viene siguiendo desde la parada",
    "el me tiene encerrada en la casa",
    "ninkaas wuxuu yiri caawa ayaan kuu imanayaa",
    "muaj ib tug raws kuv los",
    "chong cu biet nha em o roi",
    # emergency symptoms by body part
    "my lips are swelling and my throat feels tight",
    "dad cant move his left arm and his talking is slurred",
    "mi mama habla enredado y tiene la cara chueca",
    "se le esta hinchando la garganta",
    "aabbahay ma hadli karo",
    "ong toi bi meo mieng, noi khong ra",
    "be bi moi sung va kho khe",
]

NONE = [
    "my phone was dead when you called, please call again",
    "the bleeding stopped after an hour like you said",
    "the lady who drew my blood was great, arm only a little bruised after",
    "no voy a estar aqui para la cita porque me mudo a texas",
    "el telefono esta muerto, nadie contesta",
    "me muero de la verguenza pero no entendi las instrucciones",
    "you all are killing it, thank you",
    "tiem xong dau xiu thoi",
    "cuoi muon xiu luon",
    "where do i put my emergency contact",
]

DEMOTED = [
    "paperwork overdose at that front desk, same form 3 times",
    "the manager has an abuse of power problem",
    "parking there is suicide",
    "my husband is gonna kill me when he sees this bill 😂",
]


@pytest.mark.parametrize("text", EITHER)
def test_kinds_reach_a_tier(text: str) -> None:
    assert assess(text).tier in (CRISIS, URGENT_REVIEW), text


@pytest.mark.parametrize("text", NONE)
def test_measured_look_alikes_stay_quiet(text: str) -> None:
    # the lists' look-alikes; the learned net's false alarms are measured on the
    # held-out sets (benchmarks/sentiment/RESULTS.md), not pinned sentence by sentence
    assert assess(text, model=False).tier is None, assess(text, model=False)


@pytest.mark.parametrize("text", DEMOTED)
def test_figures_of_speech_never_get_the_crisis_reply(text: str) -> None:
    assert assess(text).tier != CRISIS, assess(text)


# Development sets the lists and the learned net were tuned on: a floor, so a change
# that loses what was learned fails (these are not estimates; see RESULTS.md section 0).
DEV_SETS = ("dev4", "blind3", "blind4", "train_crisis")


@pytest.mark.parametrize("name", DEV_SETS)
def test_development_set_floor(name: str) -> None:
    path = DEV4.parent / f"{name}.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    tiers = [(r["label"], assess(r["text"], r["lang"]).tier) for r in rows]
    crisis = [t for lab, t in tiers if lab == "crisis"]
    non = [t for lab, t in tiers if lab != "crisis"]
    assert sum(t is not None for t in crisis) >= 0.97 * len(crisis)
    assert sum(t == CRISIS for t in non) <= 1
    assert sum(t == URGENT_REVIEW for t in non) <= 0.05 * len(non)
