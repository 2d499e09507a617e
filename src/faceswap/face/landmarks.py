"""68-point landmarkers (iBUG order) behind one interface: `create_landmarker(name)(image_rgb, box) -> [68,2]`.

`dlib68` (offline, ~1 ms a face) is the default; face-alignment's `fan2d` registers from `fa_backend`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from faceswap.face.detect import FaceBox
from faceswap.utils.errors import ConfigError
from faceswap.utils.registry import Registry

# iBUG 68 index groups
JAW = slice(0, 17)
BROWS = slice(17, 27)
NOSE = slice(27, 36)
RIGHT_EYE = slice(36, 42)  # subject's right = image left
LEFT_EYE = slice(42, 48)
MOUTH = slice(48, 68)
INNER_MOUTH = slice(60, 68)

#: index permutation that maps the 68 points of a face to those of its horizontal mirror image
MIRROR_68: tuple[int, ...] = (
    *range(16, -1, -1),
    *range(26, 16, -1),
    27,
    28,
    29,
    30,
    35,
    34,
    33,
    32,
    31,
    45,
    44,
    43,
    42,
    47,
    46,
    39,
    38,
    37,
    36,
    41,
    40,
    54,
    53,
    52,
    51,
    50,
    49,
    48,
    59,
    58,
    57,
    56,
    55,
    64,
    63,
    62,
    61,
    60,
    67,
    66,
    65,
)


class Landmarker:
    """Base: `__call__(image_rgb [H,W,3] uint8, box) -> float32 [68,2]` in image pixels."""

    def __call__(self, image: np.ndarray, box: FaceBox) -> np.ndarray:
        raise NotImplementedError


LANDMARKERS: Registry[type[Landmarker]] = Registry("landmarker", package="faceswap.face")


@LANDMARKERS.register("dlib68")
class Dlib68Landmarker(Landmarker):
    """dlib's ERT shape predictor (Kazemi & Sullivan 2014) on the iBUG-300W 68-point model."""

    def __init__(self, model: str = "shape_predictor_68") -> None:
        from faceswap.face.dlib_models import shape_predictor

        self._predictor = shape_predictor(model)

    def __call__(self, image: np.ndarray, box: FaceBox) -> np.ndarray:
        import dlib

        rect = dlib.rectangle(round(box.x0), round(box.y0), round(box.x1), round(box.y1))
        shape = self._predictor(np.ascontiguousarray(image), rect)
        return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)  # [68,2]


def create_landmarker(name: str = "dlib68", **kwargs: Any) -> Landmarker:
    cls = LANDMARKERS.get(name)
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ConfigError(
            f"bad option for landmarker '{name}': {exc}", f"pass only the options {cls.__name__} takes"
        ) from exc
