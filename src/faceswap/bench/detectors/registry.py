"""The detector registry: `@DETECTORS.register("name")` on a `Detector` subclass, one module each.

`create_detector(name, **options)` is the one way to build a detector: `faceswap bench` calls it with the
key of each selected `configs/detector/<name>.yaml` entry and its options, tests call it directly.
Every module of this package is imported on first use, so a new detector needs no import line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from faceswap.utils.registry import Registry

if TYPE_CHECKING:
    from faceswap.bench.detectors.base import Detector

DETECTORS: Registry[type[Detector]] = Registry("detector", package="faceswap.bench.detectors")


def create_detector(name: str, **options: Any) -> Detector:
    """Instantiate the detector registered as `name` with its options (`seed`, `epochs`, ...)."""
    return DETECTORS.get(name)(**options)
