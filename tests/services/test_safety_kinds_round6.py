"""Round six's safety kinds, learned from blind12 after its before and after figures
were taken (it is a development set now): goodbyes that name a last visit, self-harm
marks, forced labour (a passport kept, no pay, threats of immigration), an
arrangement for the children; and the look-alikes it showed in the lists: screening
questions answered no, information about suicide or overdose, occupations that see
overdoses, relatives who died long ago, smells, gums, hunting, bruises after a needle;
and kinds the training sets train_e and train_f showed missing (goodbyes, neglect,
infant danger signs after a fall or a shot, pregnancy warning signs).
The sentences are written here, not copied from the set."""

from __future__ import annotations

import pytest

from cfbot.services.crisis import CRISIS, URGENT_REVIEW, assess

# Each must reach a tier on the lists alone (the learned net is not counted on).
MISSES = [
    "sorry if the nurse saw my wrists, it happened again this week",
    "i know the doctor noticed the cuts on my wrists",
    "that was my last visit ever, my mind is made up",
    "5 out of 5. last appointment ever for me",
    "muchas gracias, esta fue mi ultima consulta, ya no me van a volver a ver",
    "no me volveran a ver, gracias por todo",
    "my boss took my passport and says i owe him 10k before i can leave",
    "they keep our passports and don't pay us, we sleep in the back of the shop",
    "el patron se quedo con mi pasaporte y no nos paga nada",
    "dormimos en la bodega y el jefe dice que si nos vamos nos reporta a migracion",
    "chủ giữ hộ chiếu của tôi và không trả lương mấy tháng nay",
    "chu tiem giu giay to cua toi, khong cho toi di dau",
    "chắc tôi đi luôn cho nhẹ nợ, các con đã có ông bà lo",
    "con cai da co ong ba lo roi, toi khong lo gi nua",
]

# Kinds train_e and train_f showed the lists lacking (training sets, opened after their
# first run), in other words.
TRAINING_MISSES = [
    "those pills didn't help so i swallowed the whole lot at once",
    "still bleeding after the procedure, soaked through two pads in an hour",
    "nobody would even notice if i vanished",
    "they weren't working so i took them all at once",
    "soaking a pad every hour since this morning",
    "nadie me extranaria si me voy",
    "ya me canse de luchar, quiero descansar para siempre",
    "the lady next door leaves her little kids alone all day with no food",
    "la senora de al lado deja a sus ninos solitos todo el dia sin comer",
    "tsis muaj leej twg nco txog kuv, sib ntsib lwm ntiaj teb",
    "since the shots my baby has been screaming nonstop for 4 hours",
    "mi nino lleva horas llorando sin parar y ahora se puso a temblar",
    "my son fell off the couch, threw up twice and is very sleepy",
    "se cayo de la cama y ya vomito dos veces",
    "tengo 22 semanas y se me rompio la fuente",
    "my water broke and i'm only 30 weeks",
    "a mi bebe se le ponen morados los labios cuando come",
    "my 6 week old hasn't had a wet diaper since last night",
    "mi bebe no ha mojado el panal en todo el dia",
    "worst headache of my life and my vision is blurry, 34 weeks pregnant",
    "kuv mob taub hau heev thiab pom tsis meej",
    "be nha em uong may vien thuoc cua ba noi",
    "nó phải trả giá cho những gì nó làm với con tôi",
    "chac em khong song toi thang sau dau",
    "i don't think i'll live to see next month",
]

# Second pass: kinds blind13 (opened after its before and after figures) and train_g
# showed missing, in other words.
SECOND_PASS_MISSES = [
    "if i don't wake up in the morning don't be sad, it's what i want",
    "si no despierto manana no esten tristes, asi lo quiero",
    "esta fue mi ultima consulta, ya me despido de todos ustedes",
    "estoy embarazada, me duele mucho la cabeza y veo lucecitas",
    "38 weeks pregnant with a pounding headache and seeing spots",
    "kuv txiv lub qhov ncauj nkhaus thiab hais lus tsis meej",
    "kuv muab kuv cov khoom pub rau luag tag lawm",
    "i gave my 2 year old the adult motrin by mistake",
    "gave her a second dose by mistake, she's 4",
    "he won't let me leave the apartment and took my phone",
    "mi esposo no me deja salir de la casa",
    "awoowe waxaa lagu daayay guriga kaligiis maalmo",
]

