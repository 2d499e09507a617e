"""`meso4`: Meso-4 (Afchar et al. 2018) trained from scratch on CPU.

Four conv blocks looking at mesoscopic texture, then a tiny classifier head; ~28k parameters.
The input side is the crop side (128 px by default; the paper used 256).

This file is the template for a new detector. A detector is two files and nothing else:
  1. `src/faceswap/bench/detectors/<name>.py` (this file): a `Detector` subclass (`FeatureDetector` for
     hand-crafted features + logistic regression, `CNNDetector` for a network trained on crops) decorated with
     `@DETECTORS.register("<name>")`. The registered name is its only name (`self.name` reads it back); the
     registry imports every module of `faceswap.bench.detectors` on first use, so no import line elsewhere.
  2. `configs/detector/<name>.yaml`: `<name>: {<constructor options>}` (no `_target_`, no `seed`: bench calls
     `create_detector("<name>", seed=cfg.seed, **options)`). Add `<name>` to the `detector` list in
     configs/base.yaml to run it by default, or select it: `faceswap bench 'detector=[spectrum,<name>]'`.
tests/test_registries.py then checks it constructs and its config composes; add a fit/score test with a floor
in tests/test_detectors.py (the CROP_DETECTORS list) - a detector must beat chance on the toy set.

Class attributes (see `base.Detector`): `needs` - what a sample must carry (`crops`, `landmarks`, `video`,
`audio`, `files`), only what a deployed detector could see; `uses_fakes` (False: trained without fakes, or
not trained); `robust_to_crops` (crop perturbations change its input); `in_average` (counted in the average).
Methods: `fit(train, val)` learns on train and chooses hyper-parameters / epoch on val, returns self;
`score(samples) -> [N] float64` P(fake).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from faceswap.bench.detectors.base import both_classes
from faceswap.bench.detectors.cnn import CNNDetector
from faceswap.bench.detectors.registry import DETECTORS
from faceswap.bench.inputs import DetectorInput
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
    """Options (configs/detector/meso4.yaml): epochs, batch_size, lr (Adam), patience (epochs without a better
    val AUC before stopping; None = all epochs). `seed` is the run's `seed`. The epoch with the best val AUC is kept.
    """

    needs = frozenset({"crops"})  # aligned face crops only

    def __init__(
        self, seed: int = 0, epochs: int = 12, batch_size: int = 32, lr: float = 1e-3, patience: int | None = 3
    ) -> None:
        super().__init__(seed)
        self.epochs, self.batch_size, self.lr, self.patience = epochs, batch_size, lr, patience
        self.model: Meso4 | None = None
        self.info: dict[str, float] = {}

    def fit(
        self,
        train: DetectorInput,
        labels: np.ndarray,
        val: DetectorInput | None = None,
        val_labels: np.ndarray | None = None,
    ) -> Meso4Detector:
        if not both_classes(labels):
            raise FaceswapError("meso4 needs real and fake training samples", "generate both")
        if train.size % 32:
            raise FaceswapError(
                f"meso4 needs a crop side divisible by 32, got {train.size}",
                "use crops of 128 px (any multiple of 32)",
                param="crop_size",
            )
        val_data = (val.crops, val_labels) if val is not None and both_classes(val_labels) else None
        self.fit_network(lambda: Meso4(train.size), lambda epoch, rng: (train.crops, labels), val_data)
        return self
