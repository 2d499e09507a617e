"""Error translation: library errors name their own argument (`param`); commands name the config key.

`@translated(command)` on a command's `run` (or `with translate_errors(command)`): a FaceswapError whose
`param` this table maps is re-raised naming the key (`swap.mask: unknown mask mode 'x' — choose one of: ...`).
The table is the one place that knows which config key feeds which library argument, per command.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from faceswap.utils.errors import FaceswapError

F = TypeVar("F", bound=Callable[..., Any])

_POSTPROCESS = ("sharpen", "face_scale", "erode", "shape_match", "shape_points", "shape_axes")
_MODEL = {"resolution": "model.resolution", "dec_blocks": "model.generator.dec_blocks", "kind": "loss.terms.gan.kind"}
_SWAPPING = {"cert": "provenance.cert", "c2pa": "provenance.c2pa", **{p: f"postprocess.{p}" for p in _POSTPROCESS}}

#: library argument -> config key, for every command
COMMON: dict[str, str] = {
    "faces_dir": "paths.faces_dir",
    "collect_dir": "paths.collect_dir",
    "dataset": "paths.synthetic_dir",
    "face_detector": "face_detector",
    "landmarker": "landmarks",
    "source": "data.identities",
}
#: per command, on top of COMMON
KEYS: dict[str, dict[str, str]] = {
    "collect": {},
    "preprocess": {"workers": "preprocess.workers", "by": "sort.by", "keep": "sort.keep"},
    "sort": {"by": "sort.by", "keep": "sort.keep"},
    "train": _MODEL,
    "finetune": {**_MODEL, "source": "finetune.from", "modules": "finetune.modules"},
    "swap": {
        "mask": "swap.mask",
        "batch_size": "swap.batch_size",
        "faces": "swap.faces",
        "reference": "swap.reference",
        **_SWAPPING,
    },
    "generate": {
        "mask": "manipulation.ae_swap.mask",
        "identities": "data.pair",
        "batch_size": "generate.batch_size",
        "source_root": "generate.source_root",
        "targets": "generate.targets",
        **_SWAPPING,
    },
    "bench": {"crop_size": "bench.crop_size"},
    "eval": {"mask": "swap.mask", "swapped": "eval.swapped", **_SWAPPING},
    "verify": {},
    "pipeline": {},
}


def config_key(command: str, param: str | None) -> str | None:
    """The config key that feeds library argument `param` in `command`, if any."""
    if param is None:
        return None
    return KEYS.get(command, {}).get(param) or COMMON.get(param)


@contextmanager
def translate_errors(command: str) -> Iterator[None]:
    """Re-raise a FaceswapError about a library argument as one naming the config key."""
    try:
        yield
    except FaceswapError as exc:
        key = config_key(command, exc.param)
        if key is None:
            raise
        raise exc.for_key(key) from exc


def translated(command: str) -> Callable[[F], F]:
    """Decorate a command's `run` so library errors reach the user naming the config key."""

    def decorate(run: F) -> F:
        @functools.wraps(run)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with translate_errors(command):
                return run(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
