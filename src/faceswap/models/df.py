"""`df` generator (DeepFaceLab SAEHD): shared encoder + inter, one decoder per identity.

This file is the template for a new generator. A generator is two files and nothing else:
  1. `src/faceswap/models/<name>.py` (this file): a `SwapGenerator` subclass decorated with
     `@GENERATORS.register("<name>")`. The registered name is its only name: no `arch`/`name` attribute,
     no import line elsewhere (the registry imports every module of `faceswap.models` on first use).
  2. `configs/model/<name>.yaml`: `generator: {_target_: faceswap.models.create_generator, name: <name>,
     <constructor options>}` (see configs/model/liae.yaml for one that inherits df's widths).
Then `faceswap train model=<name>` trains it, exports record `name` in `generator.pt` so swap/eval/generate
rebuild it, and tests/test_registries.py tests it (config composes, forward shapes) without being edited.

The contract (`SwapGenerator`): `__init__(resolution, identities, **options)` passes every option on to
`super().__init__` so `self.config` can rebuild the network; `decode_slot(x [N,3,R,R], slot 0=A / 1=B) ->
(rgb [N,3,R,R] in [0,1], mask [N,1,R,R] in [0,1])`; direct children are the module groups that finetune keeps,
re-initialises or freezes (`module_groups()`). `resolution` comes from `model.resolution` (train passes it).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from faceswap.models.blocks import Decoder, Encoder, Inter, check_resolution
from faceswap.models.generator import GENERATORS, SwapGenerator


@GENERATORS.register("df")
class DFGenerator(SwapGenerator):
    """x [N,3,R,R] -> encoder [N,8e,R/16,R/16] -> inter [N,inter_ch,R/8,R/8] -> decoder_A or decoder_B.

    Options (configs/model/df.yaml): resolution (multiple of 16), identities [A, B] (names of the two slots),
    enc_dims e (encoder widths e..8e), latent_dims (dense bottleneck), inter_dims (inter output channels at R/8),
    dec_dims d (decoder widths 8d..2d), mask_dims (learned-mask branch width), separable (depthwise-separable
    decoder convs), dec_blocks (residual blocks after each decoder upscale).
    Module groups: encoder, inter, decoder_a, decoder_b.
    """

    def __init__(
        self,
        resolution: int = 64,
        identities: Sequence[str] = ("a", "b"),
        enc_dims: int = 32,
        latent_dims: int = 128,
        inter_dims: int = 128,
        dec_dims: int = 32,
        mask_dims: int = 16,
        separable: bool = False,
        dec_blocks: int = 1,
    ) -> None:
        super().__init__(
            check_resolution(resolution),
            identities,
            enc_dims=enc_dims,
            latent_dims=latent_dims,
            inter_dims=inter_dims,
            dec_dims=dec_dims,
            mask_dims=mask_dims,
            separable=separable,
            dec_blocks=dec_blocks,
        )
        low = resolution // 16
        self.encoder = Encoder(enc_dims)
        self.inter = Inter(self.encoder.out_ch * low * low, latent_dims, low, inter_dims)
        self.decoder_a = Decoder(inter_dims, dec_dims, mask_dims, separable, dec_blocks)
        self.decoder_b = Decoder(inter_dims, dec_dims, mask_dims, separable, dec_blocks)

    def decode_slot(self, x: torch.Tensor, slot: int) -> tuple[torch.Tensor, torch.Tensor]:
        code = self.inter(self.encoder(x))  # [N,inter_dims,R/8,R/8]
        decoder = self.decoder_a if slot == 0 else self.decoder_b
        return decoder(code)
