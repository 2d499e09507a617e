"""`ae_swap`: the trained autoencoder swap (FF++ "Deepfakes", the faceswap/DFL family) through the same code
path as `faceswap swap`: align, generate into the partner identity, post-process, paste with the blender.

Generate trains nothing: `checkpoint` names a generator export (`faceswap train` / `finetune`). The family
expects one architecture (`arch`, `df` here; `ae_swap_liae` subclasses this for `liae`), so a family label
never mixes generators. Leaves blur/resolution mismatch, colour seams and an identity change.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import torch

from faceswap.models.generator import generator_name
from faceswap.postprocess.pipeline import PostProcessor
from faceswap.swap.engine import SwapEngine
from faceswap.synth.fakes import swap_with_masks
from faceswap.synth.methods.base import Context, Fake, Manipulation, MethodUnavailable, register_manipulation
from faceswap.synth.targets import TargetFrame
from faceswap.training.export import load_generator
from faceswap.utils.errors import FaceswapError
from faceswap.utils.hashing import file_sha256


@functools.lru_cache(maxsize=2)
def _load(path: str, mtime: float, device: str) -> tuple[torch.nn.Module, dict[str, Any], str]:
    """Generator, meta and SHA-256 of one file, shared by the variants of a run (keyed on its mtime)."""
    generator, meta = load_generator(path, device=device)
    return generator, meta, file_sha256(path)


def resolve_checkpoint(checkpoint: str | None, fallback: str | None) -> Path | None:
    """`checkpoint` when it exists, else `fallback` when it exists, else None."""
    for candidate in (checkpoint, fallback):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


@register_manipulation("ae_swap")
class AESwap(Manipulation):
    arch: str | None = "df"  # the generator architecture this family stands for (None: any)

    def __init__(
        self,
        context: Context,
        method: str | None = None,
        checkpoint: str | None = None,
        checkpoint_fallback: str | None = None,
        skip_if_missing: bool = False,
        arch: str | None = "df",
        mask: str = "learned",
        postprocess: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(context, method)
        path = resolve_checkpoint(checkpoint, checkpoint_fallback)
        if path is None:
            problem = f"generator checkpoint not found: {checkpoint}"
            fix = "train one first (`faceswap train`, `model=liae` for liae) or point the method at one"
            raise (MethodUnavailable if skip_if_missing else FaceswapError)(problem, fix)
        generator, meta, sha = _load(str(path), path.stat().st_mtime, context.device)
        found = generator_name(meta)
        if arch and found != arch:
            raise FaceswapError(
                f"{path} holds a {found} generator, the {self.family} family needs {arch}",
                "give the method a checkpoint of that architecture, or use the family made for it",
            )
        post_opts = {k: v for k, v in (postprocess or {}).items() if k != "_target_"}
        post = PostProcessor(**post_opts)
        pair = [str(i) for i in meta["identities"]]
        self.engines = {
            ident: SwapEngine.for_generator(
                generator,
                meta,
                pair[1] if ident == pair[0] else pair[0],
                postprocessor=post,
                mask=mask,
                batch_size=context.batch_size,
                device=context.device,
            )
            for ident in context.identities
            if ident in pair
        }
        if not method:
            self.name = f"{found or 'gen'}{meta['resolution']}-{post.color}-{post.blend}-{mask}-{path.parent.name}"
        self.record = {
            "kind": "swap",
            "checkpoint": str(path),
            "checkpoint_sha256": sha,
            "mask_mode": mask,
            "postprocess": post_opts,
            "generator": {k: meta.get(k) for k in ("resolution", "face_type", "padding", "identities", "model")},
        }

    def fake_frames(self, frames: list[TargetFrame]) -> list[Fake | None]:
        out: list[Fake | None] = [None] * len(frames)
        for identity, engine in self.engines.items():
            idx = [i for i, tf in enumerate(frames) if tf.identity == identity]
            if not idx:
                continue
            fakes = swap_with_masks(engine, [frames[i].image for i in idx], [frames[i].landmarks for i in idx])
            for i, fake in zip(idx, fakes, strict=True):
                out[i] = Fake(fake, engine.target)
        return out
