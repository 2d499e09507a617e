"""The detector registry: `@DETECTORS.register("name")` on a `Detector` subclass, one file each."""

from __future__ import annotations

from typing import Any

from faceswap.utils.registry import Registry

DETECTORS: Registry[type] = Registry("detector")


def build_detector(name: str, **kwargs: Any) -> Any:
    """Instantiate a registered detector by name (the config route is `_target_`)."""
    import faceswap.bench.detectors  # noqa: F401  (registers every detector)

    return DETECTORS.get(name)(**kwargs)
