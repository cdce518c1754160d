"""Round seven's safety kinds, learned from blind15 and blind16 (held-out sets whose
before and after figures were taken in round six; development sets now) and from the
training sets train_h and train_i (opened after their first run): overdoses asked about
as a count ("how many would it take"), too many or double doses taken, low and high
blood sugar signs, a baby who is floppy or will not feed, an opened caesarean wound,
pregnancy warning signs (hmn, vi), a restraining order and a stalker outside, debt
bondage and sex trafficking, postpartum thoughts of harming the baby, goodbyes
(forgiveness, "when I'm gone", so, hmn) and the look-alikes that crowd the urgent
tier: staff threats about an appointment, training and first-aid classes, work that
sees deaths, relatives who died long ago, a stroke feared at the dentist, a little
bleeding after a shot, and clients who say a past crisis is over and they are well.
The sentences are written here, not copied from the sets."""

from __future__ import annotations

import pytest

from cfbot.services.crisis import CRISIS, URGENT_REVIEW, assess

# Each must reach a tier on the lists alone (the learned net is not counted on).
MISSES = [
    "i just want to rest forever, no more of this",
    "changed my insulin and now i'm shaky and sweaty and can't think",
    "sweaty and shaking, sugar must be low, feel confused",
    "glucometer reads HI and i'm so thirsty i can barely stand",
    "took too many of my sleep pills last night and still feel out of it",
    "took double of my seizure meds by mistake, maybe triple, dizzy now",
    "me tome doble dosis de las pastillas de la presion sin querer",
    "at 29 weeks and my water just broke, i'm at the bus stop",
    "how many tylenol would it take, asking seriously",
    "cuantas pastillas de paracetamol son demasiadas? es para mi",
    "her ex is parked outside her house again even with the restraining order",
    "he keeps sitting outside my apartment at night and says he knows where my kids go to school",
    "un tipo me sigue mandando mensajes y dice que sabe donde vivo",
    "los niños del vecino andan solos en la calle en panal de noche, la mama nunca esta",
    "ojala mi familia me perdone algun dia",
    "cuiden a mi hijo cuando yo ya no este",
    "la herida de la cesarea se me abrio y huele mal",
    "my c section incision opened up and there is pus",
    "kuv tus me nyuam mos tsis nqus mis li thiab pw xwb",
    "my baby feels floppy and hasn't really woken up today",
    "ua tsaug, kuv yuav tsis rov qab los lawm",
    "kuv cev xeeb tub 8 hli, mob taub hau heev thiab pom plooj plooj",
    "thai 35 tuan, nhuc dau qua, mat thay dom dom",
    "i wasn't safe going home last night and nothing has changed",
    "my family would be better off with my life insurance",
    "bp was 200 over 125 and i can't see out of my left eye",
    "nos tienen en una casa con candado y nos quitan el sueldo por la deuda",
    "el que nos trajo dice que si hablamos nos pasa algo",
    "mi jefe me obliga a estar con clientes y se queda con el dinero",
    "el patron tiene mi pasaporte y no me deja salir",
    "pusimos veneno para ratas y mi bebe se lo comio, es peligroso?",
    "mi nino se comio el veneno para ratas, es peligroso?",
    "ninkii shaqada ii helay ayaa haya baasaboorkayga",
    "ilmahayga ii ilaaliya, muddo dheer ma joogayo",
    "since the birth something tells me to hurt the baby, i'm scared of myself",
    "siento que algo me dice que lo lastime, tengo miedo de mi misma",
    "kuv hnov suab hais kom kuv ua phem rau tus me nyuam",
    "no estoy bien y no se si aguanto tres semanas mas",
    # a few weeks ago is not history for a medical emergency (postpartum)
    "had my baby last week and i'm bleeding through a pad an hour",
    "me hicieron cesarea hace 3 semanas y la herida esta abierta con calentura",
    "toi uong het thuoc ngu roi, chong mat qua",
]

# Kinds from the sweep of the development sets' crisis replies that only the learned net
# caught (now in urgent_review.yaml), in other words.
SWEEP = [
    "i already picked the day, thanks for trying with me",
    "running the generator in the garage and now all of us have bad headaches and are throwing up",
    "my uncle takes all of grandmas social security and barely feeds her",
    "he held me down at the party and i dont remember the rest",
    "the man who brought me here makes me go with men for money",
    "found fresh cuts all over my daughters thighs",
    "my roommate just od'd in the bathroom and his lips are blue",
    "el generador lo prendimos adentro y a todos nos duele la cabeza y vomitamos",
    "mi tio le quita el cheque a mi abuela y no le da de comer",
    "haddii aanan jirin qoyskaygu way iga nasan lahaayeen",
    "kuv tsev neeg yuav zoo dua yog tsis muaj kuv",
    "không có tôi thì mọi người sẽ tốt hơn",
]

