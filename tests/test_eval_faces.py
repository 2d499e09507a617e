"""Eval's face measurements on real photos: a known rotation, and identity distances between people."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import faceswap.eval.faces as faces_module
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


def test_a_measurement_without_its_descriptor_measures_the_rest_alike(astronaut: np.ndarray) -> None:
    """eval skips the descriptor of source frames (only the swap's identity is scored): landmarks and pose must
    not depend on whether it was asked for, in-process or in workers."""
    images = [_rotate(astronaut, d) for d in (-6.0, 0.0, 7.0, 3.0)]
    describe = [False, True, False, True]
    full = FaceMeter().measure_all(images)
    with FaceMeter(workers=2) as pooled:
        for part in (FaceMeter().measure_all(images, describe), pooled.measure_all(images, describe)):
            for a, b, wanted in zip(full, part, describe, strict=True):
                assert a is not None and b is not None
                assert np.array_equal(a.landmarks, b.landmarks) and a.pose == b.pose
                assert (b.descriptor is not None) == wanted
                assert not wanted or np.array_equal(a.descriptor, b.descriptor)


def test_a_face_described_before_is_not_described_again(astronaut: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pipeline's eval and eval_b2a describe both identities' galleries: the second time costs nothing, and
    any change of pixels or points is a new face."""
    found = FaceMeter().measure(astronaut, describe=False)
    assert found is not None
    faces = [(astronaut, found.landmarks), (astronaut[:, ::-1].copy(), found.landmarks)]
    first = FaceMeter().describe_all(faces, "descriptors")
    calls: list[int] = []
    real = faces_module._describe
    monkeypatch.setattr(faces_module, "_describe", lambda face: calls.append(1) or real(face))
    again = FaceMeter().describe_all(faces, "descriptors")
    assert calls == [] and all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    changed = astronaut.copy()
    changed[0, 0, 0] ^= 1
    moved = found.landmarks + np.float32(1.0)
    fresh = FaceMeter().describe_all([(changed, found.landmarks), (astronaut, moved)], "descriptors")
    assert len(calls) == 2 and np.array_equal(fresh[0], real((changed, found.landmarks)))
