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


def _correlated_videos() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """4 real + 4 fake videos of 50 frames; every frame of a video has its video's score."""
    v_scores = np.array([0.1, 0.3, 0.5, 0.7, 0.4, 0.6, 0.8, 0.9])
    v_labels = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    video = np.repeat(np.arange(8), 50)  # [400]
    return v_labels[video], v_scores[video], video, v_labels, v_scores


def test_video_bootstrap_is_much_wider_than_frame_bootstrap() -> None:
    y, s, video, _, _ = _correlated_videos()
    f_lo, f_hi = metrics.bootstrap_auc_ci(y, s, n_boot=500, seed=0)
    v_lo, v_hi = metrics.bootstrap_auc_ci(y, s, n_boot=500, seed=0, clusters=video)
    auc = metrics.roc_auc(y, s)  # 13 of 16 video pairs won
    assert auc == pytest.approx(13 / 16)
    assert v_lo <= auc <= v_hi and f_lo <= auc <= f_hi
    assert (v_hi - v_lo) > 4 * (f_hi - f_lo)
    assert v_hi - v_lo > 0.3  # 4 videos per class cannot pin an AUC down


def test_cluster_weights_equal_resampling_the_videos_themselves() -> None:
    """Frames weighted by how often their video is drawn = AUC of the drawn videos (same draws, same seed)."""
    y, s, video, v_labels, v_scores = _correlated_videos()
    by_frames = metrics.bootstrap_auc_ci(y, s, n_boot=300, seed=5, clusters=video)
    by_videos = metrics.bootstrap_auc_ci(v_labels, v_scores, n_boot=300, seed=5)
    assert by_frames == pytest.approx(by_videos)


def test_mixed_clusters_resample_reals_with_their_fakes() -> None:
    """A cluster holding a real video and its fake is drawn whole; every resample still has both classes."""
    rng = np.random.default_rng(0)
    y = np.tile([0, 0, 1, 1], 10)  # 10 source videos, 2 real + 2 fake frames each
    s = rng.random(40) + 0.5 * y
    clusters = np.repeat(np.arange(10), 4)
    lo, hi = metrics.bootstrap_auc_ci(y, s, n_boot=200, seed=1, clusters=clusters)
    assert math.isfinite(lo) and lo < metrics.roc_auc(y, s) < hi


def test_summarize_video_level_by_hand_and_nan_exclusion() -> None:
    labels = [0, 0, 0, 0, 1, 1, 1, 1, 1]
    scores = [0.2, 0.4, 0.1, 0.3, 0.9, 0.1, 0.5, 0.7, math.nan]
    videos = [0, 0, 1, 1, 2, 2, 3, 3, 3]  # video means: real 0.3, 0.2; fake 0.5, 0.6 (NaN frame left out)
    out = metrics.summarize(labels, scores, videos, n_boot=100)
    assert out["video_auc"] == 1.0 and out["n_excluded"] == 1 and out["n_fake"] == 4
    assert out["n_videos_real"] == 2 and out["n_videos_fake"] == 2
    # frame AUC over the 8 scored frames: fakes 0.9, 0.1, 0.5, 0.7 beat 4, 0 (+ a tie), 4, 4 reals -> 12.5/16
    assert out["auc"] == pytest.approx(12.5 / 16)
    assert out["video_auc_ci95"] == [1.0, 1.0]
