"""Eval's face measurements on real photos: a known rotation, and identity distances between people."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from faceswap.data.sample_clip import frame_photo, load_sample_photo
from faceswap.eval.faces import FaceMeter
from faceswap.eval.metrics import euclidean_distance


@pytest.fixture(scope="module")
def meter() -> FaceMeter:
    return FaceMeter()


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return frame_photo(load_sample_photo("astronaut"), 384)[0]


def _rotate(image: np.ndarray, degrees: float) -> np.ndarray:
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(image, matrix, (w, h), borderMode=cv2.BORDER_REPLICATE)


def test_known_in_plane_rotation_gives_known_roll(meter: FaceMeter, astronaut: np.ndarray) -> None:
    upright = meter.measure(astronaut)
    turned = meter.measure(_rotate(astronaut, 12.0))
    assert upright is not None and turned is not None
    roll_change = (turned.pose[2] - upright.pose[2] + 180) % 360 - 180
    assert abs(abs(roll_change) - 12.0) < 2.0, (upright.pose, turned.pose)
    assert abs(turned.pose[0] - upright.pose[0]) < 4.0  # yaw barely moves


def test_identity_distance_separates_people_not_augmentations(meter: FaceMeter, astronaut: np.ndarray) -> None:
    grace = frame_photo(load_sample_photo("grace_hopper"), 384)[0]
    jittered = cv2.convertScaleAbs(_rotate(astronaut, 4.0), alpha=1.1, beta=12)  # pose + exposure change
    a, a2, g = (meter.measure(img) for img in (astronaut, jittered, grace))
    assert a is not None and a2 is not None and g is not None
    same = euclidean_distance(a.descriptor, a2.descriptor)
    other = euclidean_distance(a.descriptor, g.descriptor)
    assert same < 0.4 < other, (same, other)


def test_worker_processes_measure_exactly_what_the_process_itself_does(astronaut: np.ndarray) -> None:
    """eval.workers > 1 spreads dlib over processes (it holds the GIL); the numbers must not change."""
    images = [_rotate(astronaut, d) for d in (-10.0, -4.0, 0.0, 5.0, 11.0)]
    alone = FaceMeter().measure_all(images)
    with FaceMeter(workers=2) as pooled:
        spread = pooled.measure_all(images)
        faces = [(img, m.landmarks) for img, m in zip(images, spread, strict=True) if m is not None]
        descriptors = pooled.describe_all(faces, "descriptors")
    assert all(m is not None for m in alone) and len(spread) == len(alone)
    for a, b, d in zip(alone, spread, descriptors, strict=True):
        assert np.array_equal(a.landmarks, b.landmarks) and a.pose == b.pose
        assert np.array_equal(a.descriptor, b.descriptor) and np.array_equal(a.descriptor, d)
