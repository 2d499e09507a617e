"""`mouth`: mouth-only manipulation (FF++ "NeuralTextures", Wav2Lip-style lip-sync fakes): only the mouth
region is re-rendered from another person's video, while the published video keeps the target's original
audio, so lips and sound disagree. No checkpoint. Leaves local mouth texture and a lip-sync mismatch.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

from faceswap.synth.families.mouth import MouthOptions, MouthReplacer
from faceswap.synth.methods.base import Context, register_manipulation
from faceswap.synth.methods.driven import DrivenMethod


@register_manipulation("mouth")
class MouthMethod(DrivenMethod):
    def __init__(
        self,
        context: Context,
        method: str | None = None,
        sequence_frames: int = 250,  # consecutive driver frames kept per driver video (played back and forth)
        driver_videos: int = 4,  # driver videos of the partner identity to choose from (seeded per target video)
        options: dict[str, Any] | None = None,  # MouthOptions fields
    ) -> None:
        opts = MouthOptions(**(options or {}))  # bad names/values fail here, before any frame

        # one renderer per target video, its One-Euro filter at that video's frame rate
        def factory(fps: float) -> MouthReplacer:
            return MouthReplacer(replace(opts, fps=fps))

        super().__init__(context, method, sequence_frames, driver_videos, factory)
        self.record = {
            "kind": "mouth replacement",
            "options": {**asdict(opts), "fps": "each target video's"},
            "sequence_frames": self.sequence_frames,
            "driver_videos": self.driver_videos,
        }
