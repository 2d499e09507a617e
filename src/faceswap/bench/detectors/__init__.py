"""Deepfake detectors, one file each, registered by name in `DETECTORS` (see `base.Detector`)."""

from faceswap.bench.detectors import meso4, phase, sbi, spectrum, srm
from faceswap.bench.detectors.base import Detector, FeatureDetector
from faceswap.bench.detectors.registry import DETECTORS, build_detector

__all__ = ["DETECTORS", "Detector", "FeatureDetector", "build_detector", "meso4", "phase", "sbi", "spectrum", "srm"]
