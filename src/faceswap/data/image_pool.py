"""Detection + landmarks for photo collections, in a pool of worker processes (dlib holds the GIL, so
threads would not help). Results come back in input order; each worker builds its own backends once."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from faceswap.face.detect import FaceBox, FaceDetector, create_face_detector
from faceswap.face.landmarks import Landmarker, create_landmarker
from faceswap.face.refine import RefinedLandmarker
from faceswap.media.image import read_image
from faceswap.utils.errors import FaceswapError

Found = tuple[np.ndarray | None, list[tuple[FaceBox, np.ndarray]]]  # (image or None if unreadable, faces)

_WORKER: dict[str, Any] = {}


def detect_image(path: Path, detector: FaceDetector, landmarker: Landmarker) -> Found:
    try:
        image = read_image(path)
    except FaceswapError:
        return None, []
    return image, [(box, landmarker(image, box)) for box in detector(image)]


def build_backends(detect_spec: dict[str, Any], landmarks_spec: dict[str, Any]) -> tuple[FaceDetector, Landmarker]:
    """Rebuild the detector and landmarker inside a worker process from their plain specs (dlib objects do not
    pickle); single-threaded OpenCV, since the workers already use the cores."""
    import cv2

    cv2.setNumThreads(1)
    detect_spec, landmarks_spec = dict(detect_spec), dict(landmarks_spec)
    detector = create_face_detector(detect_spec.pop("name"), **detect_spec)
    refine_size = landmarks_spec.pop("refine_size", None)
    landmarker = create_landmarker(landmarks_spec.pop("name"), **landmarks_spec)
    return detector, RefinedLandmarker(landmarker, refine_size) if refine_size else landmarker


def _init_worker(detect_spec: dict[str, Any], landmarks_spec: dict[str, Any]) -> None:
    _WORKER["detector"], _WORKER["landmarker"] = build_backends(detect_spec, landmarks_spec)


def _work(path: Path) -> Found:
    return detect_image(path, _WORKER["detector"], _WORKER["landmarker"])


def detect_images(
    paths: Sequence[Path],
    detector: FaceDetector,
    landmarker: Landmarker,
    workers: int = 1,
    specs: tuple[dict[str, Any], dict[str, Any]] | None = None,
) -> Iterator[Found]:
    """Yield (image, [(box, landmarks)]) per path, in order; `workers` > 1 needs `specs` (detect, landmarks
    options with `name`; landmarks may add `refine_size`) to rebuild the backends in each process."""
    if workers <= 1 or specs is None or len(paths) < 2 * workers:
        for path in paths:
            yield detect_image(path, detector, landmarker)
        return
    # spawn, not fork: a forked child inherits locks held by FFmpeg/OpenCV/BLAS threads and can hang
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker, initargs=specs) as pool:
        yield from pool.map(_work, paths, chunksize=4)
