"""Detection metrics as DeepfakeBench reports them, plus TPR@1%FPR and a video-bootstrap AUC interval.

Scores are fake probabilities; label 1 = fake, 0 = real. Every function returns NaN (never raises)
when a class is missing, so a report can still be written for a degenerate split.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import sparse
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
    labels: Any,
    scores: Any,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
    clusters: Any | None = None,
) -> tuple[float, float]:
    """Percentile interval of AUC over resamples of whole clusters (videos); each frame is one when None.

    Frames of one video are correlated, so the video, not the frame, is the unit resampled: a cluster
    carries all its frames, weighted by how often it is drawn. Clusters are drawn separately within
    strata (real-only, fake-only, both classes), so every resample keeps both classes.
    """
    y, s = _arrays(labels, scores)
    if not _valid(y, s) or n_boot <= 0:
        return (math.nan, math.nan)
    codes = _codes(np.arange(y.size) if clusters is None else clusters, y.size)  # [N] cluster index
    n_clusters = int(codes.max()) + 1
    values, tie_group = np.unique(s, return_inverse=True)  # ascending tie groups [N]
    shape = (n_clusters, values.size)
    pos = sparse.csr_matrix((np.ones(int(y.sum())), (codes[y == 1], tie_group[y == 1])), shape=shape)  # [C,G]
    neg = sparse.csr_matrix((np.ones(int((y == 0).sum())), (codes[y == 0], tie_group[y == 0])), shape=shape)
    has_real = np.bincount(codes[y == 0], minlength=n_clusters) > 0
    has_fake = np.bincount(codes[y == 1], minlength=n_clusters) > 0
    strata = [np.flatnonzero(has_real * 1 + has_fake * 2 == k) for k in (1, 2, 3)]
    rng = np.random.default_rng(seed)
    aucs = []
    chunk = max(1, 2_000_000 // max(values.size, n_clusters))
    for start in range(0, n_boot, chunk):
        counts = _draw_counts(rng, strata, min(chunk, n_boot - start), n_clusters)  # [B,C]
        pos_w = np.asarray((pos.T @ counts.T).T)  # [B,G] fake weight per tie group
        neg_w = np.asarray((neg.T @ counts.T).T)  # [B,G]
        below = np.cumsum(neg_w, axis=1) - neg_w
        with np.errstate(invalid="ignore", divide="ignore"):
            aucs.append((pos_w * (below + 0.5 * neg_w)).sum(1) / (pos_w.sum(1) * neg_w.sum(1)))
    all_aucs = np.concatenate(aucs)
    alpha = (1.0 - level) / 2.0
    return (float(np.nanquantile(all_aucs, alpha)), float(np.nanquantile(all_aucs, 1.0 - alpha)))


def _codes(groups: Any, n: int) -> np.ndarray:
    """Group labels of any hashable kind -> int codes 0..K-1 [N]."""
    arr = np.asarray(groups, dtype=object).ravel()
    if arr.size != n:
        raise ValueError(f"{arr.size} group keys for {n} scores")
    index: dict[Any, int] = {}
    return np.array([index.setdefault(g, len(index)) for g in arr.tolist()], dtype=np.int64)


def _draw_counts(rng: np.random.Generator, strata: list[np.ndarray], rows: int, n_clusters: int) -> np.ndarray:
    """How often each cluster is drawn in `rows` resamples, each stratum resampled to its own size -> [B,C]."""
    flat = np.zeros(rows * n_clusters, dtype=np.float64)
    offsets = (np.arange(rows) * n_clusters)[:, None]  # [B,1]
    for members in strata:
        if members.size:
            drawn = members[rng.integers(0, members.size, size=(rows, members.size))]  # [B,k]
            flat += np.bincount((offsets + drawn).ravel(), minlength=rows * n_clusters)
    return flat.reshape(rows, n_clusters)


def video_scores(labels: Any, scores: Any, video_keys: Any) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    """Mean frame score per video: (video labels [V], video scores [V], keys [V])."""
    y, s = _arrays(labels, scores)
    keys = np.asarray(video_keys, dtype=object).ravel()
    uniq = sorted(set(keys.tolist()), key=str)
    codes = _codes(keys, y.size)
    first = {k: i for i, k in reversed(list(enumerate(keys.tolist())))}
    v_labels = np.empty(len(uniq), dtype=np.int64)
    v_scores = np.empty(len(uniq), dtype=np.float64)
    for i, key in enumerate(uniq):
        sel = codes == codes[first[key]]
        if y[sel].min() != y[sel].max():
            raise ValueError(f"video {key!r} mixes real and fake frames; key videos by label and method")
        v_labels[i] = y[sel][0]
        v_scores[i] = s[sel].mean()
    return v_labels, v_scores, uniq


def video_auc(labels: Any, scores: Any, video_keys: Any) -> float:
    v_labels, v_scores, _ = video_scores(labels, scores, video_keys)
    return roc_auc(v_labels, v_scores)


def summarize(
    labels: Any,
    scores: Any,
    video_keys: Any | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    clusters: Any | None = None,
) -> dict[str, Any]:
    """Every metric of the main table for one (detector, test set).

    `video_keys` name each frame's video (one class per video), `clusters` the independent unit the
    bootstrap resamples (default: the video). Rows with a NaN score (a detector abstained) are left
    out and counted in `n_excluded`.
    """
    y, s = _arrays(labels, scores)
    keep = np.isfinite(s)
    keys = None if video_keys is None else np.asarray(video_keys, dtype=object).ravel()[keep]
    units = keys if clusters is None else np.asarray(clusters, dtype=object).ravel()[keep]
    y, s = y[keep], s[keep]
    lo, hi = bootstrap_auc_ci(y, s, n_boot=n_boot, seed=seed, clusters=units)
    out: dict[str, Any] = {
        "auc": roc_auc(y, s),
        "auc_ci95": [lo, hi],
        "ap": average_precision(y, s),
        "eer": equal_error_rate(y, s),
        "tpr_at_1fpr": tpr_at_fpr(y, s, 0.01),
        "n_real": int((y == 0).sum()),
        "n_fake": int((y == 1).sum()),
        "n_excluded": int((~keep).sum()),
        **accuracies(y, s),
        **_video_level(y, s, keys, units, n_boot, seed),
    }
    return out


def _video_level(
    y: np.ndarray, s: np.ndarray, keys: np.ndarray | None, units: np.ndarray | None, n_boot: int, seed: int
) -> dict[str, Any]:
    """Video AUC (mean frame score per video), its interval over units, and independent units per class."""
    out: dict[str, Any] = {"video_auc": math.nan, "video_auc_ci95": [math.nan, math.nan]}
    out["n_videos_real"] = len(set(units[y == 0].tolist())) if units is not None else int((y == 0).sum())
    out["n_videos_fake"] = len(set(units[y == 1].tolist())) if units is not None else int((y == 1).sum())
    if keys is None or not y.size:
        return out
    v_labels, v_scores, uniq = video_scores(y, s, keys)
    unit_of = dict(zip(keys.tolist(), units.tolist(), strict=True)) if units is not None else {}
    v_units = [unit_of.get(k, k) for k in uniq]
    out["video_auc"] = roc_auc(v_labels, v_scores)
    out["video_auc_ci95"] = list(bootstrap_auc_ci(v_labels, v_scores, n_boot=n_boot, seed=seed, clusters=v_units))
    return out
