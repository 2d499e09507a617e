"""Collection sources (`data.identities.<id>.kind`): each turns one identity's config into manifest rows.

A row records what was taken: `identity`, `kind` (video|image), `source` (absolute path, or relative to the
identity's collect folder for media the source wrote there), `frame_index`, `timestamp`, `sha256` (file) and,
for video frames, `frame_sha256` (decoded pixels). Preprocess reads exactly these frames back.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from faceswap.media.image import IMAGE_EXTENSIONS
from faceswap.media.video import VideoWriter, probe, read_video
from faceswap.utils.errors import ConfigError, FaceswapError, MediaError
from faceswap.utils.hashing import file_sha256
from faceswap.utils.registry import Registry

Row = dict[str, Any]
SourceFn = Callable[..., list[Row]]

#: kind -> function(identity, out_dir, **params) -> rows
SOURCES: Registry[SourceFn] = Registry("collection source")


def collect_identity(identity: str, out_dir: Path, params: dict[str, Any]) -> list[Row]:
    """Run the source named by `params['kind']` for one identity."""
    params = dict(params)
    kind = params.pop("kind", None)
    if kind is None:
        raise ConfigError(
            f"identity '{identity}' has no source 'kind'",
            f"set kind to one of: {', '.join(SOURCES.names())}",
            param="source",
        )
    if kind not in SOURCES:
        import faceswap.data.datasets  # noqa: F401  (registers lfw, celeba)
    fn = SOURCES.get(kind)
    try:
        return fn(identity, out_dir, **params)
    except TypeError as exc:
        raise ConfigError(
            f"bad option for the source of identity '{identity}' (kind={kind}): {exc}",
            f"pass only the options the '{kind}' source takes",
            param="source",
        ) from exc


def video_rows(
    identity: str,
    path: Path,
    source: str,
    every: int = 1,
    fps: float | None = None,
    start: float | None = None,
    end: float | None = None,
    max_frames: int | None = None,
) -> list[Row]:
    """Decode once to list the frames the selection takes, with a hash of each frame's pixels."""
    sha = file_sha256(path)
    rows = []
    for frame in read_video(path, every=every, max_frames=max_frames, start=start, end=end, fps=fps):
        rows.append(
            {
                "identity": identity,
                "kind": "video",
                "source": source,
                "frame_index": frame.index,
                "timestamp": round(frame.time, 6),
                "sha256": sha,
                "frame_sha256": hashlib.sha256(frame.image.tobytes()).hexdigest(),
            }
        )
    if not rows:
        raise MediaError(f"no frames of {path} fall in the chosen range", "widen start/end or lower every/fps")
    return rows


def image_rows(identity: str, files: list[Path]) -> list[Row]:
    return [
        {
            "identity": identity,
            "kind": "image",
            "source": str(f.resolve()),
            "frame_index": 0,
            "timestamp": None,
            "sha256": file_sha256(f),
        }
        for f in files
    ]


def list_images(root: Path, recursive: bool = True, extensions: tuple[str, ...] = IMAGE_EXTENSIONS) -> list[Path]:
    """Image files under `root` in a stable order; a missing or unreadable folder is a one-line error."""
    root = Path(root).expanduser()
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise FaceswapError(f"image folder not found: {root}", "check the identity's path", param="source")
    if not os.access(root, os.R_OK | os.X_OK):
        raise FaceswapError(f"image folder is not readable: {root}", "fix its permissions or choose another folder")
    pattern = "**/*" if recursive else "*"
    exts = {e.lower() for e in extensions}
    files = sorted(
        p for p in root.glob(pattern) if p.suffix.lower() in exts and p.is_file() and not p.name.startswith(".")
    )
    if not files:
        raise FaceswapError(f"no images ({', '.join(sorted(exts))}) in {root}", "point path at a folder of photos")
    return files


@SOURCES.register("sample")
def sample_source(
    identity: str,
    out_dir: Path,
    photo: str = "astronaut",
    frames: int = 72,
    size: int = 256,
    fps: float = 24.0,
    seed: int | None = None,
    face_fraction: float = 0.42,
) -> list[Row]:
    """Write `clip.mp4`, the photo in synthetic motion, and list its frames."""
    from faceswap.data.sample_clip import load_sample_photo, stable_seed, synthesize_clip

    clip = out_dir / "clip.mp4"
    seed = stable_seed(photo) if seed is None else int(seed)
    with VideoWriter(clip, fps=fps, crf=18) as writer:
        photo_rgb = load_sample_photo(photo)
        for frame in synthesize_clip(photo_rgb, int(frames), int(size), float(fps), seed, None, float(face_fraction)):
            writer.write(frame)
    return video_rows(identity, clip, "clip.mp4")


