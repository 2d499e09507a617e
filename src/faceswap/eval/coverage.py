"""Pose coverage: whether the target's training faces include the head poses a swap is asked to render.

A decoder only learns its person in the poses of its training set. A source frame whose (yaw, pitch) lies far
from every target training face asks for a view the decoder never saw, and a pose error there is the data's
limit, not the model's. `eval` reports coverage and splits the pose error on it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from faceswap.data.faceset import read_faceset
from faceswap.data.holdout import Holdout


def training_poses(faces_dir: Path, identity: str, holdout: Holdout | None) -> np.ndarray:
    """(yaw, pitch) of the faces `identity` was trained on (held-out and gap faces left out) [M,2]."""
    rows = read_faceset(Path(faces_dir) / identity, check_files=False)
    kept = [r for r in rows if holdout is None or not holdout.is_excluded(identity, r)]
    poses = [r["pose"][:2] for r in kept if r.get("pose")]
    return np.asarray(poses, np.float64).reshape(-1, 2)  # [M,2]


def with_mirrors(yaw_pitch: np.ndarray) -> np.ndarray:
    """Add the mirror image of each pose (yaw negated): what horizontal-flip augmentation trains on [2M,2]."""
    return np.concatenate([yaw_pitch, yaw_pitch * np.array([-1.0, 1.0])])


def nearest_pose_distance(source_poses: np.ndarray, train_poses: np.ndarray) -> np.ndarray:
    """Distance in degrees from each source (yaw, pitch) [N,2] to the nearest training pose [M,2] -> [N]."""
    if len(train_poses) == 0:
        return np.full(len(source_poses), np.inf)
    diff = source_poses[:, None, :] - train_poses[None, :, :]  # [N,M,2]
    return np.sqrt((diff**2).sum(-1)).min(1)


def coverage_scores(distances: np.ndarray, pose_errors: np.ndarray, radius: float) -> dict[str, Any]:
    """Share of frames within `radius` degrees of a training pose, and the pose error on each side."""
    covered = distances <= radius

    def mean(values: np.ndarray) -> float:
        return float(values.mean()) if len(values) else float("nan")

    return {
        "radius_deg": float(radius),
        "covered_fraction": mean(covered.astype(np.float64)),
        "nearest_pose_deg": mean(distances[np.isfinite(distances)]),
        "pose_error_covered_deg": mean(pose_errors[covered]),
        "pose_error_uncovered_deg": mean(pose_errors[~covered]),
    }


def pose_summary(yaw_pitch: np.ndarray) -> dict[str, float]:
    """Mean and spread of a set of (yaw, pitch) [N,2], to compare the source's poses with the target's."""
    if len(yaw_pitch) == 0:
        return {}
    mean, std = yaw_pitch.mean(0), yaw_pitch.std(0)
    return {"yaw_mean": float(mean[0]), "yaw_std": float(std[0]), "pitch_mean": float(mean[1]),
            "pitch_std": float(std[1])}  # fmt: skip
