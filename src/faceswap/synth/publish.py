"""Published copies of the fakes: each method's fake frames of each target video as one labelled mp4 with
the target video's original audio (so a mouth-only fake's lips disagree with the sound it is heard with).

Crops in the dataset carry no metadata; these files are what a swap would really publish (C2PA
manifest + sidecar from `faceswap.provenance`, when enabled), so the `provenance` detector has files
to read. Reals point at their original media. Only frames with a swapped face are written; the target
video's soundtrack is muxed in (as a swap tool publishes it), so reals and fakes both carry audio
(in sync when every frame was swapped: `generate.every=1` and a face in each frame).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from faceswap.media.video import VideoWriter, probe
from faceswap.synth.targets import TargetFrame
from faceswap.synth.writer import safe_name

Labeler = Callable[[Path, str, str], object]  # (file, method, source media) -> anything


class Publisher:
    """Streams frames into one mp4 per (method, video); labels each file when it is closed."""

    def __init__(self, root: Path, labeler: Labeler | None = None, crf: int = 18) -> None:
        self.root, self.labeler, self.crf = Path(root), labeler, crf
        self._open: dict[tuple[str, str], tuple[VideoWriter, Path, str]] = {}
        self._fps: dict[str, float] = {}
        self.files: list[Path] = []

    def relative(self, method: str, tf: TargetFrame) -> str:
        return f"published/{safe_name(method)}/{safe_name(tf.video_id)}.mp4"

    def write(self, method: str, tf: TargetFrame, image: np.ndarray) -> str:
        """Append one swapped frame; returns the file's path relative to the dataset root."""
        rel = self.relative(method, tf)
        key = (method, tf.video_id)
        for other in [k for k in self._open if k[0] == method and k != key]:
            self._close(other)  # targets arrive video by video: a new video ends the previous one
        if key not in self._open:
            fps = self._fps.setdefault(tf.media, probe(tf.media).fps or 25.0)
            audio = tf.media if tf.has_audio else None  # the target's original sound track, as a real fake keeps
            writer = VideoWriter(self.root / rel, fps=fps, crf=self.crf, audio_from=audio).__enter__()
            self._open[key] = (writer, self.root / rel, tf.media)
        self._open[key][0].write(image)
        return rel

    def _close(self, key: tuple[str, str]) -> None:
        writer, path, media = self._open.pop(key)
        writer.__exit__(None, None, None)
        if self.labeler is not None:
            self.labeler(path, key[0], media)
        self.files.append(path)

    def close(self) -> list[Path]:
        for key in list(self._open):
            self._close(key)
        return self.files
