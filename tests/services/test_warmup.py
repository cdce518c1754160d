"""The web worker's warm-up loads the language detector and the models up front."""

from __future__ import annotations

from cfbot.services import feedback_model, language, safety_model
from cfbot.services.warmup import warm_up


def test_warm_up_loads_the_detector_and_the_models() -> None:
    took = warm_up()
    assert took >= 0
    assert language._detector is not None
    assert safety_model.load() is not None and feedback_model.load() is not None
    assert safety_model.load_veto() is not None