# Ordinary replies that used a tier's words; no tier on the lists alone.
LOOKALIKES = [
    "the front desk guy is abusive to everyone, yelled at a grandpa",
    "came for the overdose reversal training, got narcan kits for the church",
    "after the filling my whole face was numb, felt like i was having a stroke lol",
    "nhổ răng xong tê cả mặt, tưởng bị đột quỵ",
    "the baby bled a little after the heel prick, it stopped right away",
    "a mi nino le salio sangre de la vacuna y nadie le puso una curita",
    "el guardia me amenazo con sacarme porque mi bebe lloraba",
    "she threatened to cancel my appointment because i was 5 minutes late",
    "cô lễ tân dọa hủy lịch hẹn vì tôi trễ mấy phút",
    "qofka miiska wuxuu igu hanjabay inuu ballanta iga tirtiro",
    "tus neeg ntawm lub rooj hem tias yuav tsis pub kuv ntsib kws kho mob",
    "the nurse asked if anyone at home hits me, nobody does",
    "tus neeg tuaj xyuas nug seb puas muaj leej twg ntaus kuv, tsis muaj",
    "the suicide screening questions surprised me but i answered no",
    "my grandma passed from an overdose in the 80s so i'm careful with pills",
    "mi hermano murio de sobredosis hace anos, por eso no tomo pastillas fuertes",
    "casi me da un infarto cuando vi que no tenia que pagar jaja",
    "the first aid class showed us what to do if a kid is choking",
    "en la clase de primeros auxilios nos ensenaron que hacer si un nino se esta ahogando",
    "the home nurse taught me what to do if the baby chokes",
    "i work at a nursing home and see people die all the time",
    "trabajo en un asilo y veo gente morir seguido",
    "my cousin is a cop and sees overdoses every week",
    "walaashay waxay ka shaqeysaa ambalaaska",
    "got scared it was a heart attack but the ekg was normal",
    "pense que era un infarto pero el electro salio normal",
    "my son asked what to do if a friend says they want to die",
    "mi hija pregunto que hacer si un amigo dice que se quiere matar",
    "me corte con el machete en el trabajo hace dos semanas, ya sano",
    "a mi papa le hablaron muy golpeado en la ventanilla",
    "the elder abuse hotline card should be at the front desk",
    "en la clase prenatal hablaron de la violencia domestica, muy buena",
    "van a dar una platica de suicidio en la escuela, tienen algo para papas?",
    "terapia para mi papa despues del derrame, ya camina mejor",
    "kuv ua nais maum hauv ER, pom neeg noj tshuaj dhau ntau",
    "kuv lub hniav mob txog kuv xav tuag lawm",
    "dau bao tu muon chet luon, gio het roi",
    "the hold music made me want to shoot myself",
    "lớp sơ cứu có dạy khi ai đó ngưng thở không",
    "tus txhais lus tsis paub, kuv niam tsis to taub yuav noj tshuaj li cas",
    "aabahay wuxuu u dhintay wadne xanuun sanado ka hor",
    "needed an inhaler refill, the last time i couldn't breathe was 2018",
    "how many advil is too many in a day? worried about my stomach",
    "we gave blood at the church drive, the nurses were great",
    # the sweep of the development sets' false alarms (now in urgent_review.yaml)
    "i thought i was having a heart attack but it was a panic attack",
    "the hold music is killing me, 40 minutes",
    "my kid screamed like he was being murdered at his shots lol",
    "me dio un infarto cuando vi la factura",
    "took the whole morning off for this and waited 2 hours",
    "kuv tus txiv qub ntaus kuv tab sis 6 xyoos lawm",
    "pusimos veneno para ratas en la cocina, es peligroso para los ninos?",
]

# A crisis the client says is over, and that they are well now: no tier (a crisis-tier
# phrase included), with or without the learned models.
RECOVERED = [
    "two years ago i was suicidal, your counselor got me help and i'm doing really well now",
    "hace un ano pensaba en quitarme la vida, con la terapia hoy estoy muy bien",
    "ya me sali de esa relacion violenta hace tiempo, ahorita vivo tranquila",
    "i used to self harm as a teen, therapy helped and i'm good now",
    "xyoo tas los kuv noj tshuaj ntau dhau, tam sim no kuv zoo lawm",
    "hồi đó em từng nghĩ tới chuyện tự tử, giờ ổn rồi",
    "got a protective order last year and he moved out of state, just updating my address",
    "hace anos pense en el suicidio pero recibi ayuda, ya estoy bien",
    "chồng cũ ngày xưa đánh tôi, giờ tôi an toàn rồi",
    "me corte con un vidrio en el trabajo hace dos semanas, ya sano",
    "my son ate two of my vitamins, the poison control nurse said he's fine",
]

# The same past with something present after it, or with a relapse: still a tier.
NOT_RECOVERED = [
    "i was suicidal last year and doing well now, but my son says he wants to kill himself",
    "hace un ano pensaba en quitarme la vida y ya estaba bien, pero otra vez lo pienso",
    "i used to self harm, i was good for a while but it's back again",
]


@pytest.mark.parametrize("text", [*MISSES, *SWEEP])
def test_round_seven_kinds_reach_a_tier(text: str) -> None:
    assert assess(text, model=False).tier in (CRISIS, URGENT_REVIEW), text


@pytest.mark.parametrize("text", LOOKALIKES)
def test_round_seven_look_alikes_get_no_tier(text: str) -> None:
    assert assess(text, model=False).tier is None, (text, assess(text, model=False))


@pytest.mark.parametrize("text", RECOVERED)
def test_a_crisis_the_client_says_is_over_gets_no_tier(text: str) -> None:
    for model in (False, True):
        assert assess(text, model=model).tier is None, (text, model, assess(text, model=model))


@pytest.mark.parametrize("text", NOT_RECOVERED)
def test_a_present_crisis_after_a_recovery_keeps_its_tier(text: str) -> None:
    for model in (False, True):
        assert assess(text, model=model).tier in (CRISIS, URGENT_REVIEW), (text, model)


def test_the_recovery_must_come_after_the_crisis() -> None:
    for past in (
        "back in high school i took too many of my sleeping pills",
        "back in high school i tried to kill myself",
    ):
        assert assess(past, model=False).tier in (CRISIS, URGENT_REVIEW), past
        assert assess(past + ", therapy helped and im good now", model=False).tier is None
        # said before the crisis, "doing well now" does not clear it
        assert assess("im doing well now but " + past, model=False).tier is not None
