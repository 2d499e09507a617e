"""Parent side of the video pool (`preprocess.workers` > 1): worker processes track contiguous segments of a
video (faceswap.data.video_segments); the parent takes their raw landmarks in frame order, joins track ids
across segment boundaries, runs the One-Euro smoothing over the whole video in order, and extracts and
writes the faces exactly as the one-process path does. workers=1 keeps the in-process FaceTracker.
"""

from __future__ import annotations

import multiprocessing
import queue
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

import numpy as np

from faceswap.data.video_segments import Message, RawTrack, Segment, init_worker, plan_segments, track_segment
from faceswap.face.smoothing import TrackSmoother
from faceswap.face.track import FaceTracker, TrackedFace
from faceswap.utils.errors import FaceswapError

POLL_S = 0.5  # how often the parent checks on its workers while waiting for results


class VideoTracks(Protocol):
    """Tracks of one video, asked for frame by frame in frame order."""

    def __call__(self, row: dict[str, Any], image: np.ndarray) -> list[TrackedFace] | None: ...

    def finish(self) -> None: ...


class LocalTracks:
    """In-process tracking: workers=1, or a video the pool does not take (short, or without usable timestamps)."""

    def __init__(self, tracker: FaceTracker) -> None:
        self.tracker = tracker

    def __call__(self, row: dict[str, Any], image: np.ndarray) -> list[TrackedFace] | None:
        return self.tracker.update(image, row.get("timestamp"))

    def finish(self) -> None:
        pass


class VideoPool:
    """Worker processes for video tracking, started on first use and shared by every video of a job.

    A context manager: leaving it normally waits for the workers to exit; leaving it on an exception
    (including Ctrl-C) tells them to stop after their current frame first."""

    def __init__(self, workers: int, specs: tuple[dict[str, Any], dict[str, Any]] | None, detect_every: int) -> None:
        self.workers = int(workers) if specs is not None else 1
        self.specs, self.detect_every = specs, int(detect_every)
        self._next_key = 0
        self._pool: ProcessPoolExecutor | None = None
        self.results: Any = None  # multiprocessing.Queue[Message]
        self._stop: Any = None  # multiprocessing.Event

    def __enter__(self) -> VideoPool:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close(abort=exc_type is not None)

    def tracks(self, path: Path, rows: list[dict[str, Any]], smoothing: dict | None) -> PooledTracks | None:
        """Submit one video's segments; None when the pool does not apply (the caller tracks in-process)."""
        segments = plan_segments(path, rows, self.workers, self._next_key, warmup=2 * self.detect_every)
        if not segments:
            return None
        self._next_key += len(segments)
        pool = self._start()
        futures = [pool.submit(track_segment, seg, self.detect_every) for seg in segments]
        return PooledTracks(self, segments, futures, TrackSmoother(smoothing))

    def _start(self) -> ProcessPoolExecutor:
        if self._pool is None:
            assert self.specs is not None
            # spawn, as the photo pool: a forked child inherits locks held by FFmpeg/OpenCV threads and can hang
            context = multiprocessing.get_context("spawn")
            self.results, self._stop = context.Queue(), context.Event()
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=context,
                initializer=init_worker,
                initargs=(*self.specs, self.results, self._stop),
            )
        return self._pool

    def receive(self, futures: list[Future]) -> Message | None:
        """Next message from any worker, or None after POLL_S; raises what a failed worker raised (one line)."""
        try:
            return self.results.get(timeout=POLL_S)
        except queue.Empty:
            pass
        for future in futures:
            if future.done() and future.exception() is not None:
                raise _one_line(future.exception())
        return None

    def close(self, abort: bool = False) -> None:
        if self._pool is None:
            return
        if abort:
            self._stop.set()
        self._pool.shutdown(wait=True, cancel_futures=abort)
        self.results.close()
        self._pool = None


def _one_line(exc: BaseException | None) -> BaseException:
    if isinstance(exc, FaceswapError):
        return exc
    if isinstance(exc, BrokenProcessPool):
        return FaceswapError(
            "a preprocess worker process stopped unexpectedly (out of memory, or killed)",
            "rerun the same command to resume, or use 1 worker",
            param="workers",
        )
    assert exc is not None
    return exc


class PooledTracks:
    """One video's segments as seen by the parent: tracks per frame in frame order, with track ids joined across
    segment boundaries (IoU, as FaceTracker matches a re-detection) and landmarks smoothed here, over the whole
    video, so a boundary does not reset the One-Euro filter of a face that stays in view."""

    def __init__(
        self,
        pool: VideoPool,
        segments: list[Segment],
        futures: list[Future],
        smoother: TrackSmoother,
        min_iou: float = 0.3,
    ) -> None:
        self.pool, self.futures, self.smoother, self.min_iou = pool, futures, smoother, min_iou
        self.segment_of = {index: seg.key for seg in segments for index in seg.sent}
        self.open = {seg.key for seg in segments}  # segments whose end marker has not arrived
        self.results: dict[int, list[RawTrack]] = {}  # frame index -> raw tracks, until asked for
        self.ids: dict[tuple[int, int], int] = {}  # (segment key, track id in the segment) -> track id in the video
        self.next_id = 0
        self.segment: int | None = None  # segment of the last frame served
        self.previous: list[TrackedFace] = []

    def __call__(self, row: dict[str, Any], image: np.ndarray) -> list[TrackedFace] | None:
        """Tracks of this frame (landmarks smoothed), or None when the worker could not decode it."""
        index = int(row["frame_index"])
        key = self.segment_of[index]
        while index not in self.results and key in self.open:
            self._pull()
        raw = self.results.pop(index, None)
        if raw is None:
            return None
        if key != self.segment:
            self._join(key, raw)
            self.segment = key
        t = float(row["timestamp"])
        tracks = []
        for local, box, landmarks, detected in raw:
            track_id = self._video_id(key, local)
            tracks.append(TrackedFace(track_id, box, self.smoother(track_id, landmarks, t), landmarks, detected))
        self.previous = tracks
        return tracks

    def _pull(self) -> None:
        message = self.pool.receive(self.futures)
        if message is None or message[0] not in self.open:
            return
        key, batch = message
        if batch is None:
            self.open.discard(key)
        else:
            self.results.update(batch)

    def _join(self, key: int, raw: list[RawTrack]) -> None:
        """First frame of a segment (a full detection): a face that overlaps one of the previous frame keeps its id."""
        previous = list(self.previous)
        for local, box, _, _ in raw:
            match = max(previous, key=lambda tr: tr.bbox.iou(box), default=None)
            if match is not None and match.bbox.iou(box) >= self.min_iou:
                previous.remove(match)
                self.ids[(key, local)] = match.track_id

    def _video_id(self, key: int, local: int) -> int:
        if (key, local) not in self.ids:
            self.ids[(key, local)] = self.next_id
            self.next_id += 1
        return self.ids[(key, local)]

    def finish(self) -> None:
        """After the video's last frame: wait for every segment's end, so no message is left for the next video."""
        while self.open:
            self._pull()
        for future in self.futures:
            future.result()
