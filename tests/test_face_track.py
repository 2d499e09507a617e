"""Video tracking: detect every k frames, follow through landmarks, re-detect on loss; smoothing and jitter."""

from __future__ import annotations

import numpy as np
import pytest

from faceswap.data.sample_clip import load_sample_photo, synthesize_clip
from faceswap.face.detect import create_face_detector
from faceswap.face.fa_backend import find_weights
from faceswap.face.landmarks import create_landmarker
from faceswap.face.smoothing import OneEuroFilter, landmark_jitter
from faceswap.face.track import FaceTracker
from faceswap.utils.errors import FaceswapError


@pytest.fixture(scope="module")
def clip() -> list[np.ndarray]:
    return list(synthesize_clip(load_sample_photo("astronaut"), 30, 256, 24.0, seed=3))


class CountingDetector:
    def __init__(self) -> None:
        self.inner, self.calls = create_face_detector("dlib_hog"), 0

    def __call__(self, image: np.ndarray):
        self.calls += 1
        return self.inner(image)


def test_tracker_detects_every_k_frames_and_matches_per_frame_detection(clip) -> None:
    landmarker = create_landmarker("dlib68")
    counting = CountingDetector()
    tracker = FaceTracker(counting, landmarker, detect_every=5)
    reference = FaceTracker(create_face_detector("dlib_hog"), landmarker, detect_every=1)
    errors = []
    for frame in clip:
        tracked, exact = tracker.update(frame), reference.update(frame)
        assert len(tracked) == 1 and len(exact) == 1
        iod = np.linalg.norm(exact[0].raw_landmarks[36:42].mean(0) - exact[0].raw_landmarks[42:48].mean(0))
        errors.append(np.linalg.norm(tracked[0].raw_landmarks - exact[0].raw_landmarks, axis=1).mean() / iod)
    assert counting.calls <= 8  # 30 frames / 5 (+ a re-detect or two)
    assert np.mean(errors) < 0.05  # tracking through landmarks stays within 5 % of the eye distance
    assert tracker.tracks[0].track_id == 0  # one identity kept through the clip


def test_tracker_redetects_after_the_face_leaves(clip) -> None:
    tracker = FaceTracker(create_face_detector("dlib_hog"), create_landmarker("dlib68"), detect_every=10)
    assert len(tracker.update(clip[0])) == 1
    blank = np.zeros_like(clip[0])
    assert tracker.update(blank) == []  # between detections: the face's patch no longer matches -> re-detect
    assert tracker.update(blank) == []
    assert len(tracker.update(clip[1])) == 1


def test_one_euro_smoothing_reduces_jitter_without_drifting() -> None:
    rng = np.random.default_rng(0)
    truth = [np.tile([100.0 + 2 * t, 80.0], (68, 1)) + np.linspace(0, 30, 136).reshape(68, 2) for t in range(60)]
    noisy = [p + rng.normal(0, 0.8, p.shape) for p in truth]
    filt = OneEuroFilter(min_cutoff=1.0, beta=0.3)
    smooth = [filt(p, t / 25.0, scale=10.0) for t, p in enumerate(noisy)]
    assert landmark_jitter(smooth) < 0.6 * landmark_jitter(noisy)
    assert np.abs(smooth[-1] - truth[-1]).mean() < 3.0  # follows the motion
    assert landmark_jitter(truth) < 1e-6  # rigid motion alone is not jitter


def test_face_alignment_backends_fail_offline_with_one_line() -> None:
    for backend, default in (("sfd", "dlib_hog"), ("fan2d", "dlib68")):
        with pytest.raises(FaceswapError) as err:
            find_weights(backend, "/nonexistent/weights.pth", allow_download=False)
        assert default in str(err.value) and "\n" not in str(err.value)


@pytest.mark.slow
def test_fan2d_runs_with_random_weights(clip) -> None:
    """The real networks and our wrappers, untrained (the weights cannot be downloaded here)."""
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    fan = create_landmarker("fan2d", random_weights=True)
    box = create_face_detector("dlib_hog")(clip[0])[0]
    points = fan(clip[0], box)
    assert points.shape == (68, 2) and np.isfinite(points).all()
    assert (points[:, 0] > box.x0 - box.width).all() and (points[:, 0] < box.x1 + box.width).all()


def _ssd_anchors_128() -> np.ndarray:
    """MediaPipe's SSD anchors of the 128 px front BlazeFace model [896,4] (x, y, w=1, h=1), computed here
    because face-alignment downloads its copy: 2 per cell of the 16x16 grid, then 6 per cell of the 8x8."""
    rows = []
    for grid, per_cell in ((16, 2), (8, 6)):
        for y in range(grid):
            for x in range(grid):
                rows += [[(x + 0.5) / grid, (y + 0.5) / grid, 1.0, 1.0]] * per_cell
    return np.asarray(rows, np.float32)


def test_blazeface_runs_with_random_weights(clip, tmp_path) -> None:
    """Our BlazeFace wrapper end to end on local files (untrained weights: boxes are noise, types are not)."""
    torch = pytest.importorskip("torch")
    from face_alignment.detection.blazeface.net_blazeface import BlazeFace

    torch.manual_seed(0)
    torch.save(BlazeFace().state_dict(), tmp_path / "blazeface.pth")
    np.save(tmp_path / "anchors.npy", _ssd_anchors_128())
    assert len(_ssd_anchors_128()) == 896
    detector = create_face_detector(
        "blazeface", weights=str(tmp_path / "blazeface.pth"), anchors=str(tmp_path / "anchors.npy"), threshold=0.6
    )
    boxes = detector(clip[0])
    assert isinstance(boxes, list) and len(boxes) >= 1  # seeded noise scores some anchors above 0.6
    assert all(np.isfinite([b.x0, b.y0, b.x1, b.y1, b.score]).all() for b in boxes)
    with pytest.raises(FaceswapError, match="offline default 'dlib_hog'") as err:
        create_face_detector("blazeface", weights=str(tmp_path / "missing.pth"))
    assert err.value.param == "face_detector" and err.value.suggest == "dlib_hog"  # the command names the key
