"""The optional first question "Which clinic did you visit?" (flow key ``ask_site``).

A survey started where nothing says the site (a poster keyword without a site code, the
web chat without ``?site=``) asks it first when the flow has ``ask_site: true``. The
choices are the sites of ``routing.yaml``, given by the caller, so the flow stays pure;
the answer becomes the survey's site (the engine fills ``{site}`` from it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from cfbot.flows.model import Choice, Flow, Question, frozen_map
from cfbot.i18n import translate

SITE_QUESTION_ID = "_site"


def site_question(flow: Flow, sites: Sequence[tuple[str, str]]) -> Question:
    """A choice question listing ``sites`` (``(key, display name)``) in every flow language."""
    text = {
        lang: translate(lang, "Which clinic did you visit? Reply with a number.")
        for lang in flow.languages
    }
    choices = tuple(
        Choice(key, frozen_map({lang: name for lang in flow.languages})) for key, name in sites
    )
    return Question(
        id=SITE_QUESTION_ID,
        type="choice",
        text=frozen_map(text),
        choices=choices,
        retries=2,
    )


def with_site_question(flow: Flow, sites: Sequence[tuple[str, str]]) -> Flow:
    """``flow`` with the site question first (unchanged when there are no sites)."""
    if not sites:
        return flow
    return replace(flow, questions=(site_question(flow, sites), *flow.questions))
