"""Losses as their own module: reconstruction terms, GAN objectives, the cycle term (each a `LossTerm`)."""

from faceswap.losses.base import GeneratorStep, LossTerm
from faceswap.losses.cycle import CycleLoss
from faceswap.losses.gan import GAN_KINDS, GANLoss, r1_penalty
from faceswap.losses.reconstruction import ReconstructionLoss, dssim

__all__ = [
    "GAN_KINDS",
    "CycleLoss",
    "GANLoss",
    "GeneratorStep",
    "LossTerm",
    "ReconstructionLoss",
    "dssim",
    "r1_penalty",
]
