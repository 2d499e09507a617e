"""Discriminators, registered in `DISCRIMINATORS`; `patch` is the PatchGAN (a score per overlapping patch, pix2pix).

`create_discriminator(name, **kwargs)` is the one way to build one (configs: `_target_:
faceswap.models.create_discriminator` with `name:`).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as _spectral_norm

from faceswap.utils.registry import Registry

DISCRIMINATORS: Registry[type[nn.Module]] = Registry("discriminator", package="faceswap.models")


def create_discriminator(name: str = "patch", **kwargs: Any) -> nn.Module:
    """Build the discriminator registered as `name`: images [N,3,R,R] in [0,1] -> logits [N,1,...]."""
    return DISCRIMINATORS.get(name)(**kwargs)


@DISCRIMINATORS.register("patch")
class PatchDiscriminator(nn.Module):
    """[N,3,R,R] -> patch logits [N,1,R/2^n_layers-ish,...].

    `n_layers` stride-2 4x4 convs then two stride-1 4x4 convs; receptive field grows with depth
    (n_layers=3 -> 70 px, the pix2pix default). `spectral_norm` wraps every conv (Miyato et al.).
    """

    def __init__(
        self, in_ch: int = 3, dims: int = 32, n_layers: int = 3, max_dims: int = 256, spectral_norm: bool = False
    ) -> None:
        super().__init__()
        wrap = _spectral_norm if spectral_norm else (lambda m: m)
        layers: list[nn.Module] = [
            wrap(nn.Conv2d(in_ch, dims, 4, stride=2, padding=1)),
            nn.LeakyReLU(0.2, inplace=True),
        ]
        prev = dims
        for i in range(1, n_layers):
            width = min(dims * 2**i, max_dims)
            layers += [wrap(nn.Conv2d(prev, width, 4, stride=2, padding=1)), nn.LeakyReLU(0.2, inplace=True)]
            prev = width
        width = min(dims * 2**n_layers, max_dims)
        layers += [wrap(nn.Conv2d(prev, width, 4, stride=1, padding=1)), nn.LeakyReLU(0.2, inplace=True)]
        layers.append(wrap(nn.Conv2d(width, 1, 4, stride=1, padding=1)))
        self.net = nn.Sequential(*layers)
        self.receptive_field = self._receptive_field(n_layers)

    @staticmethod
    def _receptive_field(n_layers: int) -> int:
        field = 4  # last stride-1 conv
        field = field + 3  # second-to-last stride-1 conv
        for _ in range(n_layers):
            field = field * 2 + 2
        return field

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x * 2 - 1)  # inputs in [0,1] -> [-1,1]; logits [N,1,h,w]
