"""`reenact`: expression reenactment (FF++ "Face2Face"): the target keeps its identity while another person's
video drives its expression and mouth; the mouth interior comes from the driver. No checkpoint. Leaves
mouth-interior and temporal inconsistencies with the identity unchanged.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

from faceswap.synth.families.reenact import ReenactOptions, Reenactor
from faceswap.synth.methods.base import Context, register_manipulation
from faceswap.synth.methods.driven import DrivenMethod


@register_manipulation("reenact")
class ReenactMethod(DrivenMethod):
    def __init__(
        self,
        context: Context,
        method: str | None = None,
        sequence_frames: int = 250,  # consecutive driver frames kept per driver video (played back and forth)
        driver_videos: int = 4,  # driver videos of the partner identity to choose from (seeded per target video)
        options: dict[str, Any] | None = None,  # ReenactOptions fields
    ) -> None:
        opts = ReenactOptions(**(options or {}))  # bad names/values fail here, before any frame

        # one renderer per target video, its One-Euro filter at that video's frame rate
        def factory(fps: float) -> Reenactor:
            return Reenactor(replace(opts, fps=fps))

        super().__init__(context, method, sequence_frames, driver_videos, factory)
        self.record = {
            "kind": "expression reenactment",
            "options": {**asdict(opts), "fps": "each target video's"},
            "sequence_frames": self.sequence_frames,
            "driver_videos": self.driver_videos,
        }