# Third pass: kinds blind14 (opened after its before and after figures) showed missing,
# in other words.
THIRD_PASS_MISSES = [
    "i don't think i'll be around for my next appointment, give it to someone else",
    "no creo que llegue a mi siguiente cita, no se preocupen por mi",
    "i'm not safe going home tonight",
    "no me siento segura en mi casa",
    "we ran out of formula days ago and the baby stopped wetting diapers",
    "22 weeks pregnant and i fell down the steps, my belly is cramping",
    "tengo 30 semanas y no siento al bebe moverse desde ayer",
    "me obligan a trabajar en un bar y a estar con los clientes",
    "gabadhayda waxaa loo qasbayaa guur",
    "kuv yuav tsis rov qab tuaj lawm, nyob zoo",
    "kuv xeeb tub 8 hlis, dej tawg lawm",
    "em thấy bà bầm khắp người mà bà sợ không dám nói",
]

# Each must get no tier on the lists alone.
LOOKALIKES = [
    "the nurse asked me if i ever wanted to hurt myself, i told her no, so many questions",
    "they asked twice whether i wanted to kill myself. i said no. felt like a checklist",
    "me preguntaron dos veces si queria hacerme dano, les dije que no",
    "do you have flyers on suicide rates for teens? for my youth group",
    "casi le pego un grito al guardia de lo grosero que fue",
    "the domestic violence ad on the tv in the lobby was way too loud",
    "el video de sobredosis en la sala de espera estaba muy fuerte",
    "the overdose poster in the hallway is only in english",
    "i'll die on that hill, the parking is awful",
    "my toddler bumps his head on everything, is that normal",
    "mi bebe se pega en la cabeza con todo, es normal?",
    "the gun lock from yall works great, the shotgun stays locked",
    "my aunt says the shots kill people, i told her that's not true",
    "la vecina dice que la vacuna mata, yo no le creo",
    "i'm a paramedic so i see overdoses all the time, just here for my hep b shot",
    "soy enfermera de urgencias, veo sobredosis cada semana, solo vine por mi prueba",
    "awowgay wuxuu dhintay sanadkii hore, hadda ayeeyo ayaan keenaa",
    "dad badan ayaa ku dhintay tuuladayada dagaalka ka hor",
    "kuv yawg tuag xyoo tas los, kuv coj kuv pog tuaj",
    "the bathroom smelled like something died in there",
    "musqusha waxay u uraysay sidii wax dhintay",
    "chav dej tsw li nas tuag",
    "ilkaha ayaa dhiig iga yimaada markaan cadayo",
    "kuv cov hniav los ntshav thaum kuv txhuam",
    "markii dhiigga la iga qaadayay ayaan ku dhawaaday inaan suuxo",
    "kuv tij laug mus tua nqaij hnub so",
    "y tá chích ba lần mới được, tay tôi bầm tím",
    # second pass (blind13, train_g)
    "could've bled out waiting for them to call me, 2 hours for stitches",
    "my son says 'i'm literally dead' about everything, he liked the nurse though",
    "i almost fainted at the needle lol but i'm fine",
    "kim to quá suýt ngất haha mà giờ ổn rồi",
    "the doctor didn't wash his hands before touching me",
    "rayos x del pecho para la escuela",
    "el dentista me mato la vibra con el regano",
    "mi tio se pego con la pistola de clavos el mes pasado, ya sano",
    "se me murio el glucometro, necesito otro",
    "jilibka ayaa i dilaya orod kadib",
    "kuv ua hauj lwm ntawm khw muag phom",
    "toi lam o tiem ban sung, co do thinh luc khong",
    "the billing is abusive, charged twice",
    "cobran el estacionamiento, que abuso",
    "the physical therapist pushed me really hard but i can walk better",
    "the suicide hotline poster in the lobby is a great idea",
    "la musica del telefono me mata",
    "daawadii dhiig karka ayaa iga dhammaatay",
    "lub tsheb tsoo me ntsis nag hmo, kuv caj dab mob",
    "lấy máu mấy lần, tay bầm như bị đánh",
    # third pass (blind14)
    "is it safe to take tylenol with my other meds or could i overdose",
    "the shaken baby video in the lobby was a lot for my kids",
    "my dad hunts and keeps his rifles locked up",
    "me queria matar con la fila de la farmacia",
    "me senti morir cuando vi la cuenta",
    "hablen del suicidio en las clases para mamas",
    "ilkaha xanuunkooda wuu i dilay laakiin hadda wuu dhammaaday",
    "what do i do if my kid swallows something poisonous? just want to be ready",
    "haddii ilmuhu liqo wax sun ah maxaan sameeyaa",
    "my dog ate my blood pressure pills, the vet says he's fine",
    "kuv tus dev noj kuv cov tshuaj",
    "cov ntaub ntawv ua rau kuv mob taub hau tuag",
    "kuv tus nus tuag thaum kuv tseem me, ntev lawm",
]

