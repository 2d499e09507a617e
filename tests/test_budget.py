"""Sizing a run to a time budget: the hour holds on a slow CPU, a fast one keeps the configured run."""

from __future__ import annotations

import pytest

from faceswap.utils.budget import plan_budget, split_steps, steady_step_seconds, steps_for_budget, weighted_step_seconds


def test_cpu_hour_on_both_cpu_kinds() -> None:
    # issue #21: ~1.2 s a step on the 2-core EPYC, ~0.55 s on the Xeon; 60 min with ~6 min of other work
    slow = plan_budget(1.2, 3600, 360, max_steps=5500, multiple=50)
    assert slow.steps == 2700 and slow.fits  # (3600 - 360) / 1.2 = 2700
    assert slow.overhead_s + slow.steps * slow.step_seconds <= 3600
    fast = plan_budget(0.55, 3600, 360, max_steps=5500, multiple=50)
    assert fast.steps == 5500  # fits more, keeps the configured run
    assert "2700 steps" in slow.describe() and "60.0 min" in slow.describe()


def test_a_margin_keeps_part_of_the_budget_for_drift() -> None:
    # the emulated slow EPYC: 0.713 s a GAN step, 314 s fixed; 5 % of the hour kept free
    kept = plan_budget(0.713, 3600, 314, max_steps=5500, multiple=50, margin=0.05)
    assert kept.steps == 4350 and kept.margin_s == 180  # (3600 - 180 - 314) / 0.713 = 4356
    assert kept.overhead_s + kept.steps * kept.step_seconds <= 3600 - 180
    assert "3.0 min of it kept for drift" in kept.describe()
    assert plan_budget(0.713, 3600, 314, max_steps=5500, multiple=50).steps == 4600  # no margin: 59.9 of 60 min
    assert plan_budget(0.545, 3600, 360, max_steps=5500, multiple=50, margin=0.05).steps == 5500  # fast: as configured
    with pytest.raises(ValueError):
        plan_budget(1.0, 100, margin=1.0)


def test_rounds_down_and_reports_what_does_not_fit() -> None:
    assert steps_for_budget(1.0, 1000, 0, multiple=250) == 1000
    assert steps_for_budget(1.0, 999, 0, multiple=250) == 750
    assert steps_for_budget(1.0, 100, 0, multiple=250) == 100  # below one multiple: no rounding to zero
    tight = plan_budget(2.0, 100, 99, min_steps=10)
    assert not tight.fits and tight.steps == 10 and "does not fit" in tight.describe()
    with pytest.raises(ValueError):
        plan_budget(0.0, 100)


def test_step_time_estimates() -> None:
    assert steady_step_seconds([5.0, 3.0, 1.0, 1.2, 9.0, 1.1]) == pytest.approx(1.15)  # warm-up dropped, median
    assert steady_step_seconds([0.5]) == 0.5
    assert weighted_step_seconds({"warmup": 0.2, "main": 0.8}, {"warmup": 0.4, "main": 0.6}) == pytest.approx(0.56)
    with pytest.raises(ValueError):
        weighted_step_seconds({"refine": 1.0}, {"main": 0.5})


def test_split_steps_keeps_the_ratio_and_the_total() -> None:
    assert split_steps(2700, {"train": 5000, "finetune": 500}) == {"train": 2455, "finetune": 245}
    parts = split_steps(7, {"a": 1, "b": 1, "c": 1})
    assert sum(parts.values()) == 7 and min(parts.values()) == 2
    assert split_steps(2, {"train": 1000, "finetune": 1}) == {"train": 1, "finetune": 1}
