"""Video decode/encode through PyAV (FFmpeg): every container/codec FFmpeg reads; H.264 yuv420p out."""

from __future__ import annotations

import functools
import importlib
import os
import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import TypeVar

import av
import numpy as np

from faceswap.utils.errors import MediaError
from faceswap.utils.io import atomic_path, require_file

T = TypeVar("T")

#: x264's CPU features below AVX-512: every CPU this project supports has them
_X264_AVX2 = "MMX2,SSE,SSE2,SSE3,SSSE3,SSE4.1,SSE4.2,AVX,AVX2,FMA3,LZCNT,BMI1,BMI2"


def x264_options(crf: int, preset: str) -> dict[str, str]:
    """libx264 options for a repeatable encode. On AVX-512 CPUs x264's AVX-512 code gave different pixels
    from run to run for 416 px wide frames (the sample clip: two runs of one seed trained on different
    frames), while its AVX2 code gives the same pixels every run and the same as on AVX2-only CPUs."""
    options = {"crf": str(crf), "preset": preset}
    if _has_avx512():
        options["x264-params"] = f"asm={_X264_AVX2}"
    return options


@functools.cache  # one read of /proc/cpuinfo per process, not one per encoder (bench opens hundreds)
def _has_avx512() -> bool:
    try:
        with open("/proc/cpuinfo") as fh:
            return any(line.startswith("flags") and " avx512f" in line for line in fh)
    except OSError:
        return False


VIDEO_EXTENSIONS: tuple[str, ...] = (".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv")


@dataclass(frozen=True)
class VideoFrame:
    index: int  # 0-based decode order
    time: float  # seconds from the stream start
    image: np.ndarray  # [H,W,3] RGB uint8


@dataclass(frozen=True)
class VideoInfo:
    fps: float
    frames: int  # container's count, or an estimate from duration when the container has none
    width: int
    height: int
    has_audio: bool
    duration: float
    codec: str


def is_video_path(path: str | os.PathLike[str]) -> bool:
    return Path(path).suffix.lower() in VIDEO_EXTENSIONS


def _open(path: str | os.PathLike[str]) -> av.container.InputContainer:
    path = require_file(path, "video")
    try:
        container = av.open(str(path), mode="r")
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise MediaError(
            f"cannot open video {path}: not a readable media file ({exc.__class__.__name__})",
            "check that the file is a complete video (re-download or re-export it)",
        ) from exc
    if not container.streams.video:
        container.close()
        raise MediaError(f"{path} has no video stream", "pass a video file with a picture track")
    return container


def probe(path: str | os.PathLike[str]) -> VideoInfo:
    """Read stream metadata without decoding."""
    with _open(path) as container:
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate or Fraction(25)
        fps = float(rate)
        duration = (
            float(stream.duration * stream.time_base)
            if stream.duration
            else (container.duration / 1e6 if container.duration else 0.0)
        )
        frames = int(stream.frames) or round(duration * fps)
        return VideoInfo(
            fps=fps,
            frames=frames,
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            has_audio=bool(container.streams.audio),
            duration=duration,
            codec=stream.codec_context.name,
        )


def read_video(
    path: str | os.PathLike[str],
    every: int = 1,
    max_frames: int | None = None,
    start: float | None = None,
    end: float | None = None,
    fps: float | None = None,
    indices: set[int] | None = None,
) -> Iterator[VideoFrame]:
    """Yield decoded frames: every Nth, or resampled to `fps`, within [start, end) s, at most `max_frames`.

    `indices` picks exact decode-order frame numbers (what a collect manifest recorded). A corrupt
    stream ends with a MediaError naming the frame; frames before it were already yielded.
    """
    if every < 1:
        raise MediaError(f"every={every} must be >= 1", "set every to a positive integer")
    container = _open(path)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"  # frame + slice threads: decode is ~2x faster on 2 cores
        src_fps = float(stream.average_rate or stream.guessed_rate or 25)
        yield from _select(_decode(container, stream, path, src_fps), every, max_frames, start, end, fps, indices)
    finally:
        container.close()


def _decode(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream, path: object, src_fps: float
) -> Iterator[tuple[int, float, av.VideoFrame]]:
    index = 0
    try:
        for frame in container.decode(stream):
            time = float(frame.time) if frame.time is not None else index / src_fps
            yield index, time, frame
            index += 1
    except av.error.FFmpegError as exc:
        raise MediaError(
            f"video {path} is corrupt at frame {index}: {exc}",
            "re-export the video or limit the time range before the damage",
        ) from exc
    if index == 0:
        raise MediaError(f"video {path} has no decodable frames", "check that the file is a complete video")


