"""Swap-quality metrics on constructed cases whose answers are known."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from faceswap.eval import metrics


@pytest.fixture
def image() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)


def test_identical_images_score_perfectly(image: np.ndarray) -> None:
    assert metrics.ssim(image, image) == pytest.approx(1.0)
    assert metrics.psnr(image, image) == 100.0


def test_noise_lowers_ssim_and_psnr() -> None:
    ramp = np.linspace(0, 255, 64)
    image = np.stack([np.add.outer(ramp, ramp) / 2] * 3, axis=-1).astype(np.uint8)  # smooth [64,64,3]
    noisy = np.clip(image.astype(int) + np.random.default_rng(1).normal(0, 20, image.shape), 0, 255).astype(np.uint8)
    assert metrics.ssim(image, noisy) < 0.9
    assert 15 < metrics.psnr(image, noisy) < 30


def test_retrieval_accuracy_counts_nearest_identity() -> None:
    gallery = {"a": np.zeros(128), "b": np.ones(128)}
    descs = np.stack([np.full(128, 0.9), np.full(128, 0.8), np.full(128, 0.1)])
    assert metrics.retrieval_accuracy(descs, gallery, "b") == pytest.approx(2 / 3)


def test_expression_error_ignores_pose_and_scale() -> None:
    rng = np.random.default_rng(2)
    pts = rng.uniform(0, 100, (68, 2))
    angle = np.deg2rad(25)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    moved = 1.7 * pts @ rot.T + np.array([30.0, -12.0])
    assert metrics.expression_error(pts, moved) < 1e-6
    mouth_open = pts.copy()
    mouth_open[48:68, 1] += 8.0
    assert metrics.expression_error(pts, mouth_open) > 0.01


def test_pose_error_wraps_angles() -> None:
    assert metrics.pose_error((0.0, 0.0, 179.0), (0.0, 0.0, -179.0)) == pytest.approx(2.0 / 3.0)
    assert metrics.pose_error((10.0, 5.0, 0.0), (10.0, 5.0, 0.0)) == 0.0


def test_temporal_change_zero_for_static_clip(image: np.ndarray) -> None:
    mask = np.ones(image.shape[:2], np.float32)
    assert metrics.temporal_change([image] * 4, [mask] * 4) == 0.0
    flicker = [image, 255 - image, image]
    assert metrics.temporal_change(flicker, [mask] * 3) > 50


def test_held_out_frames_are_the_source_frames_of_held_out_faces(tmp_path: Path) -> None:
    from faceswap.data.faceset import FACE_FIELDS, write_manifest
    from faceswap.data.holdout import Holdout, HoldoutRule, IdentityHoldout
    from faceswap.eval.runner import EvalInputs, held_out_frames

    video, other = tmp_path / "a.mp4", tmp_path / "b.mp4"
    rows = [
        {k: None for k in FACE_FIELDS}
        | {"file": f"{i}.png", "mask": f"{i}_m.png", "source": str(video), "frame_index": 2 * i}
        for i in range(25)
    ]
    rows[20]["source"] = str(other)  # a face of another video is never a frame of this one
    rows[0]["source"] = "a.mp4"  # collected videos are recorded relative to their collect folder
    write_manifest(tmp_path / "faces" / "a", rows)
    held = {("a.mp4", 0), (str(video), 48), (str(other), 40)}
    holdout = Holdout(HoldoutRule(), {"a": IdentityHoldout(held_out=held, gap={(str(video), 46)})})
    inputs = EvalInputs(
        swapped=video, source=video, source_identity="a", target_identity="b", faces_dir=tmp_path / "faces",
        checkpoint=None, holdout=holdout,
    )  # fmt: skip
    assert held_out_frames(inputs) == {0, 48}  # gap faces are not evaluated as held out
    assert held_out_frames(EvalInputs(**(vars(inputs) | {"holdout": None}))) == set()


def test_masked_ssim_and_psnr_ignore_what_lies_outside_the_face() -> None:
    rng = np.random.default_rng(3)
    a = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    b = a.copy()
    b[:, 48:] = 255 - b[:, 48:]  # the crop's background differs...
    mask = np.zeros((64, 64), np.float32)
    mask[8:40, 8:40] = 1.0  # ...the face region, 8+ px away from it, does not
    assert metrics.ssim(a, b) < 0.8
    assert metrics.ssim(a, b, mask) == pytest.approx(1.0, abs=1e-6)
    assert metrics.psnr(a, b, mask) == 100.0 and metrics.psnr(a, b) < 20
    c = a.copy()
    c[10:20, 10:20] = 0  # a change inside the face lowers both
    assert metrics.ssim(a, c, mask) < 0.95 and metrics.psnr(a, c, mask) < 30


def test_pose_error_splits_into_a_constant_bias_and_tracking() -> None:
    from faceswap.eval.runner import EvalInputs, FrameScore, _swap_scores, frames_csv

    rng = np.random.default_rng(0)
    frames = []
    for i in range(20):
        src = tuple(rng.normal(0, 5, 3))
        swap = (src[0] + rng.choice([-1.0, 1.0]), src[1] + 10.0, src[2])  # pitch always 10 deg off, yaw +-1
        frames.append(FrameScore(i, i % 10 == 0, rng.normal(0, 0.1, 128), src, swap, 0.05))
    gallery = {"a": np.zeros(128), "b": np.full(128, 0.1)}
    inputs = EvalInputs(Path("s.mp4"), Path("s.mp4"), "a", "b", Path("."), None)
    scores = _swap_scores(frames, gallery, inputs)
    assert scores["pose_error_deg"] == pytest.approx((1.0 + 10.0) / 3)
    assert scores["pose_bias_deg"]["pitch"] == pytest.approx(10.0)
    assert scores["pose_error_unbiased_deg"] < 0.4  # what is left is the +-1 deg of yaw
    rows = frames_csv(frames).splitlines()
    assert len(rows) == 21 and rows[1].split(",")[1] == "1"


def test_pose_coverage_counts_source_poses_the_target_was_trained_on(tmp_path: Path) -> None:
    from faceswap.data.faceset import FACE_FIELDS, write_manifest
    from faceswap.data.holdout import Holdout, HoldoutRule, IdentityHoldout
    from faceswap.eval.runner import EvalInputs, FrameScore, _swap_scores, frames_csv, pose_coverage_of

    # the target was trained looking right (yaw +10) and level; face 0 (held out) looks far down
    poses = [[0.0, 30.0, 0.0]] + [[10.0 + 0.1 * i, 0.0, 0.0] for i in range(1, 12)]
    blank = {k: None for k in FACE_FIELDS}
    rows = [
        blank | {"file": f"{i}.png", "mask": f"{i}_m.png", "pose": p, "source": "v.mp4", "frame_index": i}
        for i, p in enumerate(poses)
    ]
    write_manifest(tmp_path / "b", rows)
    holdout = Holdout(HoldoutRule(), {"b": IdentityHoldout(held_out={("v.mp4", 0)}, gap={("v.mp4", 10)})})
    sources = [(10.5, 1.0, 0.0), (-10.5, 1.0, 0.0), (0.0, 30.0, 0.0), (10.0, -20.0, 0.0)]
    frames = [FrameScore(i, False, np.zeros(128), s, (10.0, 0.0, 0.0), 0.0) for i, s in enumerate(sources)]
    inputs = EvalInputs(Path("s.mp4"), Path("s.mp4"), "a", "b", tmp_path, None, holdout=holdout)
    summary = pose_coverage_of(frames, inputs)
    assert summary["target_training"]["faces"] == 10  # face 0 (held out) and 10 (gap) are not training poses
    assert summary["target_training"]["pitch_mean"] == pytest.approx(0.0)
    dist = [f.target_pose_distance for f in frames]
    assert dist[0] == pytest.approx(1.0, abs=1e-6) and dist[1] == pytest.approx(1.0, abs=1e-6)  # mirrored: seen
    assert dist[2] > 25 and dist[3] == pytest.approx(20.0, abs=0.2)
    scores = _swap_scores(frames, {"a": np.ones(128), "b": np.zeros(128)}, inputs)["pose_coverage"]
    assert scores["covered_fraction"] == pytest.approx(0.5)
    assert scores["pose_error_covered_deg"] == pytest.approx(np.mean([0.5 + 1, 20.5 + 1]) / 3)
    assert scores["pose_error_uncovered_deg"] > 8  # the down-looking frames were rendered level
    pose_coverage_of(frames, EvalInputs(**(vars(inputs) | {"coverage_mirror": False})))
    assert frames[1].target_pose_distance > 20  # without flips, the left-looking source is not covered
    assert frames_csv(frames).splitlines()[2].split(",")[-1] == f"{frames[1].target_pose_distance:.3f}"


def test_eval_never_falls_back_to_another_directions_swap(tmp_path: Path) -> None:
    from faceswap.commands.eval import newest_video, swap_direction
    from faceswap.utils.errors import FaceswapError

    (tmp_path / "clip_b2a.mp4").write_bytes(b"")
    with pytest.raises(FaceswapError, match=r"no a2b swap .*swap\.direction=a2b.*eval\.swapped=FILE"):
        newest_video(tmp_path, "a2b", swap_direction(["a", "b"], "a", "b"))
    (tmp_path / "clip_a2b.mp4").write_bytes(b"")
    assert newest_video(tmp_path, "a2b", "a2b").name == "clip_a2b.mp4"
    assert swap_direction(["alice", "bob"], "bob", "alice") == "b2a" and swap_direction(["a", "b"], "c", "a") == ""


def test_report_names_pose_axes_whatever_the_key_order() -> None:
    """eval.json is written with sorted keys (pitch, roll, yaw): the report must not read them by position."""
    from faceswap.eval.report import _bias

    assert _bias({"pitch": 2.0, "roll": 3.0, "yaw": 1.0}) == "+1.0 / +2.0 / +3.0"
    assert _bias({"yaw": 1.0, "pitch": 2.0, "roll": 3.0}) == "+1.0 / +2.0 / +3.0"
