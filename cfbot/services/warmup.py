"""Load what the first texts would otherwise load mid-request: the lexicons and their
compiled lists, the crisis lists, the learned models and lingua's language models
(about 2 s and 100 MB on first use). ``cfbot.wsgi`` calls :func:`warm_up` once per web
worker, so no client waits for it; tests and the CLI load lazily as before."""

from __future__ import annotations

import logging
import time

from cfbot.services.crisis import assess
from cfbot.services.language import _get_detector
from cfbot.services.reply_scoring import score_with_model
from cfbot.services.sentiment import LEXICON_LANGS

__all__ = ["warm_up"]

log = logging.getLogger(__name__)

SAMPLE = "the wait was long but the nurse was kind to my son"


def warm_up() -> float:
    """Load everything the inbound path uses; returns the seconds it took."""
    start = time.perf_counter()
    for lang in LEXICON_LANGS:
        score_with_model(SAMPLE, lang, None)
    assess(SAMPLE)
    assess("the wait was killing me")  # a list hit: loads the veto model too
    _get_detector().compute_language_confidence_values(SAMPLE)
    took = time.perf_counter() - start
    log.info("warmed up in %.1f s", took)
    return took
