"""Losses as their own module: reconstruction terms and GAN objectives."""

from faceswap.losses.gan import GAN_KINDS, GANLoss, r1_penalty
from faceswap.losses.reconstruction import ReconstructionLoss, dssim

__all__ = ["GAN_KINDS", "GANLoss", "ReconstructionLoss", "dssim", "r1_penalty"]