def _select(
    frames: Iterator[tuple[int, float, av.VideoFrame]],
    every: int,
    max_frames: int | None,
    start: float | None,
    end: float | None,
    fps: float | None,
    indices: set[int] | None,
) -> Iterator[VideoFrame]:
    taken = 0
    next_time = start or 0.0
    last_wanted = max(indices) if indices else None
    t0: float | None = None
    for index, time, frame in frames:
        t0 = time if t0 is None else t0
        rel = time - t0  # stream times may not start at zero
        if max_frames is not None and taken >= max_frames:
            return
        if last_wanted is not None and index > last_wanted:
            return
        if end is not None and rel >= end:
            return
        if indices is not None and index not in indices:
            continue
        if start is not None and rel < start:
            continue
        if index % every:
            continue
        if fps:
            if rel + 1e-6 < next_time:
                continue
            next_time += 1.0 / fps
        taken += 1
        yield VideoFrame(index=index, time=rel, image=np.ascontiguousarray(frame.to_ndarray(format="rgb24")))


def even_frame(rgb: np.ndarray) -> np.ndarray:
    """Pad odd width/height by one replicated row/column (yuv420p needs even dimensions)."""
    h, w = rgb.shape[:2]
    if h % 2 or w % 2:
        rgb = np.pad(rgb, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")
    return rgb


class VideoWriter:
    """H.264 (libx264, yuv420p) writer; the file appears only when the block finishes without error.

    `audio_from`: a media file whose audio is muxed into the result by `faceswap.media.audio.mux_audio`
    when that module is installed (ignored otherwise).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        fps: float,
        crf: int = 20,
        preset: str = "veryfast",
        audio_from: str | os.PathLike[str] | None = None,
    ) -> None:
        self.path = Path(path)
        self.fps = Fraction(fps).limit_denominator(1001)
        self.crf, self.preset, self.audio_from = crf, preset, audio_from
        self.frames = 0
        self._atomic = atomic_path(self.path)
        self._tmp: Path | None = None
        self._container: av.container.OutputContainer | None = None
        self._stream: av.video.stream.VideoStream | None = None
        self._size: tuple[int, int] | None = None

    def __enter__(self) -> VideoWriter:
        self._tmp = self._atomic.__enter__()
        self._container = av.open(str(self._tmp), mode="w", format=_muxer_for(self.path))
        return self

    def write(self, rgb: np.ndarray) -> None:
        """Append one RGB uint8 [H,W,3] frame; every frame must have the first frame's size."""
        assert self._container is not None, "use VideoWriter as a context manager"
        rgb = even_frame(np.ascontiguousarray(rgb, dtype=np.uint8))
        h, w = rgb.shape[:2]
        if self._stream is None:
            self._stream = self._container.add_stream("libx264", rate=self.fps)
            self._stream.width, self._stream.height, self._stream.pix_fmt = w, h, "yuv420p"
            self._stream.options = x264_options(self.crf, self.preset)
            self._size = (w, h)
        elif (w, h) != self._size:
            raise MediaError(
                f"frame size {w}x{h} differs from the video's {self._size[0]}x{self._size[1]}",
                "resize frames to one size before writing",
            )
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        self.frames += 1

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._container is not None and self._tmp is not None
        try:
            if self._stream is not None:
                for packet in self._stream.encode(None):
                    self._container.mux(packet)
            self._container.close()
            if exc_type is None and self._stream is None:
                raise MediaError(f"no frames were written to {self.path}", "write at least one frame")
            if exc_type is None and self.audio_from is not None:
                _mux_audio_if_available(self._tmp, Path(self.audio_from))
        except BaseException as err:
            self._atomic.__exit__(type(err), err, err.__traceback__)
            raise
        self._atomic.__exit__(exc_type, exc, tb)


def _muxer_for(path: Path) -> str:
    return {".mkv": "matroska", ".mov": "mov", ".avi": "avi", ".webm": "matroska"}.get(path.suffix.lower(), "mp4")


def _mux_audio_if_available(video_path: Path, audio_from: Path) -> None:
    """Replace `video_path` in place by a copy with `audio_from`'s audio (audio module owned by swap)."""
    try:
        audio = importlib.import_module("faceswap.media.audio")
    except ImportError:
        return
    mux = getattr(audio, "mux_audio", None)
    if mux is not None:
        mux(video_path, audio_from, video_path)


def prefetch(frames: Iterable[T], depth: int = 8) -> Iterator[T]:
    """Run an iterator (e.g. read_video) on a background thread, `depth` items ahead. FFmpeg decodes and
    converts without the GIL, so decoding overlaps with detection on a second core. Errors re-raise here."""
    buffer: queue.Queue = queue.Queue(maxsize=max(1, depth))
    done = object()
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in frames:
                if stop.is_set():
                    return
                buffer.put((item, None))
        except BaseException as exc:  # handed to the consumer
            buffer.put((None, exc))
            return
        buffer.put((done, None))

    worker = threading.Thread(target=produce, name="frame-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item, exc = buffer.get()
            if exc is not None:
                raise exc
            if item is done:
                return
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            try:
                buffer.get_nowait()
            except queue.Empty:
                worker.join(timeout=0.05)