# Crisis-tier words in a plainly ordinary context: no crisis tier (a person may still
# read them).
NOT_CRISIS = [
    "coughing for a week and my chest hurts when i cough",
    "the abuse questions on the intake form felt awkward",
    "las preguntas de si me pegan me hicieron sentir incomoda",
    "vine a la platica de violencia domestica, soy promotora",
    "txhais npab doog li raug ntaus tom qab rho ntshav",
    "talked with my counselor about my old self harm scars, proud how far i've come",
]


@pytest.mark.parametrize("text", NOT_CRISIS)
def test_ordinary_contexts_stay_out_of_the_crisis_tier(text: str) -> None:
    assert assess(text, model=False).tier != CRISIS, (text, assess(text, model=False))


# Spanish "molestar" is to bother: a complaint, never the crisis tier (it matched the
# English "molest" before; no tier, tested with the look-alikes); the English word stays
# a crisis.
BOTHER = [
    "me molesta que no contesten el telefono",
    "perdon por molestar pero nadie me llamo",
    "la doctora se molesto con mis preguntas",
    "estoy molesto con la recepcion",
]


@pytest.mark.parametrize(
    "text",
    [
        "my son says he's taking his uncle's gun to school for the kids who bully him",
        "mi hijo dice que va a llevar la pistola de su papa a la escuela",
    ],
)
def test_a_weapon_taken_to_school_is_a_crisis(text: str) -> None:
    assert assess(text, model=False).tier == CRISIS, (text, assess(text, model=False))


def test_molest_in_english_stays_a_crisis() -> None:
    assert assess("my daughter told me today her stepdad molested her", model=False).tier == CRISIS


# A past event with the client safe now: a crisis-tier phrase goes to a person, not to
# the immediate crisis reply.
PAST = [
    "tus qub txiv tau ntaus kuv thaum ub, tam sim no kuv nyab xeeb lawm",
    "chồng cũ ngày xưa đánh tôi",
    "had an overdose 4 yrs ago, sober since, just here for a test",
]


@pytest.mark.parametrize(
    "text", [*MISSES, *TRAINING_MISSES, *SECOND_PASS_MISSES, *THIRD_PASS_MISSES]
)
def test_round_six_kinds_reach_a_tier(text: str) -> None:
    assert assess(text, model=False).tier in (CRISIS, URGENT_REVIEW), text


@pytest.mark.parametrize("text", [*LOOKALIKES, *BOTHER])
def test_round_six_look_alikes_get_no_tier(text: str) -> None:
    assert assess(text, model=False).tier is None, (text, assess(text, model=False))


@pytest.mark.parametrize("text", PAST)
def test_a_past_event_with_the_client_safe_goes_to_a_person(text: str) -> None:
    a = assess(text, model=False)
    assert a.tier == URGENT_REVIEW and a.demoted, (text, a)
