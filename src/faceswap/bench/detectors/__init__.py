"""Deepfake detectors, one file each, registered by name in `DETECTORS` (see `base.Detector`)."""

from faceswap.bench.detectors import (
    avsync,
    blink,
    headpose,
    meso4,
    phase,
    provenance,
    sbi,
    source_match,
    spectrum,
    srm,
    timm_cnn,
)
from faceswap.bench.detectors.base import Detector, FeatureDetector
from faceswap.bench.detectors.registry import DETECTORS, build_detector

__all__ = [
    "DETECTORS",
    "Detector",
    "FeatureDetector",
    "avsync",
    "blink",
    "build_detector",
    "headpose",
    "meso4",
    "phase",
    "provenance",
    "sbi",
    "source_match",
    "spectrum",
    "srm",
    "timm_cnn",
]
