"""Real detection, landmarks, pose and identity on the shipped photos."""

from __future__ import annotations

import numpy as np
import pytest

from faceswap.data.sample_clip import load_sample_photo
from faceswap.face.detect import FACE_DETECTORS, FaceBox, create_face_detector
from faceswap.face.dlib_models import model_path
from faceswap.face.identity import descriptor_distance, face_descriptor
from faceswap.face.landmarks import MIRROR_68, create_landmarker
from faceswap.face.pose import head_pose
from faceswap.utils.errors import ConfigError


@pytest.fixture(scope="module")
def photos() -> dict[str, np.ndarray]:
    return {name: load_sample_photo(name) for name in ("astronaut", "grace_hopper")}


def test_hog_and_dlib68_find_one_face_in_each_photo(photos: dict[str, np.ndarray]) -> None:
    detect, landmarks = create_face_detector("dlib_hog"), create_landmarker("dlib68")
    for image in photos.values():
        boxes = detect(image)
        assert len(boxes) == 1 and 60 < boxes[0].size < 300
        lm = landmarks(image, boxes[0])
        assert lm.shape == (68, 2) and lm.dtype == np.float32
        assert lm[36:48, 1].mean() < lm[30, 1] < lm[48:68, 1].mean()  # eyes above nose above mouth
        inside = FaceBox(boxes[0].x0 - 20, boxes[0].y0 - 40, boxes[0].x1 + 20, boxes[0].y1 + 20)
        assert ((lm[:, 0] > inside.x0) & (lm[:, 0] < inside.x1) & (lm[:, 1] > inside.y0) & (lm[:, 1] < inside.y1)).all()


def test_no_face_in_a_blank_or_noise_image() -> None:
    detect = create_face_detector("dlib_hog")
    assert detect(np.zeros((200, 200, 3), np.uint8)) == []
    assert detect(np.random.default_rng(0).integers(0, 255, (200, 200, 3), dtype=np.uint8)) == []


def test_max_size_downscale_keeps_boxes_in_frame_pixels(photos: dict[str, np.ndarray]) -> None:
    image = photos["grace_hopper"]
    full = create_face_detector("dlib_hog", max_size=0)(image)[0]
    small = create_face_detector("dlib_hog", max_size=300)(image)[0]
    assert small.iou(full) > 0.6


def test_pose_frontal_and_mirrored(photos: dict[str, np.ndarray]) -> None:
    image = photos["astronaut"]
    detect, landmarks = create_face_detector("dlib_hog"), create_landmarker("dlib68")
    lm = landmarks(image, detect(image)[0])
    yaw, _pitch, roll = head_pose(lm, image.shape[:2])
    assert abs(yaw) < 15 and abs(roll) < 15
    mirrored = lm.copy()
    mirrored[:, 0] = image.shape[1] - 1 - mirrored[:, 0]
    yaw_m, _, roll_m = head_pose(mirrored[list(MIRROR_68)], image.shape[:2])
    assert yaw_m == pytest.approx(-yaw, abs=1.5) and roll_m == pytest.approx(-roll, abs=1.5)


def test_identity_descriptor_separates_the_two_people(photos: dict[str, np.ndarray]) -> None:
    detect, landmarks = create_face_detector("dlib_hog"), create_landmarker("dlib68")
    desc = {}
    for name, image in photos.items():
        desc[name] = face_descriptor(image, landmarks(image, detect(image)[0]))
        flipped = np.ascontiguousarray(image[:, ::-1])
        desc[name + "_flip"] = face_descriptor(flipped, landmarks(flipped, detect(flipped)[0]))
    assert desc["astronaut"].shape == (128,)
    assert descriptor_distance(desc["astronaut_flip"], [desc["astronaut"]]) < 0.4
    assert descriptor_distance(desc["grace_hopper"], [desc["astronaut"]]) > 0.6


def test_registry_errors_and_shipped_models() -> None:
    assert {"dlib_hog", "dlib_cnn"} <= set(FACE_DETECTORS.names())
    assert model_path("shape_predictor_68").stat().st_size > 1_000_000
    with pytest.raises(ConfigError, match="choose one of"):
        create_face_detector("nope")
    with pytest.raises(ConfigError):
        create_face_detector("dlib_hog", upsample=-1)
    with pytest.raises(ConfigError, match="bad option"):
        create_face_detector("dlib_hog", colour="red")


def test_dlib_cnn_finds_the_face(photos: dict[str, np.ndarray]) -> None:
    image = photos["grace_hopper"]
    boxes = create_face_detector("dlib_cnn", max_size=320)(image)
    hog = create_face_detector("dlib_hog")(image)[0]
    assert len(boxes) == 1 and boxes[0].iou(hog) > 0.4


def test_refined_landmarks_depend_less_on_the_box(photos: dict[str, np.ndarray]) -> None:
    from faceswap.face.refine import RefinedLandmarker

    image = photos["grace_hopper"]
    plain = create_landmarker("dlib68")
    refined = RefinedLandmarker(plain)
    box = create_face_detector("dlib_hog")(image)[0]
    shift = 0.1 * box.width
    moved = FaceBox(box.x0 + shift, box.y0 + shift, box.x1 + shift, box.y1 + shift)
    iod = np.linalg.norm(plain(image, box)[36:42].mean(0) - plain(image, box)[42:48].mean(0))
    spread_plain = np.linalg.norm(plain(image, box) - plain(image, moved), axis=1).mean() / iod
    spread_refined = np.linalg.norm(refined(image, box) - refined(image, moved), axis=1).mean() / iod
    assert spread_refined < spread_plain
    assert np.linalg.norm(refined(image, box) - plain(image, box), axis=1).mean() / iod < 0.05
