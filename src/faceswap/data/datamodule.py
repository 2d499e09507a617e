"""LightningDataModule over the face sets of a pair (or a multi-identity pool for pretraining).

A training sample is a pure function of its global sample number k (seeded from `seed` and k), and
the sampler hands out k = start, start+1, ... split across ranks.  Resuming at sample `start` therefore
replays exactly the batches an uninterrupted run would have seen, whatever the worker count.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from faceswap.data.augment import AugmentConfig, Augmenter
from faceswap.data.faceset import read_faceset
from faceswap.data.holdout import Holdout
from faceswap.face.masks import eye_mask, mouth_mask
from faceswap.utils.errors import FaceswapError

FaceRow = dict[str, Any]


def load_identity(
    faces_dir: str | os.PathLike[str], identity: str, min_faces: int = 2, holdout: Holdout | None = None
) -> list[FaceRow]:
    """Training rows of `faces_dir/<identity>/` (held-out and gap faces removed), with a clear error when too few."""
    every = read_faceset(Path(faces_dir) / identity)
    rows = [row for row in every if holdout is None or not holdout.is_excluded(identity, row)]
    if len(rows) < min_faces:
        held = f" ({len(every) - len(rows)} held out for evaluation)" if len(every) > len(rows) else ""
        raise FaceswapError(
            f"face set '{identity}' has {len(rows)} training face(s){held}, training needs at least {min_faces}",
            "collect more frames, relax the preprocess filters or hold out less",
        )
    return rows


class FaceLoader:
    """Reads a crop, its mask and its eye/mouth regions at the model resolution (cached per worker)."""

    def __init__(self, resolution: int, cache_size: int = 4096) -> None:
        self.resolution = resolution
        self.cache_size = cache_size
        self._cache: dict[str, tuple[np.ndarray, list[np.ndarray]]] = {}

    def __call__(self, row: FaceRow) -> tuple[np.ndarray, list[np.ndarray]]:
        """-> (rgb [R,R,3] uint8, [face mask, eyes, mouth] each [R,R] float32)."""
        key = str(row["path"])
        if key not in self._cache:
            item = self._read(row)
            if len(self._cache) >= self.cache_size:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = item
        return self._cache[key]

    def _read(self, row: FaceRow) -> tuple[np.ndarray, list[np.ndarray]]:
        res = self.resolution
        bgr = cv2.imread(str(row["path"]), cv2.IMREAD_COLOR)
        if bgr is None:
            raise FaceswapError(
                f"cannot read face crop {row['path']}", "rerun `faceswap preprocess` to rebuild the face set"
            )
        size = bgr.shape[0]
        interp = cv2.INTER_AREA if size > res else cv2.INTER_CUBIC
        rgb = cv2.cvtColor(cv2.resize(bgr, (res, res), interpolation=interp), cv2.COLOR_BGR2RGB)
        mask_img = cv2.imread(str(row["mask_path"]), cv2.IMREAD_GRAYSCALE)
        if mask_img is None:
            mask = np.ones((res, res), np.float32)
        else:
            mask = cv2.resize(mask_img, (res, res), interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255.0
        landmarks = np.asarray(row["landmarks_crop"], np.float32) * (res / size)  # [68,2] at model resolution
        return rgb, [mask, eye_mask(landmarks, res), mouth_mask(landmarks, res)]


def _to_tensor(image: np.ndarray) -> torch.Tensor:
    if image.ndim == 2:
        return torch.from_numpy(np.ascontiguousarray(image, np.float32))[None]  # [1,R,R]
    return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).float().div_(255.0)  # [3,R,R]


class PairDataset(Dataset):
    """Item k -> {"a": side, "b": side}; side = input (augmented, warped), target, mask, eyes, mouth."""

    def __init__(self, sides: Sequence[list[FaceRow]], resolution: int, augment: AugmentConfig, seed: int) -> None:
        self.sides = [list(s) for s in sides]
        self.augmenter = Augmenter(augment)
        self.loader = FaceLoader(resolution)
        self.seed = seed

    def __len__(self) -> int:
        return 2**62  # samples are indexed by an unbounded counter (see StepSampler)

    def side(self, rows: list[FaceRow], others: list[FaceRow], rng: np.random.Generator) -> dict[str, torch.Tensor]:
        image, masks = self.loader(rows[int(rng.integers(len(rows)))])
        reference = None
        if self.augmenter.cfg.ct_mode != "none":
            reference = self.loader(others[int(rng.integers(len(others)))])[0]
        warped, target, masks = self.augmenter(image, masks, int(rng.integers(2**62)), reference)
        mask, eyes, mouth = (_to_tensor(m) for m in masks)
        return {"input": _to_tensor(warped), "target": _to_tensor(target), "mask": mask, "eyes": eyes, "mouth": mouth}

    def __getitem__(self, k: int) -> dict[str, dict[str, torch.Tensor]]:
        rng = np.random.default_rng([self.seed, int(k)])
        a, b = self.sides
        return {"a": self.side(a, b, rng), "b": self.side(b, a, rng)}


def worker_context() -> mp.context.BaseContext:
    """Workers fork from a clean forkserver (this module preloaded), never from the training process:
    a fork of a process whose OpenCV/OpenMP thread pools are running deadlocks on their inherited locks."""
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["faceswap.data.datamodule"])
    return ctx


def _single_threaded(_: int) -> None:
    """Each worker does its own image work on one core (cv2 would start a thread pool per worker)."""
    cv2.setNumThreads(1)


class StepSampler(Sampler[int]):
    """Endless global sample numbers start+rank, start+rank+world, ... (no shuffling needed: items are random)."""

    def __init__(self, start: int, rank: int = 0, world_size: int = 1) -> None:
        self.start, self.rank, self.world_size = start, rank, world_size

    def __iter__(self) -> Iterator[int]:
        k = self.start + self.rank
        while True:
            yield k
            k += self.world_size


class SwapDataModule(pl.LightningDataModule):
    """Two face sets (`pair`) or, with `pretrain_identities`, a pooled multi-identity set on both sides."""

    def __init__(
        self,
        faces_dir: str,
        pair: Sequence[str],
        resolution: int,
        augment: AugmentConfig,
        batch_size: int = 8,
        num_workers: int = 0,
        seed: int = 0,
        pretrain_identities: Sequence[str] | None = None,
        max_faces: int = 0,
        holdout: Holdout | None = None,
    ) -> None:
        super().__init__()
        self.holdout = holdout  # faces (and their gap) kept out of training, chosen by the train command
        self.faces_dir, self.pair, self.resolution = str(faces_dir), [str(p) for p in pair], resolution
        self.augment, self.batch_size, self.num_workers, self.seed = augment, batch_size, num_workers, seed
        self.pretrain_identities = list(pretrain_identities or [])
        self.max_faces = max_faces  # > 0: use only the first N faces of each set (overfit checks)
        self.sides: list[list[FaceRow]] = []

    def setup(self, stage: str | None = None) -> None:
        if self.sides:
            return
        if self.pretrain_identities:
            pool = [
                row
                for ident in self.pretrain_identities
                for row in load_identity(self.faces_dir, ident, 2, self.holdout)
            ]
            self.sides = [pool, pool]
        else:
            self.sides = [load_identity(self.faces_dir, ident, 2, self.holdout) for ident in self.pair]
        if self.max_faces > 0:
            self.sides = [rows[: self.max_faces] for rows in self.sides]

    def apply_phase(self, batch_size: int, random_warp: bool) -> None:
        """A training phase's overrides that live in the data pipeline."""
        self.batch_size = batch_size
        self.augment = replace(self.augment, random_warp=random_warp)

    def dataset(self) -> PairDataset:
        self.setup()
        return PairDataset(self.sides, self.resolution, self.augment, self.seed)

    def train_dataloader(self) -> DataLoader:
        start, rank, world = 0, 0, 1
        if self.trainer is not None:
            start = int(getattr(self.trainer.lightning_module, "samples_seen", 0))
            rank, world = self.trainer.global_rank, self.trainer.world_size
        return DataLoader(
            self.dataset(),
            batch_size=self.batch_size,
            sampler=StepSampler(start, rank, world),
            num_workers=self.num_workers,
            persistent_workers=False,
            pin_memory=torch.cuda.is_available(),
            worker_init_fn=_single_threaded,
            multiprocessing_context=worker_context() if self.num_workers > 0 else None,
        )

    def preview_faces(self, count: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Fixed, un-augmented faces of A and B for previews and the timelapse: ([n,3,R,R], [n,3,R,R])."""
        self.setup()
        loader = FaceLoader(self.resolution)
        out = []
        for rows in self.sides:
            picks = np.linspace(0, len(rows) - 1, min(count, len(rows))).round().astype(int)
            out.append(torch.stack([_to_tensor(loader(rows[i])[0]) for i in picks]))
        return out[0], out[1]
