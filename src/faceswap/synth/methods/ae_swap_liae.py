"""`ae_swap_liae`: the autoencoder swap with a `liae` generator (DeepFaceLab SAEHD's shared-decoder design:
one decoder, an identity-specific inter layer), a second autoencoder family whose fakes carry the shared
decoder's colour and texture rather than a per-identity decoder's.

Generate trains nothing: train one into its own folder, e.g.
`faceswap train model=liae paths.train_dir=runs/sample/train_liae`. Its config sets `skip_if_missing: true`,
so a run without that checkpoint skips the method with a message instead of failing.
"""

from __future__ import annotations

from typing import Any

from faceswap.synth.methods.ae_swap import AESwap
from faceswap.synth.methods.base import Context, register_manipulation


@register_manipulation("ae_swap_liae")
class AESwapLIAE(AESwap):
    def __init__(self, context: Context, arch: str | None = "liae", **options: Any) -> None:
        super().__init__(context, arch=arch, **options)
