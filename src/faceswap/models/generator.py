"""Common base of the swap generators: the `generator(x, target) -> (rgb, mask)` contract, registry and factory.

`create_generator(name, identities, **kwargs)` is the one way to build a generator: configs call it through
`_target_: faceswap.models.create_generator` with `name:`, and exports rebuild through it (`build_generator`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from faceswap.utils.errors import ConfigError
from faceswap.utils.registry import Registry

GENERATORS: Registry[type[SwapGenerator]] = Registry("generator", package="faceswap.models")


class SwapGenerator(nn.Module):
    """A two-identity autoencoder; subclasses build the networks and implement `decode_slot`.

    `identities` names the two slots in order [A, B]; `forward` takes the target identity by name.
    `config` holds the registered name and the constructor arguments as a plain dict, so an export can
    rebuild the network with `build_generator(config, identities)`.
    """

    def __init__(self, resolution: int, identities: Sequence[str], **kwargs: Any) -> None:
        super().__init__()
        identities = [str(i) for i in identities]
        if len(identities) != 2 or identities[0] == identities[1]:
            raise ConfigError(
                f"a swap generator needs two different identities, got {identities}", "name two different people"
            )
        self.resolution = int(resolution)
        self.identities = identities
        self.config: dict[str, Any] = {"name": self.name, "resolution": self.resolution, **kwargs}

    @property
    def name(self) -> str:
        """The registered name (the class name for an unregistered subclass)."""
        return GENERATORS.name_of(self) or type(self).__name__

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


def create_generator(name: str, identities: Sequence[str] = ("a", "b"), **kwargs: Any) -> SwapGenerator:
    """Build the generator registered as `name` (`df`, `liae`, ...) for the identities [A, B]."""
    return GENERATORS.get(name)(identities=identities, **kwargs)


def build_generator(config: dict[str, Any], identities: Sequence[str]) -> SwapGenerator:
    """Rebuild a generator from the plain `config` dict an export stores (`name`, or `arch` in older exports)."""
    config = dict(config)
    name = config.pop("name", None) or config.pop("arch")
    config.pop("arch", None)
    return create_generator(name, identities, **config)


def generator_name(meta: dict[str, Any], default: str = "?") -> str:
    """The registered generator name an export's meta records (older exports call it `arch`)."""
    model = meta.get("model") or {}
    return str(model.get("name") or model.get("arch") or default)
