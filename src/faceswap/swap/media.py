"""Swap whole media files: one image, a folder of images, or a video (with its audio)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from faceswap.face.track import FaceTracker
from faceswap.media.image import is_image_path, read_image, write_image
from faceswap.media.video import VideoWriter, is_video_path, probe, read_video
from faceswap.swap.background import BackgroundSink, prefetch
from faceswap.swap.engine import SwapEngine
from faceswap.swap.select import FaceSelector
from faceswap.utils.errors import FaceswapError, MediaError
from faceswap.utils.io import atomic_path, ensure_writable_dir, require_file
from faceswap.utils.logging import progress


@dataclass
class SwapOutput:
    """One written file and what happened to it."""

    source: Path
    output: Path
    frames: int = 1
    faces: int = 0  # faces swapped, summed over frames
    frames_without_face: int = 0
    swapped: bool = True  # False: no face found, the input was copied unchanged
    fps: float | None = None
    audio: bool = False


@dataclass(frozen=True)
class VideoOptions:
    """Video output settings: H.264 quality/speed, a frame limit, and decode/encode in threads."""

    crf: int = 20
    preset: str = "veryfast"
    max_frames: int | None = None
    overlap_io: bool = True


@dataclass
class SwapReport:
    outputs: list[SwapOutput] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # images without a face, copied as they were


def output_name(source: Path, tag: str) -> str:
    """`clip.mp4` + `a2b` -> `clip_a2b.mp4` (images keep their format)."""
    return f"{source.stem}_{tag}{source.suffix.lower()}"


def swap_video(
    engine: SwapEngine,
    tracker: FaceTracker,
    selector: FaceSelector,
    source: Path,
    output: Path,
    options: VideoOptions | None = None,
) -> SwapOutput:
    """Swap every frame; H.264 at the input's fps, same frame count, the input's audio carried over."""
    opts = options or VideoOptions()
    max_frames, overlap_io = opts.max_frames, opts.overlap_io
    info = probe(source)
    tracker.reset()
    tracker.fps = info.fps
    selector.reset()
    timer = engine.timer
    result = SwapOutput(source, output, frames=0, fps=info.fps, audio=info.has_audio)
    decoded = ((f.index, f.time, f.image) for f in read_video(source, max_frames=max_frames))
    total = min(info.frames, max_frames) if max_frames else info.frames
    audio_from = source if result.audio else None
    writer = VideoWriter(output, info.fps, crf=opts.crf, preset=opts.preset, audio_from=audio_from)

    def encode(image: np.ndarray) -> None:
        with timer("encode"):
            writer.write(image)

    writer.__enter__()
    sink: BackgroundSink[np.ndarray] | None = BackgroundSink(encode) if overlap_io else None
    try:
        source_frames = timer.timed_iter("decode", decoded)
        source_frames = prefetch(source_frames) if overlap_io else source_frames
        for swapped in progress(engine.run(source_frames, tracker, selector), f"swap {source.name}", total=total):
            sink.put(swapped.image) if sink else encode(swapped.image)
            result.frames += 1
            result.faces += swapped.faces
            result.frames_without_face += swapped.faces == 0
        if sink:
            sink.close()
    except BaseException as exc:
        if sink is not None:
            sink.abort()  # the writer thread must be idle before the writer is torn down
        writer.__exit__(type(exc), exc, exc.__traceback__)
        raise
    with timer("encode"):  # encoder flush + audio mux
        writer.__exit__(None, None, None)
    result.swapped = result.faces > 0
    return result


def swap_image(
    engine: SwapEngine,
    tracker: FaceTracker,
    selector: FaceSelector,
    source: Path,
    output: Path,
    copy_unchanged: bool = True,
) -> SwapOutput:
    """Swap one image; without a face `swapped=False` and (folders) the file is copied unchanged."""
    with engine.timer("decode"):
        image = read_image(source)
    tracker.reset()
    selector.reset()
    frame = next(engine.run([(0, 0.0, image)], tracker, selector))
    if frame.faces == 0:
        if copy_unchanged:
            with atomic_path(output) as tmp:
                shutil.copyfile(source, tmp)
        return SwapOutput(source, output, faces=0, frames_without_face=1, swapped=False)
    with engine.timer("encode"):
        write_image(output, frame.image)
    return SwapOutput(source, output, faces=frame.faces)


def swap_path(
    engine: SwapEngine,
    make_tracker: Callable[[bool], FaceTracker],
    selector: FaceSelector,
    source: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    tag: str,
    options: VideoOptions | None = None,
) -> SwapReport:
    """Dispatch on the input kind. `make_tracker(video)` gives a tracker for video or still images."""
    source = require_file(source, "swap input")
    out_dir = ensure_writable_dir(out_dir)
    report = SwapReport()
    if source.is_dir():
        images = sorted(p for p in source.iterdir() if p.is_file() and is_image_path(p))
        if not images:
            raise MediaError(f"no images in folder {source}", "put .jpg/.png files in it or pass a video")
        folder_out = ensure_writable_dir(out_dir / f"{source.name}_{tag}")
        tracker = make_tracker(False)
        for path in progress(images, f"swap {source.name}/"):
            report.outputs.append(swap_image(engine, tracker, selector, path, folder_out / path.name))
    elif is_video_path(source):
        report.outputs.append(
            swap_video(
                engine,
                make_tracker(True),
                selector,
                source,
                out_dir / output_name(source, tag),
                options,
            )
        )
    elif is_image_path(source):
        out = swap_image(engine, make_tracker(False), selector, source, out_dir / output_name(source, tag), False)
        report.outputs.append(out)
    else:
        raise FaceswapError(f"unsupported input {source}", "pass an image, a folder of images or a video")
    report.unchanged = [str(o.source) for o in report.outputs if not o.swapped]
    return report
