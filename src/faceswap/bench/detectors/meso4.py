"""`meso4`: Meso-4 (Afchar et al. 2018) trained from scratch on CPU.

Four conv blocks looking at mesoscopic texture, then a tiny classifier head; ~28k parameters.
The input side is the crop side (128 px by default; the paper used 256).
"""

from __future__ import annotations

import torch
from torch import nn

from faceswap.bench.detectors.base import both_classes
from faceswap.bench.detectors.cnn import CNNDetector
from faceswap.bench.detectors.registry import DETECTORS
from faceswap.bench.samples import Samples
from faceswap.utils.errors import FaceswapError


class Meso4(nn.Module):
    def __init__(self, size: int = 128) -> None:
        super().__init__()

        def block(cin: int, cout: int, k: int, pool: int) -> nn.Sequential:
            return nn.Sequential(
                nn.Conv2d(cin, cout, k, padding=k // 2), nn.ReLU(), nn.BatchNorm2d(cout), nn.MaxPool2d(pool)
            )

        self.features = nn.Sequential(block(3, 8, 3, 2), block(8, 8, 5, 2), block(8, 16, 5, 2), block(16, 16, 5, 4))
        side = size // 32
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(0.5),
            nn.Linear(16 * side * side, 16),
            nn.LeakyReLU(0.1),
            nn.Dropout(0.5),
            nn.Linear(16, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [N,3,S,S] -> [N,1] logits
        return self.head(self.features(x))


@DETECTORS.register("meso4")
class Meso4Detector(CNNDetector):
    needs = frozenset({"crops"})

    def __init__(
        self, seed: int = 0, epochs: int = 12, batch_size: int = 32, lr: float = 1e-3, patience: int | None = 3
    ) -> None:
        super().__init__(seed)
        self.epochs, self.batch_size, self.lr, self.patience = epochs, batch_size, lr, patience
        self.model: Meso4 | None = None
        self.info: dict[str, float] = {}

    def fit(self, train: Samples, val: Samples | None = None) -> Meso4Detector:
        if not both_classes(train):
            raise FaceswapError("meso4 needs real and fake training samples", "generate both")
        if train.size % 32:
            raise FaceswapError(
                f"meso4 needs a crop side divisible by 32, got {train.size}",
                "use crops of 128 px (any multiple of 32)",
                param="crop_size",
            )
        val_data = (val.crops, val.labels) if both_classes(val) else None
        self.fit_network(lambda: Meso4(train.size), lambda epoch, rng: (train.crops, train.labels), val_data)
        return self
