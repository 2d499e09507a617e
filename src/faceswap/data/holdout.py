"""Held-out faces: a contiguous, time-separated tail of each source video, chosen once at train time.

Neighbouring video frames are near-duplicates, so holding out every Nth face measures memory, not
generalisation. Here the held-out faces of an identity are, per source video, the last `fraction` of its
faces by timestamp; faces less than `gap_s` seconds before the first held-out face are kept out of
training too (the gap), so every training face is at least `gap_s` away from every held-out face.
Photos (no timestamp) form one collection per identity ordered by (source path, frame_index): the last
`fraction` of it is held out, without a gap (file names keep bursts of a camera together).

The choice reads only each face's (source, frame_index, timestamp), never the manifest order, so
`faceswap sort` cannot change it. Train writes it as `holdout.json` in its output folder, finetune
carries it forward, eval reads it back (`read_holdout` / `holdout_beside`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from faceswap.utils.errors import FaceswapError
from faceswap.utils.io import atomic_write_json

FaceKey = tuple[str, int]  # (source as recorded in the manifest, frame_index)
HOLDOUT_FILE = "holdout.json"
RULE_NAME = "temporal_tail"
TIME_EPS = 1e-6  # manifest timestamps are rounded to microseconds


def face_key(row: Mapping[str, Any]) -> FaceKey:
    """The stable key of a face-set row: which frame (or photo) of which source it came from."""
    return str(row["source"]), int(row["frame_index"] or 0)


@dataclass(frozen=True)
class HoldoutRule:
    fraction: float = 0.15  # share of each video's (or the photo collection's) faces held out, 0 = none
    gap_s: float = 1.0  # seconds between the last training face and the first held-out face of a video

    def __post_init__(self) -> None:
        if not 0.0 <= self.fraction < 1.0 or self.gap_s < 0.0:
            raise ValueError(f"holdout fraction must lie in [0, 1) and gap >= 0, got {self.fraction}, {self.gap_s}")


@dataclass
class IdentityHoldout:
    held_out: set[FaceKey] = field(default_factory=set)
    gap: set[FaceKey] = field(default_factory=set)  # neither trained on nor evaluated
    faces: int = 0  # faces in the set when the holdout was chosen

    @property
    def excluded(self) -> set[FaceKey]:
        """Keys training must not see."""
        return self.held_out | self.gap


@dataclass
class Holdout:
    rule: HoldoutRule
    identities: dict[str, IdentityHoldout]
    origin: str | None = None  # holdout.json of the run this one was carried over from

    def is_held_out(self, identity: str, row: Mapping[str, Any]) -> bool:
        part = self.identities.get(identity)
        return part is not None and face_key(row) in part.held_out

    def is_excluded(self, identity: str, row: Mapping[str, Any]) -> bool:
        part = self.identities.get(identity)
        return part is not None and face_key(row) in part.excluded

    def summary(self) -> dict[str, Any]:
        """Rule, origin and held-out face count per identity (for reports)."""
        faces = {name: len(part.held_out) for name, part in sorted(self.identities.items())}
        return {"fraction": self.rule.fraction, "gap_s": self.rule.gap_s, "origin": self.origin, "faces": faces}

    def to_json(self) -> dict[str, Any]:
        def keys(values: set[FaceKey]) -> list[list[Any]]:
            return [[s, i] for s, i in sorted(values)]

        return {
            "rule": RULE_NAME,
            "fraction": self.rule.fraction,
            "gap_s": self.rule.gap_s,
            "origin": self.origin,
            "identities": {
                name: {"faces": p.faces, "held_out": keys(p.held_out), "gap": keys(p.gap)}
                for name, p in sorted(self.identities.items())
            },
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Holdout:
        def keys(values: Iterable[list[Any]]) -> set[FaceKey]:
            return {(str(s), int(i)) for s, i in values}

        if data.get("rule") != RULE_NAME:
            raise ValueError(f"unknown holdout rule {data.get('rule')!r}")
        parts = {
            name: IdentityHoldout(keys(p["held_out"]), keys(p["gap"]), int(p["faces"]))
            for name, p in data["identities"].items()
        }
        return cls(HoldoutRule(float(data["fraction"]), float(data["gap_s"])), parts, data.get("origin"))


def _tail_count(n: int, fraction: float) -> int:
    return min(n, math.floor(n * fraction + 0.5))


def choose_identity(rows: Iterable[Mapping[str, Any]], rule: HoldoutRule) -> IdentityHoldout:
    """Pick the held-out tail (and gap) of one identity's face set; independent of row order."""
    rows = list(rows)
    times: dict[str, dict[int, float]] = {}  # source -> frame_index -> timestamp
    photos: set[FaceKey] = set()
    for row in rows:
        source, index = face_key(row)
        if row.get("timestamp") is None:
            photos.add((source, index))
        else:
            times.setdefault(source, {})[index] = float(row["timestamp"])
    out = IdentityHoldout(faces=len(rows))
    for source, frames in times.items():
        ordered = sorted(frames.items(), key=lambda item: (item[1], item[0]))  # by time, then frame
        k = _tail_count(len(ordered), rule.fraction)
        if k == 0:
            continue
        cut = ordered[-k][1]  # time of the first held-out face
        out.held_out |= {(source, i) for i, _ in ordered[-k:]}
        out.gap |= {(source, i) for i, t in ordered[:-k] if cut - t < rule.gap_s - TIME_EPS}
    ordered_photos = sorted(photos)
    k = _tail_count(len(ordered_photos), rule.fraction)
    out.held_out |= set(ordered_photos[len(ordered_photos) - k :])
    return out


def choose_holdout(faces_dir: str | Path, identities: Iterable[str], rule: HoldoutRule) -> Holdout:
    """Choose the held-out faces of every identity from its face-set manifest."""
    from faceswap.data.faceset import read_faceset

    return Holdout(
        rule,
        {name: choose_identity(read_faceset(Path(faces_dir) / name, check_files=False), rule) for name in identities},
    )


def write_holdout(path: str | Path, holdout: Holdout) -> Path:
    atomic_write_json(Path(path), holdout.to_json())
    return Path(path)


def read_holdout(path: str | Path) -> Holdout:
    try:
        return Holdout.from_json(json.loads(Path(path).read_text()))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise FaceswapError(
            f"cannot read the held-out list {path}: {type(exc).__name__}: {exc}",
            "restore it from the training run, or retrain (train writes it)",
        ) from exc


def holdout_beside(checkpoint: str | Path) -> Path | None:
    """The holdout.json of the run a checkpoint belongs to (`<run>/generator.pt` or `<run>/checkpoints/x.ckpt`)."""
    path = Path(checkpoint)
    for folder in (path.parent, path.parent.parent):
        if (folder / HOLDOUT_FILE).is_file():
            return folder / HOLDOUT_FILE
    return None