@SOURCES.register("video")
def video_source(
    identity: str,
    out_dir: Path,
    path: str | list[str],
    every: int = 1,
    fps: float | None = None,
    start: float | None = None,
    end: float | None = None,
    max_frames: int | None = None,
) -> list[Row]:
    """One or more video files (any container/codec FFmpeg reads); the manifest points at the originals."""
    paths = [path] if isinstance(path, str | os.PathLike) else list(path)
    rows: list[Row] = []
    for p in paths:
        full = Path(p).expanduser().resolve()
        probe(full)  # one-line error for missing, empty or non-video files before any decoding
        rows += video_rows(identity, full, str(full), every, fps, start, end, max_frames)
    return rows


@SOURCES.register("images")
def images_source(
    identity: str, out_dir: Path, path: str, recursive: bool = True, max_images: int | None = None
) -> list[Row]:
    """A folder of photos (jpg, png, webp, bmp, tif; recursive by default) or a single image file."""
    files = list_images(Path(path), recursive)
    return image_rows(identity, files[:max_images] if max_images else files)


def identity_folders(root: Path) -> list[tuple[str, int]]:
    """(name, image count) of each identity folder in `root/<identity>/*`, most images first, then by name."""
    root = Path(root).expanduser()
    if not root.is_dir():
        raise FaceswapError(f"identity tree not found: {root}", "point root at a folder with one sub-folder per person")
    counts = []
    for sub in sorted(p for p in root.iterdir() if p.is_dir()):
        n = sum(1 for f in sub.iterdir() if f.suffix.lower() in IMAGE_EXTENSIONS)
        if n:
            counts.append((sub.name, n))
    if not counts:
        raise FaceswapError(f"no identity folders with images in {root}", "use the layout root/<identity>/*.jpg")
    return sorted(counts, key=lambda c: (-c[1], c[0]))


def pick_identity(root: Path, name: str | None, rank: int | None) -> str:
    """By folder name, or the `rank`-th identity by image count (1 = most images)."""
    folders = identity_folders(root)
    if name is not None:
        if name not in {n for n, _ in folders}:
            raise FaceswapError(
                f"identity '{name}' not found under {root}",
                f"choose a folder name, e.g. {', '.join(n for n, _ in folders[:3])}",
            )
        return name
    rank = 1 if rank is None else int(rank)
    if not 1 <= rank <= len(folders):
        raise ConfigError(f"rank={rank} but {root} has {len(folders)} identities", f"use 1..{len(folders)}")
    return folders[rank - 1][0]


@SOURCES.register("identity_tree")
def identity_tree_source(
    identity: str,
    out_dir: Path,
    root: str,
    name: str | None = None,
    rank: int | None = None,
    max_images: int | None = None,
) -> list[Row]:
    """LFW / VGGFace2 layout `root/<person>/*.jpg`: one person by name or by image-count rank."""
    person = pick_identity(Path(root), name, rank)
    files = list_images(Path(root).expanduser() / person, recursive=False)
    rows = image_rows(identity, files[:max_images] if max_images else files)
    for row in rows:
        row["person"] = person
    return rows


@SOURCES.register("webcam")
def webcam_source(
    identity: str, out_dir: Path, device: int = 0, frames: int = 50, fps: float = 25.0, capture: Any = None
) -> list[Row]:
    """Capture `frames` frames from a camera (cv2.VideoCapture-like `capture` for tests) into `webcam.mp4`."""
    import cv2

    cap = capture if capture is not None else cv2.VideoCapture(int(device))
    if not cap.isOpened():
        raise MediaError(
            f"cannot open camera {device}", "check the device number and camera permissions", param="source"
        )
    clip = out_dir / "webcam.mp4"
    try:
        with VideoWriter(clip, fps=fps, crf=18) as writer:
            for _ in range(int(frames)):
                ok, bgr = cap.read()
                if not ok:
                    break
                writer.write(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    except MediaError as exc:
        raise MediaError(f"camera {device} delivered no frames", "check that no other program holds it") from exc
    finally:
        cap.release()
    return video_rows(identity, clip, "webcam.mp4")
