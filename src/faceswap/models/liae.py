"""`liae` generator (DeepFaceLab SAEHD): encoder, inter_AB (both) + inter_B (B only), one shared decoder."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from faceswap.models.blocks import Decoder, Encoder, Inter, check_resolution
from faceswap.models.generator import GENERATORS, SwapGenerator


@GENERATORS.register("liae")
class LIAEGenerator(SwapGenerator):
    """Target A uses code [inter_AB, inter_AB]; target B uses [inter_B, inter_AB] (as DFL's dst code).

    x [N,3,R,R] -> encoder [N,8e,R/16,R/16] -> two inters [N,inter_ch,R/8,R/8] -> concat -> decoder.
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
        feats = self.encoder.out_ch * low * low
        self.inter_ab = Inter(feats, latent_dims, low, inter_dims)
        self.inter_b = Inter(feats, latent_dims, low, inter_dims)
        self.decoder = Decoder(inter_dims * 2, dec_dims, mask_dims, separable, dec_blocks)

    def decode_slot(self, x: torch.Tensor, slot: int) -> tuple[torch.Tensor, torch.Tensor]:
        feats = self.encoder(x)  # [N,8e,R/16,R/16]
        ab = self.inter_ab(feats)  # [N,inter,R/8,R/8]
        first = ab if slot == 0 else self.inter_b(feats)
        return self.decoder(torch.cat([first, ab], dim=1))  # [N,2*inter,R/8,R/8] -> rgb, mask
