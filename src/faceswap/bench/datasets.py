"""Benchmark inputs from dataset indexes: the stored splits, re-drawn splits, cross-dataset test sets, families.

Labels, methods and families are read here for the protocol (which rows train, which test, how to
group them for statistics); detectors still only receive the `Samples` of a split.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from faceswap.bench.samples import Samples
from faceswap.synth.index import data_root, index_path, load_samples, read_index, read_rgb
from faceswap.synth.splits import SPLITS, assign_splits, check_no_leakage, split_units
from faceswap.utils.errors import FaceswapError
from faceswap.utils.io import safe_join


@dataclass
class Dataset:
    """One index read into memory: every record's crop in `samples`, row i = record i."""

    path: str
    doc: dict[str, Any]
    records: list[dict[str, Any]]
    samples: Samples

    def subset(self, splits: list[str], names: tuple[str, ...]) -> Samples:
        """Rows whose split (from `splits`, one per record) is in `names`."""
        return self.samples.subset(np.isin(np.asarray(splits, dtype=object), list(names)))


def read_dataset(dataset: str | os.PathLike[str], crop_size: int | None) -> Dataset:
    """Read an index and all its crops (resized to `crop_size`, default: as stored)."""
    doc = read_index(dataset)
    root = data_root(doc, dataset)
    if not doc["samples"]:
        raise FaceswapError(f"{index_path(dataset)} lists no samples", "rerun `faceswap generate`")
    crop_size = crop_size or doc.get("crop_size") or read_rgb(safe_join(root, doc["samples"][0]["file"])).shape[0]
    return Dataset(str(index_path(dataset)), doc, doc["samples"], load_samples(root, doc["samples"], crop_size))


def split_fractions(records: list[dict[str, Any]]) -> tuple[float, float, float]:
    """Share of split units per split in the stored assignment (what a re-draw keeps)."""
    units = split_units(records)
    per_split = {s: {u for u, r in zip(units, records, strict=True) if r["split"] == s} for s in SPLITS}
    total = sum(len(v) for v in per_split.values())
    if not total:
        raise FaceswapError("no record has a train/val/test split", "regenerate the dataset")
    return tuple(len(per_split[s]) / total for s in SPLITS)  # type: ignore[return-value]


def redraw_splits(records: list[dict[str, Any]], seed: int) -> list[str]:
    """A fresh leakage-free split (whole units, same fractions as stored) -> the split of each record."""
    fresh = copy.deepcopy(records)
    assign_splits(fresh, split_fractions(records), seed)
    check_no_leakage(fresh)
    return [r["split"] for r in fresh]


def method_families(records: list[dict[str, Any]]) -> dict[str, str]:
    """Fake method -> its family (the record's `family`, else the method itself)."""
    families: dict[str, str] = {}
    for r in records:
        if r["label"] != 1:
            continue
        family = str(r.get("family") or r["method"])
        if families.setdefault(r["method"], family) != family:
            raise FaceswapError(
                f"method '{r['method']}' is in families '{families[r['method']]}' and '{family}'",
                "give every sample of a method the same `family` in index.json",
            )
    return families


def cross_test_set(other: Dataset, train_video_ids: set[str]) -> tuple[Samples, int]:
    """All of another dataset except videos also in the training dataset's train/val -> (samples, videos dropped).

    Nothing of the other dataset was trained on, so its every split is test data; a video id it shares
    with the training data (same clip re-used) would not be held out, so it is left out and counted.
    """
    video_ids = np.asarray([str(r["video_id"]) for r in other.records], dtype=object)
    overlap = np.isin(video_ids, list(train_video_ids))
    test = other.samples.subset(~overlap)
    labels = set(test.labels.tolist())
    if labels != {0, 1}:
        raise FaceswapError(
            f"test dataset {other.path} has no {'fakes' if 1 not in labels else 'reals'} outside the training videos",
            "test on a dataset with both classes made from other videos",
        )
    return test, len(set(video_ids[overlap].tolist()))
