"""Deepfake detectors, one module each, registered by name in `DETECTORS` (see `base.Detector`, template `meso4`).

Build one with `create_detector(name, **options)`; the modules are found and imported on first use.
"""

from faceswap.bench.detectors.base import Detector, FeatureDetector
from faceswap.bench.detectors.registry import DETECTORS, create_detector

__all__ = ["DETECTORS", "Detector", "FeatureDetector", "create_detector"]
