"""`mesh_swap`: the graphics-based swap (FF++ "FaceSwap"): the partner's face texture warped onto the target's
landmark mesh, colour-matched and blended. No learning, no checkpoint. Leaves blending seams, texture
warping and lighting mismatch, and a visible identity change.

TEMPLATE for a new manipulation method. Adding one takes exactly two files:

1. `src/faceswap/synth/methods/<name>.py` (this file): a `Manipulation` subclass decorated with
   `@register_manipulation("<name>")`. The package imports every module in its folder, so nothing else
   needs to import it. The registered name is the method's only name: it is the `family` written on every
   fake, the default `method` name, the config file's name and what `generate.methods` lists.
2. `configs/manipulation/<name>.yaml`: `<name>:` followed by the keyword arguments of `__init__` below
   (everything but `context`). Add the name to the `manipulation:` list in `configs/base.yaml` so the
   options load and can be overridden (`manipulation.<name>.<key>=...`); a test fails until you do.

Then `faceswap generate 'generate.methods=[...,<name>]'` runs it, and the tests parametrized over
`MANIPULATIONS` (tests/test_synth_methods.py) check it on the embedded sample: it writes labelled crops
with masks and `family`, and its fakes change pixels only inside their mask.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np

# The library code of the family (pure functions, no config): here the mesh warp and blend.
from faceswap.synth.families.mesh_swap import MeshSwapOptions, mesh_swap
from faceswap.synth.families.mouth import canonical_shapes, nearest_shape

# Manipulation: the base class. Context: identities, their frames (drivers), device, batch size, seed.
# Fake: one fake frame (FakeFrame: image [H,W,3] uint8 + blend mask [H,W] float32, frame px) with the
# identity it took from and extra per-sample fields for the index.
from faceswap.synth.methods.base import Context, Fake, Manipulation, register_manipulation
from faceswap.synth.methods.drivers import DriverFrame, mirrored, pose_pool
from faceswap.synth.targets import TargetFrame


@register_manipulation("mesh_swap")  # the registry entry; also sets `MeshSwapMethod.family = "mesh_swap"`
class MeshSwapMethod(Manipulation):
    # "frame": fake_frames() returns whole frames + frame-space masks; the builder crops them exactly like
    # the real (same matrix), may publish them as an mp4, and tests check pixels change only inside the
    # mask. "crop" methods (see sbi.py) implement fake_crop() on the real crop instead and are not published.
    space = "frame"

    def __init__(
        self,
        context: Context,  # always first, always given by generate (not a config key)
        method: str | None = None,  # the `method` name in the index; null = the family name. Set it to keep
        # two configurations of one family apart (or use `variants` in the config, which sets it for you)
        pool_size: int = 32,  # driver frames of the partner identity kept (evenly spread) to pick poses from
        options: dict[str, Any] | None = None,  # MeshSwapOptions fields (colour transfer, blender, feather...)
        mirror: bool = True,  # also pick from the pool's mirror images: a frontal or opposite-turned source
        # stretched onto a turned target smeared its temple (and hair) from temple to eye on real footage
    ) -> None:
        super().__init__(context, method)  # sets self.context, self.name and an empty self.record
        self.opts = MeshSwapOptions(**(options or {}))  # bad option names/values fail here, before any frame
        self.pool_size, self.mirror = int(pool_size), bool(mirror)
        self._pools: dict[str, tuple[list[DriverFrame], np.ndarray]] = {}  # partner -> (pool, canonical shapes)
        # record: what the index stores under methods[<name>] and on every fake of this method. Put every
        # setting that changes the fakes here, so a dataset says how it was made.
        self.record = {
            "kind": "graphics swap",
            "options": asdict(self.opts),
            "pool_size": self.pool_size,
            "mirror": self.mirror,
        }

    def _pool(self, identity: str) -> tuple[list[DriverFrame], np.ndarray]:
        """Face regions of `identity`'s frames (context.frames_of reads them once: face set or tracked video)
        and their shapes in mean-face units [M,68,2] for nearest-pose picking, both made once."""
        if identity not in self._pools:
            pool = pose_pool(self.context.frames_of(identity, None), self.pool_size)
            pool = pool + [mirrored(d) for d in pool] if self.mirror else pool
            self._pools[identity] = pool, canonical_shapes(np.stack([d.frame_landmarks for d in pool]))
        return self._pools[identity]

    # fake_frames: called with consecutive target frames (video by video, in frame order; a chunk may span
    # two videos). Return one Fake per frame, or None where the method makes no fake for that frame.
    # Never modify tf.image. Stateful methods reset their state when tf.video_id changes (see driven.py).
    def fake_frames(self, frames: list[TargetFrame]) -> list[Fake | None]:
        out: list[Fake | None] = []
        for tf in frames:
            partner = self.context.partner(tf.identity)  # the OTHER identity gives the face
            pool, shapes = self._pool(partner)
            source = pool[nearest_shape(tf.landmarks, shapes)]  # nearest pose
            fake = mesh_swap(source.image, source.landmarks, tf.image, tf.landmarks, self.opts)
            # fields: per-sample record entries; say which driver frame made this fake
            fields = {
                "driver_video": source.video_id,
                "driver_frame": source.frame_index,
                "driver_mirrored": source.mirrored,
            }
            out.append(Fake(fake, partner, fields))
        return out
