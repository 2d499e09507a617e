"""Convolutional building blocks shared by the generators (DeepFaceLab SAEHD-style)."""

from __future__ import annotations

import torch
from torch import nn

LEAK = 0.1


class Downscale(nn.Module):
    """Halve the resolution: 5x5 stride-2 conv + LeakyReLU.  [N,Cin,H,W] -> [N,Cout,H/2,W/2]."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int = 5) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, kernel, stride=2, padding=kernel // 2)
        self.act = nn.LeakyReLU(LEAK, inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.conv(x))


def conv3x3(in_ch: int, out_ch: int, separable: bool = False) -> nn.Module:
    """A 3x3 conv, or its depthwise-separable form (3x3 per channel, then 1x1): ~1/8 of the FLOPs at
    64-512 channels, for a decoder that spends almost all of a step's compute in these convs."""
    if not separable:
        return nn.Conv2d(in_ch, out_ch, 3, padding=1)
    return nn.Sequential(nn.Conv2d(in_ch, in_ch, 3, padding=1, groups=in_ch), nn.Conv2d(in_ch, out_ch, 1))


class Upscale(nn.Module):
    """Double the resolution: 3x3 conv to 4*Cout, LeakyReLU, pixel shuffle.  [N,Cin,H,W] -> [N,Cout,2H,2W]."""

    def __init__(self, in_ch: int, out_ch: int, separable: bool = False) -> None:
        super().__init__()
        self.conv = conv3x3(in_ch, out_ch * 4, separable)
        self.act = nn.LeakyReLU(LEAK, inplace=True)
        self.shuffle = nn.PixelShuffle(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shuffle(self.act(self.conv(x)))


class ResidualBlock(nn.Module):
    """Two 3x3 convs with a skip connection; keeps the shape [N,C,H,W]."""

    def __init__(self, ch: int, separable: bool = False) -> None:
        super().__init__()
        self.conv1 = conv3x3(ch, ch, separable)
        self.conv2 = conv3x3(ch, ch, separable)
        self.act = nn.LeakyReLU(0.2, inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.act(self.conv1(x))
        return self.act(x + self.conv2(y))


class Encoder(nn.Module):
    """Four downscales: [N,3,R,R] -> [N,8*dims,R/16,R/16]."""

    def __init__(self, dims: int, in_ch: int = 3) -> None:
        super().__init__()
        widths = [dims, dims * 2, dims * 4, dims * 8]
        layers: list[nn.Module] = []
        prev = in_ch
        for width in widths:
            layers.append(Downscale(prev, width))
            prev = width
        self.net = nn.Sequential(*layers)
        self.out_ch = prev

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class Inter(nn.Module):
    """Dense bottleneck: [N,C,r,r] -> latent [N,latent] -> [N,out_ch,2r,2r] (r = R/16)."""

    def __init__(self, in_features: int, latent: int, low_res: int, out_ch: int) -> None:
        super().__init__()
        self.low_res, self.out_ch = low_res, out_ch
        self.dense1 = nn.Linear(in_features, latent)
        self.dense2 = nn.Linear(latent, low_res * low_res * out_ch)
        self.up = Upscale(out_ch, out_ch)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        z = self.dense1(feats.flatten(1))  # [N,latent]
        x = self.dense2(z).view(-1, self.out_ch, self.low_res, self.low_res)  # [N,out_ch,r,r]
        return self.up(x)  # [N,out_ch,2r,2r]


class Decoder(nn.Module):
    """Three upscales, each followed by `blocks` residual blocks, to RGB, plus a lighter branch for the learned
    mask. `separable` makes the RGB path's 3x3 convs depthwise-separable; `blocks` deepens it (docs/experiments.md).

    [N,in_ch,R/8,R/8] -> rgb [N,3,R,R], mask [N,1,R,R], both in [0,1].
    """

    def __init__(self, in_ch: int, dims: int, mask_dims: int, separable: bool = False, blocks: int = 1) -> None:
        super().__init__()
        if blocks < 1:
            from faceswap.utils.errors import ConfigError

            raise ConfigError(
                f"dec_blocks={blocks} is below 1", "use at least one block per upscale", param="dec_blocks"
            )
        widths = [dims * 8, dims * 4, dims * 2]
        layers: list[nn.Module] = []
        prev = in_ch
        for width in widths:
            layers += [Upscale(prev, width, separable), *(ResidualBlock(width, separable) for _ in range(blocks))]
            prev = width
        self.rgb_path = nn.Sequential(*layers)
        self.to_rgb = nn.Conv2d(prev, 3, 1)
        mask_widths = [mask_dims * 8, mask_dims * 4, mask_dims * 2]
        mblocks: list[nn.Module] = []
        prev = in_ch
        for width in mask_widths:
            mblocks.append(Upscale(prev, width))
            prev = width
        self.mask_path = nn.Sequential(*mblocks)
        self.to_mask = nn.Conv2d(prev, 1, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        rgb = torch.sigmoid(self.to_rgb(self.rgb_path(x)))  # [N,3,R,R]
        mask = torch.sigmoid(self.to_mask(self.mask_path(x)))  # [N,1,R,R]
        return rgb, mask


def check_resolution(resolution: int) -> int:
    """Generators need R divisible by 16 (four downscales); 64/96/128/256 are the tested ones."""
    from faceswap.utils.errors import ConfigError

    if resolution < 32 or resolution % 16:
        raise ConfigError(
            f"resolution={resolution} is not a multiple of 16 (>= 32)", "use 64, 96, 128 or 256", param="resolution"
        )
    return resolution
