"""Round five: explicit threats with a weapon, and a plan with a means and a time, must
reach the crisis tier, not only urgent_review (both were found in the demo). The
sentences are written here, not copied from any data set."""

from __future__ import annotations

import pytest

from cfbot.services.crisis import CRISIS, assess

CRISIS_TIER = [
    # a weapon and a threat aimed at the client or the family
    "my boyfriend has a gun and said he will use it on me tonight",
    "he keeps a knife by the bed and says he'll use it on me if i leave",
    "my husband pointed his gun at me last night",
    "she pulled a knife on me and the kids this morning",
    "my ex showed up with a gun and said he's going to shoot me",
    "mi esposo tiene una pistola y dice que la va a usar contra mi",
    "me apunto con la pistola anoche",
    "mi pareja me amenazo con un cuchillo",
    "mi hermano saco un machete y dijo que nos iba a matar",
    # a means saved up, with or without a time
    "i have pills saved up and tonight is the night",
    "i've been saving my sleeping pills, i have enough now",
    "got a rope in the garage and i'm doing it this weekend",
    "tengo pastillas guardadas y esta noche me las tomo",
    "ya junte suficientes pastillas para no despertar",
    "tonight i'm going to take all my pills",
]

QUIET = [
    "the gun lock they gave us works great",
    "do you have info about safe storage for guns",
    "i saved money on my pills with the discount card, thanks",
    "tonight is the night of my son's graduation so i had to leave early",
    "the knife wound from cooking healed nicely, thanks doc",
    "mi hijo tiene una pistola de agua y mojo a la enfermera jaja",
    "gracias por el descuento en las pastillas",
]


@pytest.mark.parametrize("text", CRISIS_TIER)
def test_weapon_threats_and_saved_means_are_crisis_tier(text: str) -> None:
    a = assess(text)
    assert a.tier == CRISIS and not a.demoted, (text, a)


@pytest.mark.parametrize("text", QUIET)
def test_their_look_alikes_stay_out_of_the_crisis_tier(text: str) -> None:
    assert assess(text).tier != CRISIS, (text, assess(text))
