"""`sbi`: a small CNN trained only on real faces and their self-blended versions (no fakes).

Each epoch blends every training real afresh (new transforms, new masks), so the network learns
blending boundaries rather than a fixed set of images. Validation is also fake-free: val reals vs
self-blends of val reals. Fakes in the train split are ignored on purpose.
"""

from __future__ import annotations

import itertools

import numpy as np
import torch
from torch import nn

from faceswap.bench.detectors.cnn import CNNDetector
from faceswap.bench.detectors.registry import DETECTORS
from faceswap.bench.inputs import DetectorInput
from faceswap.synth.sbi import self_blend_batch
from faceswap.utils.errors import FaceswapError


class BlendNet(nn.Module):
    """Five strided conv blocks + global average pooling: sees boundaries at several scales."""

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        chans = [3, width, width * 2, width * 2, width * 4, width * 4]
        layers: list[nn.Module] = []
        for cin, cout in itertools.pairwise(chans):
            layers += [nn.Conv2d(cin, cout, 3, stride=2, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(chans[-1], 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [N,3,S,S] -> [N,1] logits
        return self.head(self.features(x))


def _reals_with_landmarks(x: DetectorInput, labels: np.ndarray) -> DetectorInput:
    assert x.landmarks is not None
    return x.subset((labels == 0) & np.isfinite(x.landmarks).all(axis=(1, 2)))


@DETECTORS.register("sbi")
class SBIDetector(CNNDetector):
    needs = frozenset({"crops", "landmarks"})
    uses_fakes = False

    def __init__(
        self,
        seed: int = 0,
        epochs: int = 10,
        batch_size: int = 32,
        lr: float = 1e-3,
        width: int = 32,
        patience: int | None = None,
    ) -> None:
        super().__init__(seed)
        self.epochs, self.batch_size, self.lr, self.width, self.patience = epochs, batch_size, lr, width, patience
        self.model: BlendNet | None = None
        self.info: dict[str, float] = {}

    def fit(
        self,
        train: DetectorInput,
        labels: np.ndarray,
        val: DetectorInput | None = None,
        val_labels: np.ndarray | None = None,
    ) -> SBIDetector:
        reals = _reals_with_landmarks(train, labels)
        if len(reals) < 2:
            raise FaceswapError("sbi needs real training crops with landmarks", "generate real samples with landmarks")
        assert reals.landmarks is not None

        def epoch_data(epoch: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
            blended, _ = self_blend_batch(reals.crops, reals.landmarks, rng)
            labels = np.r_[np.zeros(len(reals)), np.ones(len(reals))].astype(np.int64)
            return np.concatenate([reals.crops, blended]), labels

        val_data = None
        if val is not None and val_labels is not None and len(val_reals := _reals_with_landmarks(val, val_labels)) >= 2:
            assert val_reals.landmarks is not None
            blended, _ = self_blend_batch(val_reals.crops, val_reals.landmarks, np.random.default_rng(self.seed + 1))
            val_data = (
                np.concatenate([val_reals.crops, blended]),
                np.r_[np.zeros(len(val_reals)), np.ones(len(blended))],
            )
        self.fit_network(lambda: BlendNet(self.width), epoch_data, val_data)
        return self
