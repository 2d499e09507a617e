"""Generator export and loading: the hand-over from train/finetune to swap, eval and generate.

`generator.pt` is a plain dict (loads with `torch.load(weights_only=True)`):
`{"format": "faceswap-generator", "version": 1, "state_dict": <EMA weights>, "meta": {...}}`,
meta = resolution, face_type, padding, identities [A, B], model (plain dict: the registered `name` +
constructor arguments; exports from before the rename call the name `arch` and load the same).
A Lightning `.ckpt` written by training carries the same meta under `"faceswap_meta"` and the EMA
weights under the `ema.` prefix of its state dict.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from faceswap.models.generator import SwapGenerator, build_generator
from faceswap.utils.errors import FaceswapError
from faceswap.utils.io import atomic_path, require_file

EXPORT_FORMAT = "faceswap-generator"
EXPORT_VERSION = 1
META_KEY = "faceswap_meta"
EMA_PREFIX = "ema."


def generator_meta(
    generator: SwapGenerator, face_type: str = "full", padding: float = 0.0, **extra: Any
) -> dict[str, Any]:
    """Plain-container description of a generator, enough to rebuild it and to align faces for it."""
    return {
        "resolution": generator.resolution,
        "face_type": str(face_type),
        "padding": float(padding),
        "identities": list(generator.identities),
        "model": dict(generator.config),
        **extra,
    }


def save_generator(path: str | os.PathLike[str], generator: SwapGenerator, meta: dict[str, Any]) -> Path:
    """Write `generator.pt` atomically: CPU fp32 weights (the EMA copy when the caller passes it) + meta."""
    state = {
        k: v.detach().to("cpu", torch.float32 if v.is_floating_point() else v.dtype).clone()
        for k, v in generator.state_dict().items()
    }
    payload = {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "state_dict": state, "meta": meta}
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    return Path(path)


def _read(path: Path) -> dict[str, Any]:
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt file, or one holding arbitrary objects
        raise FaceswapError(
            f"cannot read generator checkpoint {path}: {exc.__class__.__name__}",
            "point to a generator.pt or .ckpt written by faceswap train/finetune",
        ) from exc
    if not isinstance(payload, dict):
        raise FaceswapError(
            f"{path} is not a faceswap checkpoint", "point to a generator.pt or .ckpt written by faceswap train"
        )
    return payload


def _split_payload(payload: dict[str, Any], path: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    if payload.get("format") == EXPORT_FORMAT:
        return payload["state_dict"], payload["meta"]
    if META_KEY in payload and "state_dict" in payload:
        state = {k[len(EMA_PREFIX) :]: v for k, v in payload["state_dict"].items() if k.startswith(EMA_PREFIX)}
        return state, payload[META_KEY]
    raise FaceswapError(
        f"{path} holds no faceswap generator", "point to a generator.pt or .ckpt written by faceswap train/finetune"
    )


def load_generator(
    path: str | os.PathLike[str], device: str | torch.device = "cpu"
) -> tuple[SwapGenerator, dict[str, Any]]:
    """Load the EMA generator of an export or a training checkpoint, in eval mode, with its meta."""
    path = require_file(path, "generator checkpoint")
    state, meta = _split_payload(_read(path), path)
    generator = build_generator(meta["model"], meta["identities"])
    missing, unexpected = generator.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise FaceswapError(
            f"{path} does not match its model config ({len(missing)} missing, {len(unexpected)} unexpected weights)",
            "re-export it with the faceswap version that trained it",
        )
    generator.eval().requires_grad_(False).to(device)
    return generator, dict(meta)
