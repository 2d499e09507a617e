"""Metrics against hand-computed cases: perfect, inverted, tied, random scores, a known ROC curve."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from faceswap.bench import metrics

LABELS = [0, 0, 1, 1]
SCORES = [0.1, 0.4, 0.35, 0.8]  # ROC: (0,0) (0,.5) (.5,.5) (.5,1) (1,1)


def test_known_curve_by_hand() -> None:
    assert metrics.roc_auc(LABELS, SCORES) == pytest.approx(0.75)
    # precision at the two fake ranks: 1/1 and 2/3 -> AP = 0.5 * 1 + 0.5 * 2/3
    assert metrics.average_precision(LABELS, SCORES) == pytest.approx(0.5 + 1 / 3)
    assert metrics.equal_error_rate(LABELS, SCORES) == pytest.approx(0.5)
    assert metrics.tpr_at_fpr(LABELS, SCORES, 0.01) == pytest.approx(0.5)
    acc = metrics.accuracies(LABELS, SCORES)
    assert acc == {"acc": 0.75, "acc_real": 1.0, "acc_fake": 0.5}


def test_perfect_and_inverted() -> None:
    y = np.r_[np.zeros(50), np.ones(50)]
    s = np.r_[np.linspace(0, 0.4, 50), np.linspace(0.6, 1, 50)]
    out = metrics.summarize(y, s, n_boot=200)
    assert out["auc"] == 1.0 and out["ap"] == 1.0 and out["eer"] == 0.0 and out["tpr_at_1fpr"] == 1.0
    assert out["auc_ci95"] == [1.0, 1.0] and out["acc"] == 1.0
    assert metrics.roc_auc(y, 1 - s) == 0.0
    assert metrics.equal_error_rate(y, 1 - s) == 1.0
    assert metrics.tpr_at_fpr(y, 1 - s) == 0.0


def test_ties_and_random_scores() -> None:
    y = np.r_[np.zeros(10), np.ones(10)]
    assert metrics.roc_auc(y, np.full(20, 0.3)) == 0.5
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 4000)
    s = rng.random(4000)
    assert abs(metrics.roc_auc(y, s) - 0.5) < 0.03
    lo, hi = metrics.bootstrap_auc_ci(y, s, n_boot=300)
    assert lo < 0.5 < hi and hi - lo < 0.1


def test_rank_auc_matches_sklearn_with_ties() -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 300)
    s = np.round(rng.random(300) + 0.3 * y, 1)  # many ties
    assert metrics.roc_auc(y, s) == pytest.approx(roc_auc_score(y, s))


def test_bootstrap_interval_contains_auc_and_shrinks() -> None:
    rng = np.random.default_rng(2)

    def width(n: int) -> tuple[float, float, float]:
        y = np.r_[np.zeros(n), np.ones(n)]
        s = np.r_[rng.normal(0, 1, n), rng.normal(1, 1, n)]
        lo, hi = metrics.bootstrap_auc_ci(y, s, n_boot=400, seed=3)
        return lo, metrics.roc_auc(y, s), hi

    lo, auc, hi = width(40)
    lo2, auc2, hi2 = width(1000)
    assert lo <= auc <= hi and lo2 <= auc2 <= hi2
    assert hi2 - lo2 < (hi - lo) / 2


def test_video_auc_averages_frames_per_video() -> None:
    labels = [0, 0, 0, 0, 1, 1, 1, 1]
    scores = [0.9, 0.1, 0.2, 0.2, 0.6, 0.6, 0.1, 0.1]
    keys = ["r1", "r1", "r2", "r2", "f1", "f1", "f2", "f2"]
    _, v_scores, uniq = metrics.video_scores(labels, scores, keys)
    assert dict(zip(uniq, v_scores, strict=True)) == pytest.approx({"f1": 0.6, "f2": 0.1, "r1": 0.5, "r2": 0.2})
    # fakes 0.6, 0.1 vs reals 0.5, 0.2: pairs won 2 of 4
    assert metrics.video_auc(labels, scores, keys) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="mixes real and fake"):
        metrics.video_scores([0, 1], [0.1, 0.2], ["v", "v"])


def test_single_class_gives_nan_not_error() -> None:
    out = metrics.summarize([1, 1, 1], [0.2, 0.5, 0.9], n_boot=10)
    assert math.isnan(out["auc"]) and math.isnan(out["eer"]) and math.isnan(out["acc_real"])
    assert out["acc_fake"] == pytest.approx(2 / 3)
