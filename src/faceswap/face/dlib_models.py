"""Locate dlib model files shipped by `face_recognition_models` without importing it (its __init__ needs
pkg_resources)."""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

from faceswap.utils.errors import FaceswapError

MODEL_FILES: dict[str, str] = {
    "shape_predictor_68": "shape_predictor_68_face_landmarks.dat",
    "shape_predictor_5": "shape_predictor_5_face_landmarks.dat",
    "mmod_face_detector": "mmod_human_face_detector.dat",
    "face_recognition": "dlib_face_recognition_resnet_model_v1.dat",
}


def model_path(name: str) -> Path:
    """Path of a shipped dlib model by short name (see MODEL_FILES) or by file name."""
    filename = MODEL_FILES.get(name, name)
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise FaceswapError(
            "package face-recognition-models is not installed",
            "pip install face-recognition-models (it ships the offline dlib models)",
        )
    for root in spec.submodule_search_locations:
        path = Path(root) / "models" / filename
        if path.is_file():
            return path
    raise FaceswapError(
        f"dlib model file {filename} is missing from face-recognition-models",
        "reinstall it: pip install --force-reinstall face-recognition-models",
    )


@functools.cache
def shape_predictor(name: str = "shape_predictor_68"):  # -> dlib.shape_predictor
    """Cached: loading the 68-point model takes ~0.5 s and 100 MB."""
    import dlib

    return dlib.shape_predictor(str(model_path(name)))
