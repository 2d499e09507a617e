"""The swap engine: tracked faces -> aligned crops -> batched generator -> post-process -> paste-back.

Frames are processed in chunks of `batch_size`: tracking runs frame by frame (it is sequential), every
face of the chunk goes through the generator in one forward pass, then each face is post-processed and
pasted into its frame.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from faceswap.face.align import AlignedFace, align_face
from faceswap.face.masks import hull_mask
from faceswap.face.track import FaceTracker, TrackedFace
from faceswap.postprocess.mask import MASK_MODES, combine_masks
from faceswap.postprocess.pipeline import PostProcessor
from faceswap.swap.paste import paste_face
from faceswap.swap.select import FaceSelector
from faceswap.swap.timing import PhaseTimer
from faceswap.utils.errors import ConfigError

FrameFilter = Callable[[np.ndarray], np.ndarray]


@dataclass
class SwappedFrame:
    index: int
    image: np.ndarray  # [H,W,3] uint8
    faces: int  # faces swapped in this frame


class SwapEngine:
    """Swap every selected face of a frame stream into `target` identity with a loaded generator."""

    def __init__(
        self,
        generator: torch.nn.Module,
        target: str,
        *,
        resolution: int,
        face_type: str = "full",
        padding: float = 0.0,
        postprocessor: PostProcessor | None = None,
        mask: str = "learned",
        batch_size: int = 8,
        device: str = "cpu",
        frame_filter: FrameFilter | None = None,
        timer: PhaseTimer | None = None,
    ) -> None:
        if mask not in MASK_MODES:
            raise ConfigError(f"unknown mask mode '{mask}'", f"choose one of: {', '.join(MASK_MODES)}", param="mask")
        if batch_size < 1:
            raise ConfigError(f"batch_size={batch_size} must be >= 1", "use e.g. 8", param="batch_size")
        self.generator, self.target = generator.to(memory_format=torch.channels_last), target
        self.resolution, self.face_type, self.padding = int(resolution), face_type, float(padding)
        self.post = postprocessor or PostProcessor()
        self.mask_mode, self.batch_size, self.device = mask, int(batch_size), torch.device(device)
        self.frame_filter = frame_filter
        self.timer = timer or PhaseTimer()

    @classmethod
    def for_generator(cls, generator: torch.nn.Module, meta: dict[str, Any], target: str, **options: Any) -> SwapEngine:
        """An engine that aligns faces exactly as the generator's training set was aligned (from its meta)."""
        return cls(
            generator,
            target,
            resolution=meta["resolution"],
            face_type=meta.get("face_type", "full"),
            padding=meta.get("padding", 0.0),
            **options,
        )

    @torch.inference_mode()
    def generate(self, crops: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """crops: list of [R,R,3] uint8 -> (faces [N,R,R,3] uint8, learned masks [N,R,R] float32)."""
        faces, masks = [], []
        for start in range(0, len(crops), self.batch_size):
            chunk = np.stack(crops[start : start + self.batch_size])  # [n,R,R,3]
            x = torch.from_numpy(chunk).to(self.device).permute(0, 3, 1, 2).float().div_(255.0)  # [n,3,R,R]
            x = x.contiguous(memory_format=torch.channels_last)  # oneDNN's fastest conv layout on CPU
            rgb, mask = self.generator(x, self.target)  # [n,3,R,R], [n,1,R,R]
            rgb = rgb.clamp(0, 1).mul(255.0).add_(0.5).to(torch.uint8).permute(0, 2, 3, 1)
            faces.append(rgb.cpu().numpy())
            masks.append(mask[:, 0].float().clamp(0, 1).cpu().numpy())
        return np.concatenate(faces), np.concatenate(masks)

    def _align(self, frame: np.ndarray, face: TrackedFace) -> AlignedFace:
        return align_face(frame, face.landmarks, self.resolution, self.face_type, self.padding)

    def _crop_mask(self, aligned: AlignedFace, learned: np.ndarray) -> np.ndarray:
        hull = None
        if self.mask_mode != "learned":
            hull = hull_mask(aligned.landmarks_crop, self.resolution, self.face_type)
        return combine_masks(self.mask_mode, learned, hull)

    def swap_frames(self, frames: list[np.ndarray], faces: list[list[TrackedFace]]) -> list[np.ndarray]:
        """Swap the given faces of a chunk of frames; frames without faces come back unchanged (same object)."""
        t = self.timer
        with t("align"):
            jobs = [
                (i, self._align(frame, face))
                for i, (frame, fs) in enumerate(zip(frames, faces, strict=True))
                for face in fs
            ]
        outputs = list(frames)
        if jobs:
            with t("generate"):
                generated, learned = self.generate([job[1].crop for job in jobs])
            for (i, aligned), gen, lmask in zip(jobs, generated, learned, strict=True):
                if outputs[i] is frames[i]:
                    outputs[i] = frames[i].copy()
                with t("postprocess"):
                    face, soft = self.post.process_crop(
                        gen, aligned.crop, self._crop_mask(aligned, lmask), aligned.landmarks_crop
                    )
                with t("blend"):
                    paste_face(outputs[i], face, soft, aligned.matrix, self.post.blend)
        if self.frame_filter is not None:
            with t("watermark"):
                outputs = [self.frame_filter(img) for img in outputs]
        return outputs

    def run(
        self, frames: Iterable[tuple[int, float, np.ndarray]], tracker: FaceTracker, selector: FaceSelector
    ) -> Iterator[SwappedFrame]:
        """frames: (index, time s, rgb) in order -> swapped frames in the same order."""
        chunk: list[tuple[int, np.ndarray, list[TrackedFace]]] = []
        for index, time, image in frames:
            with self.timer("detect"):
                chosen = selector(image, tracker.update(image, time))
            chunk.append((index, image, chosen))
            if len(chunk) == self.batch_size:
                yield from self._flush(chunk)
                chunk = []
        if chunk:
            yield from self._flush(chunk)

    def _flush(self, chunk: list[tuple[int, np.ndarray, list[TrackedFace]]]) -> Iterator[SwappedFrame]:
        swapped = self.swap_frames([c[1] for c in chunk], [c[2] for c in chunk])
        for (index, _, faces), image in zip(chunk, swapped, strict=True):
            yield SwappedFrame(index, image, len(faces))
