"""Common base of the swap generators: the `generator(x, target) -> (rgb, mask)` contract and its registry."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from faceswap.utils.errors import ConfigError
from faceswap.utils.registry import Registry

GENERATORS: Registry[type[SwapGenerator]] = Registry("generator architecture")


class SwapGenerator(nn.Module):
    """A two-identity autoencoder; subclasses build the networks and implement `decode_slot`.

    `identities` names the two slots in order [A, B]; `forward` takes the target identity by name.
    `config` holds the constructor arguments as a plain dict so an export can rebuild the network.
    """

    arch: str = ""

    def __init__(self, resolution: int, identities: Sequence[str], **kwargs: Any) -> None:
        super().__init__()
        identities = [str(i) for i in identities]
        if len(identities) != 2 or identities[0] == identities[1]:
            raise ConfigError(
                f"a swap generator needs two different identities, got {identities}", "set data.pair=[a,b]"
            )
        self.resolution = int(resolution)
        self.identities = identities
        self.config: dict[str, Any] = {"arch": self.arch, "resolution": self.resolution, **kwargs}

    def slot(self, target: str | int) -> int:
        """Slot index (0 = A, 1 = B) of a target identity name, or the index itself."""
        if isinstance(target, int) and target in (0, 1):
            return target
        if target in self.identities:
            return self.identities.index(str(target))
        raise ConfigError(f"unknown target identity {target!r}", f"choose one of {self.identities}")

    def decode_slot(self, x: torch.Tensor, slot: int) -> tuple[torch.Tensor, torch.Tensor]:  # pragma: no cover
        raise NotImplementedError

    def forward(self, x: torch.Tensor, target: str | int) -> tuple[torch.Tensor, torch.Tensor]:
        """x [N,3,R,R] in [0,1] -> (rgb [N,3,R,R] in [0,1], mask [N,1,R,R] in [0,1]) as `target`."""
        if x.ndim != 4 or x.shape[1] != 3 or x.shape[-1] != self.resolution or x.shape[-2] != self.resolution:
            raise ValueError(f"expected [N,3,{self.resolution},{self.resolution}], got {list(x.shape)}")
        return self.decode_slot(x, self.slot(target))

    def module_groups(self) -> dict[str, nn.Module]:
        """Named parts that finetuning can keep, re-initialise or freeze (encoder, inter, decoder_b, ...)."""
        return dict(self.named_children())


def build_generator(config: dict[str, Any], identities: Sequence[str]) -> SwapGenerator:
    """Rebuild a generator from the plain `config` dict an export stores (registry lookup, no imports)."""
    import faceswap.models.df
    import faceswap.models.liae  # noqa: F401  (registers the architectures)

    config = dict(config)
    arch = config.pop("arch")
    return GENERATORS.get(arch)(identities=identities, **config)
