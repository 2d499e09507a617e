"""`df` generator (DeepFaceLab SAEHD): shared encoder + inter, one decoder per identity."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from faceswap.models.blocks import Decoder, Encoder, Inter, check_resolution
from faceswap.models.generator import GENERATORS, SwapGenerator


@GENERATORS.register("df")
class DFGenerator(SwapGenerator):
    """x [N,3,R,R] -> encoder [N,8e,R/16,R/16] -> inter [N,inter_ch,R/8,R/8] -> decoder_A or decoder_B."""

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
