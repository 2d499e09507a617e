"""Shared wrapper of the driven families (reenact, mouth): the target keeps its identity, another person's
video drives its expression or mouth.

Per target video one driving sequence is chosen (seeded) among the partner identity's videos; target frame
k (counted from the video's first target frame, so skipped frames skip driver frames too) takes driver frame
k played forward and backward (no jump at the sequence's end), so the driving motion is temporally coherent.
The stateful renderer (temporal smoothing) is reset at every new target video.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, replace
from typing import Any, ClassVar, Protocol

import numpy as np

from faceswap.media.video import is_video_path, probe
from faceswap.synth.fakes import FakeFrame
from faceswap.synth.methods.base import Context, Fake, Manipulation
from faceswap.synth.methods.drivers import DriverFrame, ping_pong, video_sequences
from faceswap.synth.targets import TargetFrame


class Renderer(Protocol):
    """Reenactor / MouthReplacer: (target_image, target_lm, driving_image, driving_lm) -> FakeFrame, stateful."""

    def __call__(self, t_img: np.ndarray, t_lm: np.ndarray, d_img: np.ndarray, d_lm: np.ndarray) -> FakeFrame: ...


class DrivenMethod(Manipulation):
    """A driven family is this class plus three attributes: `options_type` (the renderer's options dataclass),
    `renderer_type` (built as `renderer_type(options)` once per target video) and `kind` (recorded)."""

    space = "frame"
    options_type: ClassVar[type]
    renderer_type: ClassVar[Callable[[Any], Renderer]]
    kind: ClassVar[str]

    def __init__(
        self,
        context: Context,
        method: str | None = None,
        sequence_frames: int = 250,  # consecutive driver frames kept per driver video (played back and forth)
        driver_videos: int = 4,  # driver videos of the partner identity to choose from (seeded per target video)
        options: dict[str, Any] | None = None,  # fields of `options_type`
    ) -> None:
        super().__init__(context, method)
        self.opts = self.options_type(**(options or {}))  # bad names/values fail here, before any frame
        self.sequence_frames, self.driver_videos = int(sequence_frames), int(driver_videos)
        self.renderer: Renderer | None = None
        self._fps: dict[str, float] = {}
        self._sequences: dict[str, dict[str, list[DriverFrame]]] = {}  # partner -> video -> frames
        self._video: str | None = None
        self._driver: list[DriverFrame] = []
        self._start = 0
        self.record = {
            "kind": self.kind,
            "options": {**asdict(self.opts), "fps": "each target video's"},
            "sequence_frames": self.sequence_frames,
            "driver_videos": self.driver_videos,
        }

    def factory(self, fps: float) -> Renderer:
        """One renderer per target video, its One-Euro filter at that video's frame rate."""
        return self.renderer_type(replace(self.opts, fps=fps))

    def _begin(self, tf: TargetFrame) -> None:
        """A new target video: a fresh renderer (temporal state, at the video's frame rate), a driving sequence."""
        partner = self.context.partner(tf.identity)
        if partner not in self._sequences:
            frames = self.context.frames_of(partner, self.sequence_frames)
            self._sequences[partner] = video_sequences(frames, self.sequence_frames, self.driver_videos)
        videos = self._sequences[partner]
        self._driver = videos[self.context.pick(list(videos), tf.video_id)]
        self._video, self._start = tf.video_id, tf.frame_index
        if tf.media not in self._fps:
            self._fps[tf.media] = (probe(tf.media).fps or 25.0) if is_video_path(tf.media) else 25.0
        self.renderer = self.factory(self._fps[tf.media])

    def fake_frames(self, frames: list[TargetFrame]) -> list[Fake | None]:
        out: list[Fake | None] = []
        for tf in frames:
            if tf.video_id != self._video:
                self._begin(tf)
            drv = self._driver[ping_pong(tf.frame_index - self._start, len(self._driver))]
            assert self.renderer is not None
            fake = self.renderer(tf.image, tf.landmarks, drv.image, drv.landmarks)
            fields = {"driver_video": drv.video_id, "driver_frame": drv.frame_index}
            out.append(Fake(fake, drv.identity, fields) if fake is not None else None)
        return out
