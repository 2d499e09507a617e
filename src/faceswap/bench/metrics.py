"""Detection metrics as DeepfakeBench reports them, plus TPR@1%FPR and a bootstrap AUC interval.

Scores are fake probabilities; label 1 = fake, 0 = real. Every function returns NaN (never raises)
when a class is missing, so a report can still be written for a degenerate split.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, roc_curve


def _valid(labels: np.ndarray, scores: np.ndarray) -> bool:
    return labels.size > 0 and labels.min() != labels.max() and np.isfinite(scores).all()


def _arrays(labels: Any, scores: Any) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(labels, dtype=np.int64).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    if y.shape != s.shape:
        raise ValueError(f"labels {y.shape} and scores {s.shape} differ in length")
    return y, s


def roc_auc(labels: Any, scores: Any) -> float:
    """Mann-Whitney AUC: P(score_fake > score_real) + 0.5 P(tie)."""
    y, s = _arrays(labels, scores)
    if not _valid(y, s):
        return math.nan
    return float(_auc_rank(s[y == 1][None], s[y == 0][None])[0])


def _auc_rank(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """Row-wise AUC of positives [B,P] vs negatives [B,Q] from mid-ranks (ties count one half)."""
    n_pos, n_neg = pos.shape[1], neg.shape[1]
    both = np.concatenate([pos, neg], axis=1)  # [B,P+Q]
    order = np.argsort(both, axis=1, kind="mergesort")
    sorted_vals = np.take_along_axis(both, order, axis=1)
    ranks = np.empty_like(both)
    for row in range(both.shape[0]):
        _, first, counts = np.unique(sorted_vals[row], return_index=True, return_counts=True)
        mid = first + (counts + 1) / 2.0  # 1-based mid-rank of each tie group
        ranks[row, order[row]] = np.repeat(mid, counts)
    rank_sum = ranks[:, :n_pos].sum(axis=1)
    return (rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)


def roc_points(labels: Any, scores: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(fpr, tpr, thresholds) of the ROC curve, starting at (0, 0)."""
    y, s = _arrays(labels, scores)
    if not _valid(y, s):
        return np.array([0.0, 1.0]), np.array([0.0, 1.0]), np.array([np.inf, -np.inf])
    fpr, tpr, thr = roc_curve(y, s, drop_intermediate=False)
    return fpr, tpr, thr


def average_precision(labels: Any, scores: Any) -> float:
    y, s = _arrays(labels, scores)
    if not _valid(y, s):
        return math.nan
    return float(average_precision_score(y, s))


def equal_error_rate(labels: Any, scores: Any) -> float:
    """EER = FPR at the ROC point where |FNR - FPR| is smallest (DeepfakeBench's definition)."""
    y, s = _arrays(labels, scores)
    if not _valid(y, s):
        return math.nan
    fpr, tpr, _ = roc_points(y, s)
    fnr = 1.0 - tpr
    best = int(np.nanargmin(np.abs(fnr - fpr)))
    return float(fpr[best])


def tpr_at_fpr(labels: Any, scores: Any, max_fpr: float = 0.01) -> float:
    """Highest TPR over ROC points whose FPR does not exceed `max_fpr`."""
    y, s = _arrays(labels, scores)
    if not _valid(y, s):
        return math.nan
    fpr, tpr, _ = roc_points(y, s)
    allowed = fpr <= max_fpr + 1e-12
    return float(tpr[allowed].max()) if allowed.any() else 0.0


def accuracies(labels: Any, scores: Any, threshold: float = 0.5) -> dict[str, float]:
    """Accuracy at a fixed threshold overall and per class (real = specificity, fake = recall)."""
    y, s = _arrays(labels, scores)
    pred = (s >= threshold).astype(np.int64)
    out = {"acc": math.nan, "acc_real": math.nan, "acc_fake": math.nan}
    if y.size:
        out["acc"] = float((pred == y).mean())
    if (y == 0).any():
        out["acc_real"] = float((pred[y == 0] == 0).mean())
    if (y == 1).any():
        out["acc_fake"] = float((pred[y == 1] == 1).mean())
    return out


def bootstrap_auc_ci(
    labels: Any, scores: Any, n_boot: int = 1000, level: float = 0.95, seed: int = 0
) -> tuple[float, float]:
    """Percentile interval of AUC over stratified resamples (reals and fakes resampled separately)."""
    y, s = _arrays(labels, scores)
    if not _valid(y, s) or n_boot <= 0:
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    pos, neg = s[y == 1], s[y == 0]
    aucs = []
    chunk = max(1, 200_000 // (pos.size + neg.size))
    for start in range(0, n_boot, chunk):
        rows = min(chunk, n_boot - start)
        pos_b = pos[rng.integers(0, pos.size, size=(rows, pos.size))]  # [B,P]
        neg_b = neg[rng.integers(0, neg.size, size=(rows, neg.size))]  # [B,Q]
        aucs.append(_auc_rank(pos_b, neg_b))
    all_aucs = np.concatenate(aucs)
    alpha = (1.0 - level) / 2.0
    return (float(np.quantile(all_aucs, alpha)), float(np.quantile(all_aucs, 1.0 - alpha)))


def video_scores(labels: Any, scores: Any, video_keys: Any) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Mean frame score per video: (video labels [V], video scores [V], keys [V])."""
    y, s = _arrays(labels, scores)
    keys = np.asarray(video_keys, dtype=object).ravel()
    uniq = sorted(set(keys.tolist()))
    v_labels = np.empty(len(uniq), dtype=np.int64)
    v_scores = np.empty(len(uniq), dtype=np.float64)
    for i, key in enumerate(uniq):
        sel = keys == key
        if y[sel].min() != y[sel].max():
            raise ValueError(f"video {key!r} mixes real and fake frames; key videos by label and method")
        v_labels[i] = y[sel][0]
        v_scores[i] = s[sel].mean()
    return v_labels, v_scores, uniq


def video_auc(labels: Any, scores: Any, video_keys: Any) -> float:
    v_labels, v_scores, _ = video_scores(labels, scores, video_keys)
    return roc_auc(v_labels, v_scores)


def summarize(
    labels: Any, scores: Any, video_keys: Any | None = None, n_boot: int = 1000, seed: int = 0
) -> dict[str, Any]:
    """Every metric of the main table for one (detector, test set)."""
    y, s = _arrays(labels, scores)
    lo, hi = bootstrap_auc_ci(y, s, n_boot=n_boot, seed=seed)
    out: dict[str, Any] = {
        "auc": roc_auc(y, s),
        "auc_ci95": [lo, hi],
        "ap": average_precision(y, s),
        "eer": equal_error_rate(y, s),
        "tpr_at_1fpr": tpr_at_fpr(y, s, 0.01),
        "n_real": int((y == 0).sum()),
        "n_fake": int((y == 1).sum()),
        **accuracies(y, s),
    }
    out["video_auc"] = video_auc(y, s, video_keys) if video_keys is not None else math.nan
    return out
