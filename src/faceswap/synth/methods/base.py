"""The manipulation-method registry: one file per family in this package, one config per family in
`configs/manipulation/`, one construction path `create_manipulation(name, context=..., **options)`.

A manipulation turns target frames (RGB frame + 68 landmarks) into fakes. Frame-space methods return the
whole manipulated frame and its blend mask in frame px (the builder crops both with the real's crop
matrix and can publish the frames as a video); crop-space methods (`sbi`) work on the real crop itself.
The registered name is the family: it is written as `family` on every fake, `name` (default: the
family) as `method`. See `mesh_swap.py` for a commented template of a new method.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np

from faceswap.synth.fakes import FakeFrame
from faceswap.synth.targets import TargetFrame
from faceswap.utils.errors import FaceswapError
from faceswap.utils.registry import Registry

MANIPULATIONS: Registry[type[Manipulation]] = Registry("manipulation method")


class MethodUnavailable(FaceswapError):
    """A method cannot run here (e.g. its checkpoint is missing) and asked to be skipped, not to fail the run."""


@dataclass
class Context:
    """What a generate run gives every method: the identities swapped and a way to read anyone's frames."""

    identities: list[str]  # identities whose media are manipulated, each into its partner
    # frames_of(identity, max_per_video): that identity's consecutive frames with landmarks, video by video
    # (drivers and sources of the training-free families); max_per_video=None reads every frame
    frames_of: Callable[[str, int | None], Iterable[TargetFrame]]
    device: str = "cpu"
    batch_size: int = 8
    seed: int = 0

    def partner(self, identity: str) -> str:
        """The other identity whose face/motion goes into `identity`'s video: the next one in the list."""
        if identity not in self.identities:
            raise FaceswapError(f"identity '{identity}' is not being manipulated", "list it in the identities")
        if len(self.identities) < 2:
            raise FaceswapError("a manipulation needs two identities", "give two identities", param="identities")
        return self.identities[(self.identities.index(identity) + 1) % len(self.identities)]

    def pick(self, options: list[str], key: str) -> str:
        """A stable seeded choice among `options` for `key` (e.g. the driver video of a target video)."""
        return sorted(options)[zlib.crc32(f"{self.seed}:{key}".encode()) % len(options)]


@dataclass(frozen=True)
class Fake:
    """One fake frame plus what the index records about how it was made."""

    frame: FakeFrame  # image [H,W,3] uint8 and blend mask [H,W] float32 in [0,1], frame px
    source_identity: str  # whose face (swaps) or motion (reenact, mouth) went into the fake
    fields: dict[str, Any] = field(default_factory=dict)  # per-sample record fields, e.g. the driver frame


class Manipulation:
    """Base of every method. Subclasses set `space` and implement `fake_frames` (frame) or `fake_crop` (crop)."""

    family: ClassVar[str] = ""  # set by `register_manipulation`: the registered name
    space: ClassVar[Literal["frame", "crop"]] = "frame"

    def __init__(self, context: Context, method: str | None = None) -> None:
        self.context = context
        self.name = str(method or self.family)  # the `method` written in the index (variants rename it)
        self.record: dict[str, Any] = {}  # settings written under index["methods"][name] and on each fake

    def fake_frames(self, frames: list[TargetFrame]) -> list[Fake | None]:
        """Fakes of consecutive target frames (None: no fake for that frame). Frames arrive video by video."""
        raise NotImplementedError(f"{type(self).__name__} is a {self.space}-space method")

    def fake_crop(
        self, crop: np.ndarray, landmarks: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Crop-space fake of a real crop [S,S,3] with its landmarks [68,2] -> (image [S,S,3], mask [S,S])."""
        raise NotImplementedError(f"{type(self).__name__} is a {self.space}-space method")

    def describe(self) -> dict[str, Any]:
        """The entry of index["methods"]: family, space and the method's settings."""
        return {"family": self.family, "space": self.space, **self.record}


def register_manipulation(name: str) -> Callable[[type[Manipulation]], type[Manipulation]]:
    """Class decorator: register under `name`, which also becomes the class's `family`."""

    def decorator(cls: type[Manipulation]) -> type[Manipulation]:
        cls.family = name
        return MANIPULATIONS.register(name)(cls)

    return decorator


def create_manipulation(name: str, *, context: Context, **options: Any) -> Manipulation:
    """The one way to build a method: registry lookup, then the class with its config's options."""
    cls = MANIPULATIONS.get(name)
    try:
        return cls(context, **options)
    except TypeError as exc:
        if "argument" not in str(exc):
            raise
        raise FaceswapError(f"manipulation '{name}': {exc}", "give only the options its class accepts") from exc
