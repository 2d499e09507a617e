"""Networks as plain nn.Modules: generators (`GENERATORS`: df, liae) and discriminators (`DISCRIMINATORS`: patch).

Build them only through `create_generator` / `create_discriminator` (a config's `_target_`); a new network is
one module in this package (registering itself) plus one `configs/model/<name>.yaml`.
"""

from faceswap.models.discriminator import DISCRIMINATORS, PatchDiscriminator, create_discriminator
from faceswap.models.generator import GENERATORS, SwapGenerator, build_generator, create_generator, generator_name

__all__ = [
    "DISCRIMINATORS",
    "GENERATORS",
    "PatchDiscriminator",
    "SwapGenerator",
    "build_generator",
    "create_discriminator",
    "create_generator",
    "generator_name",
]
