"""Kinds of crisis phrasing and look-alikes found on blind3 once it was opened as a
development set (round three). The sentences are written here, not copied from the
set, so a pattern that only memorised one row fails (the sets' floors are in
test_safety_kinds.py)."""

from __future__ import annotations

import pytest

from cfbot.services.crisis import CRISIS, URGENT_REVIEW, assess

EITHER = [
    # a plan or a means named without the usual words
    "i think im going to jump tonight",
    "been stashing my percs for weeks",
    "really hoping i just dont wake up tomorrow",
    "my family would be happier if i was gone",
    "i dont see the point of anything anymore",
    "if nobody helps me im going to do something to myself",
    "ojala ya no despertara nunca",
    "me las voy a tomar todas esta noche",
    "si no me ayudan me voy a hacer algo",
    "no creo que siga aqui mucho tiempo",
    "diganle a mis hijas que las quiero mucho",
    "tsis muaj leej twg hlub kuv, kuv yuav mus ib txhis",
    "toi song du roi",
    "khong co toi thi moi nguoi se vui hon",
    # self-harm again, dropped letters
    "cuttin my wrists again",
    "me sigo cortando las piernas",
    # threats tied to secrecy, night visits, a shaken baby
    "my stepdad says hell kill me if i tell my mom",
    "mi padrastro dice que me va a matar si le cuento a alguien",
    "el amigo de mi mama entra a mi cuarto de noche y tengo miedo",
    "i shook the baby hard and now she wont stop sleeping",
    "wuu i toogan doonaa",
    # ingestion and dosing errors
    "my son got into the gummies with thc and is really hard to wake",
    "accidentally gave her a double dose of motrin and shes throwing up",
    "le di doble dosis de jarabe a mi bebe",
    "wiilkaygu wuxuu cabbay clorox",
    # bleeding and a closing throat
    "ra mau rat nhieu sau khi sinh",
    "siento que se me cierra la garganta",
]

NONE = [
    "got hit with a surprise fee at checkout",
    "where can i get a free gun lock like the nurse said",
    "bruise on my arm where the shot was, nurse said thats normal",
    "my tooth was killing me but now its fixed, thank you",
    "dying for a coffee machine in the lobby",
    "my daughter kicked the nurse during her shot, not the nurse's fault",
    "great to have narcan kits in case of an overdose at work",
    "the online system is suicide, took forever",
    "me muero por ver mis resultados",
    "nos mataron con tantos formularios",
    "me pegaron una multa por llegar tarde",
    "el estacionamiento esta de muerte",
    "me duele el brazo a morir por la vacuna jaja",
    "vi el poster de prevencion del suicidio, muy bueno",
    "qiimaha ayaa i dilay",
    "daim nqi kim tuag",
    "hoa don mac chet luon",
    "took 3 buses to get there",
]


@pytest.mark.parametrize("text", EITHER)
def test_round3_kinds_reach_a_tier(text: str) -> None:
    assert assess(text).tier in (CRISIS, URGENT_REVIEW), text


@pytest.mark.parametrize("text", NONE)
def test_round3_look_alikes_stay_quiet(text: str) -> None:
    assert assess(text).tier is None, assess(text)
