"""Face measurements that eval needs per frame: landmarks, pose, identity descriptor.

dlib's descriptor network (~0.1 s a face on one core) holds the GIL, so threads cannot share the work: with
`workers > 1` a `FaceMeter` used as a context manager measures in that many processes (issue #21: eval ran at
1.0 CPU/wall on 2 cores).
"""

from __future__ import annotations

import hashlib
import multiprocessing as mp
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import cv2
import numpy as np

from faceswap.data.faceset import read_faceset
from faceswap.face.detect import create_face_detector
from faceswap.face.identity import face_descriptor
from faceswap.face.landmarks import create_landmarker
from faceswap.face.pose import head_pose
from faceswap.media.image import read_image
from faceswap.utils.logging import progress


@dataclass
class FaceMeasure:
    landmarks: np.ndarray  # [68,2] frame px
    pose: tuple[float, float, float]  # yaw, pitch, roll (deg)
    descriptor: np.ndarray | None  # [128]; None when not asked for (the network is most of a measurement's time)


class FaceMeter:
    """Detect the largest face and measure it; the offline dlib backends by default. `with FaceMeter(workers=2)`
    spreads `measure_all` / `describe_all` over worker processes; alone (or workers=1) it measures in-process."""

    def __init__(self, detector: str = "dlib_hog", landmarker: str = "dlib68", workers: int = 1) -> None:
        self.names, self.workers = (detector, landmarker), max(1, int(workers))
        self.detect = create_face_detector(detector)
        self.landmarks = create_landmarker(landmarker)
        self._pool: mp.pool.Pool | None = None

    def __enter__(self) -> FaceMeter:
        if self.workers > 1:
            # spawn: never fork a process whose OpenCV/OpenMP pools run, and (unlike forkserver) the workers are
            # this process's children, so the pipeline's CPU seconds count their work
            ctx = mp.get_context("spawn")
            self._pool = ctx.Pool(self.workers, initializer=_start_worker, initargs=self.names)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._pool is not None:
            self._pool.terminate() if kind is not None else self._pool.close()
            self._pool.join()
            self._pool = None

    def measure(self, image: np.ndarray, describe: bool = True) -> FaceMeasure | None:
        """The largest face's landmarks, pose and (with `describe`) identity descriptor; None without a face."""
        boxes = self.detect(image)
        if not boxes:
            return None
        box = max(boxes, key=lambda b: (b.x1 - b.x0) * (b.y1 - b.y0))
        points = self.landmarks(image, box)
        pose = head_pose(points, image.shape[:2])
        descriptor = np.asarray(face_descriptor(image, points)) if describe else None
        return FaceMeasure(points, tuple(float(v) for v in pose), descriptor)

    def measure_all(
        self, images: Sequence[np.ndarray], describe: Sequence[bool] | None = None, label: str = "eval frames"
    ) -> list[FaceMeasure | None]:
        """`measure` of each image, in order; `describe[i]` False skips image i's descriptor (default: all)."""
        wanted = [True] * len(images) if describe is None else list(describe)
        items = list(zip(images, wanted, strict=True))
        return list(progress(self._map(_measure, items, lambda item: self.measure(*item)), label, len(items)))

    def describe_all(self, faces: Sequence[tuple[np.ndarray, np.ndarray]], label: str) -> list[np.ndarray]:
        """Descriptors of (image, 68 points) pairs, in order: [128] each. A face this process described before
        (same pixels, same points) is not described again: the pipeline's two evals share both identities'
        galleries."""
        keys = [_face_key(image, points) for image, points in faces]
        todo = {key: face for key, face in zip(keys, faces, strict=True) if key not in _DESCRIPTORS}
        found = progress(self._map(_describe, list(todo.values()), _describe), label, len(todo))
        for key, descriptor in zip(todo, found, strict=True):
            if len(_DESCRIPTORS) >= _CACHE_FACES:
                _DESCRIPTORS.pop(next(iter(_DESCRIPTORS)))  # oldest first
            descriptor.setflags(write=False)  # shared by every later caller
            _DESCRIPTORS[key] = descriptor
        return [_DESCRIPTORS[key] for key in keys]

    def _map(self, remote: object, items: Sequence[object], local: object) -> Iterator[object]:
        if self._pool is None or len(items) < 2 * self.workers:
            return map(local, items)  # type: ignore[call-overload]
        return self._pool.imap(remote, items, chunksize=2)  # type: ignore[arg-type]


_WORKER_METER: FaceMeter | None = None
_CACHE_FACES = 4096  # descriptors kept per process (512 B each)
_DESCRIPTORS: dict[bytes, np.ndarray] = {}  # content key of (image, points) -> [128]


def _face_key(image: np.ndarray, points: np.ndarray) -> bytes:
    """A digest of exactly what the descriptor is computed from."""
    digest = hashlib.blake2b(digest_size=20)
    for part in (np.ascontiguousarray(image), np.asarray(points, np.float32)):
        digest.update(str((part.shape, part.dtype.str)).encode())
        digest.update(part.tobytes())
    return digest.digest()


def _start_worker(detector: str, landmarker: str) -> None:
    global _WORKER_METER
    cv2.setNumThreads(1)
    _WORKER_METER = FaceMeter(detector, landmarker)


def _measure(item: tuple[np.ndarray, bool]) -> FaceMeasure | None:
    assert _WORKER_METER is not None
    return _WORKER_METER.measure(*item)


def _describe(face: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    return face_descriptor(face[0], face[1])


def mean_descriptor(faces_dir: Path, meter: FaceMeter | None = None, limit: int = 64) -> np.ndarray:
    """Mean dlib descriptor of an identity, from its aligned face set (crop landmarks are stored)."""
    rows = read_faceset(faces_dir)
    step = max(1, len(rows) // limit)
    faces = [
        (read_image(Path(faces_dir) / row["file"]), np.asarray(row["landmarks_crop"], np.float32))
        for row in rows[::step][:limit]
    ]
    if not faces:
        from faceswap.utils.errors import NoFaceError

        raise NoFaceError(f"face set {faces_dir} is empty", "run `faceswap preprocess` first")
    descs = (meter or FaceMeter()).describe_all(faces, f"descriptors {Path(faces_dir).name}")
    return np.mean(np.stack(descs), axis=0)
