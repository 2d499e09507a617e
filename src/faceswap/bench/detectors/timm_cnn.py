"""`xception` / `efficientnet_b4`: DeepfakeBench's strongest frame baselines through timm, for GPU users.

Random initialisation offline (nothing is downloaded); pass `weights=/path/state_dict.pt` (loaded with
`weights_only=True`) to start from weights you have. Trained like the other CNNs (BCE, Adam, flips,
best epoch by val AUC) on `device` (auto = CUDA when available). Skipped with a reason when timm is
not installed (`pip install "faceswap[timm]"`). Slow on CPU: not in the default detector list.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from faceswap.bench.detectors.base import both_classes
from faceswap.bench.detectors.cnn import CNNDetector
from faceswap.bench.detectors.registry import DETECTORS
from faceswap.bench.inputs import DetectorInput
from faceswap.utils.errors import FaceswapError


class Resized(nn.Module):
    """Resize the input to the backbone's resolution before the forward pass."""

    def __init__(self, backbone: nn.Module, size: int | None) -> None:
        super().__init__()
        self.backbone, self.size = backbone, size

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [N,3,S,S] -> [N,1]
        if self.size and x.shape[-1] != self.size:
            x = F.interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=False)
        return self.backbone(x)


class TimmDetector(CNNDetector):
    needs = frozenset({"crops"})
    model_name = "resnet18"

    def __init__(
        self,
        seed: int = 0,
        epochs: int = 8,
        batch_size: int = 32,
        lr: float = 2e-4,
        input_size: int | None = None,
        weights: str | None = None,
        device: str = "auto",
        patience: int | None = 3,
    ) -> None:
        super().__init__(seed)
        self.epochs, self.batch_size, self.lr = epochs, batch_size, lr
        self.score_batch_size = batch_size
        self.input_size, self.weights, self.patience = input_size, weights, patience
        self.device = ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device
        self.model: nn.Module | None = None
        self.info: dict[str, float] = {}

    def skip_reason(self, x: DetectorInput) -> str | None:
        if importlib.util.find_spec("timm") is None:
            return "timm is not installed (pip install 'faceswap[timm]')"
        return super().skip_reason(x)

    def build(self) -> nn.Module:
        import timm

        backbone = timm.create_model(self.model_name, pretrained=False, num_classes=1)
        if self.weights:
            state = torch.load(self.weights, map_location="cpu", weights_only=True)
            state = {k: v for k, v in state.items() if not k.startswith(("fc.", "classifier.", "head.fc."))}
            backbone.load_state_dict(state, strict=False)
        return Resized(backbone, self.input_size).to(self.device)

    def fit(
        self,
        train: DetectorInput,
        labels: np.ndarray,
        val: DetectorInput | None = None,
        val_labels: np.ndarray | None = None,
    ) -> TimmDetector:
        if not both_classes(labels):
            raise FaceswapError(f"{self.name} needs real and fake training samples", "generate both")
        val_data = (val.crops, val_labels) if val is not None and both_classes(val_labels) else None
        self.fit_network(self.build, lambda epoch, rng: (train.crops, labels), val_data)
        return self


@DETECTORS.register("xception")
class XceptionDetector(TimmDetector):
    model_name = "legacy_xception"  # the original Xception used by FaceForensics++


@DETECTORS.register("efficientnet_b4")
class EfficientNetB4Detector(TimmDetector):
    model_name = "efficientnet_b4"
