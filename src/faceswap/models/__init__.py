"""Networks as plain nn.Modules: generators (`df`, `liae`) and the PatchGAN discriminator."""

from faceswap.models.discriminator import PatchDiscriminator
from faceswap.models.generator import GENERATORS, SwapGenerator, build_generator

__all__ = ["GENERATORS", "PatchDiscriminator", "SwapGenerator", "build_generator"]
