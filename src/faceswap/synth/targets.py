"""Target frames for `generate`: frames of the target identity's media with one face's 68 landmarks.

Two routes: `faceset` re-reads the frames that preprocess kept (landmarks from its manifest, no
detection), `video` detects and tracks faces in the collected clips / any video or image folder.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faceswap.data.faceset import read_faceset
from faceswap.face.track import FaceTracker
from faceswap.media.image import read_image
from faceswap.media.video import is_video_path, probe, read_video
from faceswap.utils.errors import FaceswapError
from faceswap.utils.io import safe_join


@dataclass(frozen=True)
class TargetFrame:
    identity: str  # the person in the media (the swap target)
    video_id: str
    media: str  # path of the media file
    frame_index: int
    timestamp: float
    image: np.ndarray  # [H,W,3] uint8
    landmarks: np.ndarray  # [68,2] float32 frame px
    has_audio: bool


def _resolve(collect_dir: Path, identity: str, source: str) -> Path:
    path = Path(source)
    return path if path.is_absolute() else safe_join(collect_dir / identity, source)


def faceset_targets(
    faces_dir: str | os.PathLike[str],
    collect_dir: str | os.PathLike[str],
    identity: str,
    every: int = 1,
    max_frames: int | None = None,
) -> Iterator[TargetFrame]:
    """Frames listed in `faces_dir/<identity>/manifest.jsonl`, first face per frame, every Nth, in order."""
    rows = read_faceset(Path(faces_dir) / identity, check_files=False)
    by_source: dict[str, dict[int, dict]] = defaultdict(dict)
    for row in rows:
        by_source[str(row["source"])].setdefault(int(row["frame_index"]), row)
    for source, frames in by_source.items():
        path = _resolve(Path(collect_dir), identity, source)
        if not path.is_file():
            raise FaceswapError(
                f"media of face set '{identity}' not found: {path}",
                "rerun `faceswap collect`, or take targets from videos instead of the face set",
                param="targets",
            )
        wanted = sorted(frames)[::every][:max_frames]
        video_id = f"{identity}/{Path(source).stem}"
        if is_video_path(path):
            has_audio = probe(path).has_audio
            for vf in read_video(path, indices=set(wanted)):
                row = frames[vf.index]
                yield TargetFrame(
                    identity,
                    video_id,
                    str(path),
                    vf.index,
                    vf.time,
                    vf.image,
                    np.asarray(row["landmarks"], np.float32),
                    has_audio,
                )
        else:
            row = frames[wanted[0]]
            yield TargetFrame(
                identity,
                video_id,
                str(path),
                int(row["frame_index"]),
                0.0,
                read_image(path),
                np.asarray(row["landmarks"], np.float32),
                False,
            )


def video_targets(
    path: str | os.PathLike[str],
    identity: str,
    detector: object,
    landmarker: object,
    every: int = 1,
    max_frames: int | None = None,
    detect_every: int = 5,
) -> Iterator[TargetFrame]:
    """Detect + track the largest face of a video (frames without a face are skipped)."""
    path = Path(path)
    info = probe(path)
    tracker = FaceTracker(detector, landmarker, detect_every, None, max_faces=1, fps=info.fps or 25.0)
    video_id = f"{identity}/{path.stem}"
    for vf in read_video(path, every=every, max_frames=max_frames):
        faces = tracker.update(vf.image, vf.time)
        if faces:
            yield TargetFrame(
                identity,
                video_id,
                str(path),
                vf.index,
                vf.time,
                vf.image,
                np.asarray(faces[0].landmarks, np.float32),
                info.has_audio,
            )
