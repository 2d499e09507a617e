"""Leakage-free train/val/test splits: no identity pair and no video crosses splits.

Split units are the connected components of "sample -> its video" and "fake -> its identity
pair" when the data has several pairs (FF++ style). With a single pair every sample is connected,
so units fall back to videos (the issue's rule); callers may pass finer pseudo-video ids
(e.g. segments of one clip) and must then say so in the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from faceswap.utils.errors import FaceswapError

SPLITS = ("train", "val", "test")


def pair_key(record: dict[str, Any]) -> str | None:
    src, tgt = record.get("source_identity"), record.get("target_identity")
    if record.get("label") != 1 or not src or not tgt or src == tgt:
        return None
    return "|".join(sorted((str(src), str(tgt))))


def split_units(records: Sequence[dict[str, Any]]) -> list[str]:
    """The split unit of each record: a component over videos and identity pairs, or its video."""
    pairs = {k for r in records if (k := pair_key(r))}
    if len(pairs) < 2:
        return [f"video:{r['video_id']}" for r in records]
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for r in records:
        video = f"video:{r['video_id']}"
        find(video)
        if key := pair_key(r):
            parent[find(video)] = find(f"pair:{key}")
    return [find(f"video:{r['video_id']}") for r in records]


def assign_splits(
    records: list[dict[str, Any]], fractions: Sequence[float] = (0.7, 0.15, 0.15), seed: int = 0
) -> dict[str, int]:
    """Set `record['split']` in place, whole units at a time; returns the unit count per split."""
    if len(fractions) != 3 or min(fractions) < 0 or sum(fractions) <= 0:
        raise FaceswapError(
            f"bad split fractions {list(fractions)}", "give three non-negative numbers, e.g. [0.7, 0.15, 0.15]"
        )
    units = split_units(records)
    uniq = sorted(set(units))
    order = np.random.default_rng(seed).permutation(len(uniq))
    counts = _unit_counts(len(uniq), np.asarray(fractions, dtype=np.float64) / sum(fractions))
    bounds = np.cumsum(counts)
    split_of = {uniq[u]: SPLITS[int(np.searchsorted(bounds, rank, side="right"))] for rank, u in enumerate(order)}
    for record, unit in zip(records, units, strict=True):
        record["split"] = split_of[unit]
    return dict(zip(SPLITS, (int(c) for c in counts), strict=True))


def _unit_counts(n: int, fractions: np.ndarray) -> np.ndarray:
    """Units per split: one for every split with a non-zero share when n allows, the rest by largest remainder."""
    wanted = fractions > 0
    counts = wanted.astype(int) if n >= int(wanted.sum()) else np.zeros(len(fractions), int)
    target = fractions * n
    while counts.sum() < n:
        counts[int(np.argmax(np.where(wanted, target - counts, -np.inf)))] += 1
    return counts


def check_no_leakage(records: Sequence[dict[str, Any]]) -> None:
    """Raise when a video or an identity pair appears in more than one split."""
    seen: dict[str, str] = {}
    by_pair = len({k for x in records if (k := pair_key(x))}) >= 2
    for r in records:
        keys = [f"video {r['video_id']}"]
        if by_pair and (k := pair_key(r)):
            keys.append(f"identity pair {k}")
        for key in keys:
            if seen.setdefault(key, r["split"]) != r["split"]:
                raise FaceswapError(
                    f"{key} is in both '{seen[key]}' and '{r['split']}' splits",
                    "regenerate the dataset (splits are assigned per identity pair / video)",
                )
