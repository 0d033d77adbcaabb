"""``gateway serve`` sets the cyclic garbage collector for serving (``runner.tune_collector``)."""

from __future__ import annotations

import gc

from gateway.runner import YOUNG_THRESHOLD, tune_collector


def test_start_up_is_frozen_and_the_youngest_generation_collected_less_often() -> None:
    before = gc.get_threshold()
    try:
        tune_collector()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (YOUNG_THRESHOLD, *before[1:])
        assert before[0] < YOUNG_THRESHOLD
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
