"""Each filter on crafted inputs, with drops counted per reason."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from faceswap.data.sample_clip import load_sample_photo
from faceswap.face.align import template_points, transform_points
from faceswap.face.detect import FaceBox, create_face_detector
from faceswap.face.extract import FaceCandidate, FaceExtractor, IdentityMatcher
from faceswap.face.filters import (
    DuplicateFilter,
    FaceFilters,
    blur_score,
    dhash,
    hamming,
    landmark_error,
    landmarks_plausible,
)
from faceswap.face.identity import face_descriptor
from faceswap.face.landmarks import create_landmarker


@pytest.fixture(scope="module")
def astronaut() -> tuple[np.ndarray, FaceCandidate]:
    image = load_sample_photo("astronaut")
    box = create_face_detector("dlib_hog")(image)[0]
    return image, FaceCandidate(box, create_landmarker("dlib68")(image, box))


def test_real_face_passes_every_default_filter(astronaut) -> None:
    image, cand = astronaut
    faces, dropped = FaceExtractor(size=96).extract(image, [cand])
    assert len(faces) == 1 and not dropped
    face = faces[0]
    assert face.crop.shape == (96, 96, 3) and face.blur > 10 and len(face.pose) == 3


def test_no_face_and_too_small(astronaut) -> None:
    image, cand = astronaut
    assert FaceExtractor().extract(image, [])[1] == {"no_face": 1}
    strict = FaceExtractor(filters=FaceFilters(min_size=500))
    assert strict.extract(image, [cand])[1] == {"too_small": 1}


def test_blurry_face_is_dropped(astronaut) -> None:
    image, cand = astronaut
    blurred = cv2.GaussianBlur(image, (0, 0), 6)
    assert blur_score(blurred) < blur_score(image) / 5
    extractor = FaceExtractor(filters=FaceFilters(min_blur=30))
    assert extractor.extract(image, [cand])[1] == {}
    assert extractor.extract(blurred, [cand])[1] == {"blurry": 1}


def test_pose_limits_use_solvepnp_angles(astronaut) -> None:
    image, cand = astronaut
    faces, _ = FaceExtractor().extract(image, [cand])
    _yaw, _pitch, roll = faces[0].pose
    assert FaceExtractor(filters=FaceFilters(max_roll=abs(roll) + 5)).extract(image, [cand])[1] == {}
    # rotate the photo 40 degrees: same face, roll beyond a 25 degree limit
    centre = cand.bbox.center
    matrix = cv2.getRotationMatrix2D(centre, 40, 1.0)
    rotated = cv2.warpAffine(image, matrix, image.shape[1::-1])
    lm = transform_points(cand.landmarks, matrix).astype(np.float32)
    turned = FaceCandidate(FaceBox.from_landmarks(lm), lm)
    assert FaceExtractor(filters=FaceFilters(max_roll=25)).extract(rotated, [turned])[1] == {"pose": 1}


def test_implausible_landmarks_are_dropped(astronaut) -> None:
    image, cand = astronaut
    rng = np.random.default_rng(0)
    scrambled = cand.landmarks[rng.permutation(68)]
    upside_down = cand.landmarks.copy()
    upside_down[:, 1] = 2 * upside_down[:, 1].mean() - upside_down[:, 1]
    for bad in (scrambled, upside_down, np.full((68, 2), 100.0, np.float32)):
        assert not landmarks_plausible(bad) or landmark_error(bad, 128, "full") > 0.12
        dropped = FaceExtractor().extract(image, [FaceCandidate(cand.bbox, bad.astype(np.float32))])[1]
        assert dropped == {"bad_landmarks": 1}
    assert landmark_error(template_points(128, "full"), 128, "full") < 1e-9


def test_near_duplicates_by_perceptual_hash(astronaut) -> None:
    image, cand = astronaut
    noisy = np.clip(image.astype(int) + np.random.default_rng(1).integers(-3, 4, image.shape), 0, 255).astype(np.uint8)
    assert hamming(dhash(image), dhash(noisy)) <= 4
    assert hamming(dhash(image), dhash(image[::-1].copy())) > 16
    dups = DuplicateFilter(max_distance=4)
    assert not dups.is_duplicate(image) and dups.is_duplicate(noisy)
    extractor = FaceExtractor(filters=FaceFilters(near_duplicate=4))
    assert extractor.extract(image, [cand])[1] == {}
    assert extractor.extract(noisy, [cand])[1] == {"duplicate": 1}
    assert FaceExtractor().extract(noisy, [cand])[1] == {}  # off by default


def test_identity_picks_the_right_person_among_several() -> None:
    astro, grace = load_sample_photo("astronaut"), load_sample_photo("grace_hopper")
    grace = cv2.resize(grace, (int(grace.shape[1] * 512 / grace.shape[0]), 512))
    frame = np.ascontiguousarray(np.concatenate([grace, astro], axis=1))  # two people side by side
    detect, landmarks = create_face_detector("dlib_hog"), create_landmarker("dlib68")
    cands = [FaceCandidate(b, landmarks(frame, b)) for b in detect(frame)]
    assert len(cands) == 2
    ref_box = detect(astro)[0]
    ref = face_descriptor(astro, landmarks(astro, ref_box))
    one = FaceExtractor(identity=IdentityMatcher([ref]), max_faces=1)
    faces, dropped = one.extract(frame, cands)
    assert len(faces) == 1 and faces[0].bbox.x0 > grace.shape[1] and faces[0].identity_distance < 0.6
    assert dropped == {"extra_face": 1}
    every = FaceExtractor(identity=IdentityMatcher([ref]), max_faces=0)
    faces, dropped = every.extract(frame, cands)
    assert len(faces) == 1 and dropped == {"identity": 1}
    # without references the largest face wins (grace is larger here)
    faces, _ = FaceExtractor(max_faces=1).extract(frame, cands)
    assert faces[0].bbox.x0 < grace.shape[1]
