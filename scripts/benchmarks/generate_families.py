"""Generation speed per manipulation family: frames/s of each method's `fake_frames` on 512x512 video.

Two synthetic talking-head clips (the embedded photos, 512 px) are tracked once (not timed); every method
in `MANIPULATIONS` then makes the fakes of clip a with clip b as its driver. `fps` is target frames per
second of the method alone (frame in, fake frame + mask out, no cropping or PNG writing); `setup_s` is its
one-time cost (loading a generator, reading the driver frames). ae_swap / ae_swap_liae use generators with
the default config's widths at 64 px, random weights (speed only). sbi is timed on 128 px real crops.
Each method runs twice (once with --quick); the faster run is reported (a shared machine slows some runs).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np


def _clips(root: Path, n: int) -> dict[str, list]:
    """Tracked frames (TargetFrame) of a 512 px clip per identity."""
    from faceswap.data.sample_clip import load_sample_photo, synthesize_clip
    from faceswap.face.detect import create_face_detector
    from faceswap.face.landmarks import create_landmarker
    from faceswap.media.video import VideoWriter
    from faceswap.synth.targets import video_targets

    detector, landmarker = create_face_detector("dlib_hog"), create_landmarker("dlib68")
    out = {}
    for seed, (ident, photo) in enumerate((("a", "astronaut"), ("b", "grace_hopper"))):
        path = root / ident / "clip.mp4"
        path.parent.mkdir(parents=True)
        with VideoWriter(path, fps=25) as writer:
            for image in synthesize_clip(load_sample_photo(photo), n, 512, 25.0, seed=seed):
                writer.write(image)
        out[ident] = list(video_targets(path, ident, detector, landmarker))
    return out


def _generators(root: Path) -> dict[str, Path]:
    from faceswap.models.generator import build_generator
    from faceswap.training.export import generator_meta, save_generator

    paths = {}
    for arch in ("df", "liae"):
        config = {"name": arch, "resolution": 64, "enc_dims": 32, "latent_dims": 128, "inter_dims": 128}
        generator = build_generator({**config, "dec_dims": 32, "mask_dims": 16}, ["a", "b"])
        paths[arch] = save_generator(root / arch / "generator.pt", generator, generator_meta(generator))
    return paths


def _time_method(name: str, clips: dict[str, list], checkpoints: dict[str, Path]) -> dict[str, Any]:
    from faceswap.synth.crops import crop_matrix, warp_image, warp_points
    from faceswap.synth.methods import MANIPULATIONS, Context, create_manipulation

    cls = MANIPULATIONS.get(name)
    options: dict[str, Any] = {}
    if name.startswith("ae_swap"):
        options = {"checkpoint": str(checkpoints["liae" if name.endswith("liae") else "df"]), "mask": "hull"}
    context = Context(["a", "b"], lambda ident, limit: iter(clips[ident][:limit]), batch_size=8)
    start = time.perf_counter()
    method = create_manipulation(name, context=context, **options)
    frames = clips["a"]
    if cls.space == "crop":
        rng = np.random.default_rng(0)
        mats = [crop_matrix(tf.landmarks, 128) for tf in frames]
        crops = [
            (warp_image(tf.image, m, 128), warp_points(tf.landmarks, m)) for tf, m in zip(frames, mats, strict=True)
        ]
        setup = time.perf_counter() - start
        start = time.perf_counter()
        for crop, lm in crops:
            method.fake_crop(crop, lm, rng)
    else:
        method.fake_frames(frames[:1])  # driver pools are read on the first frame: part of the setup
        setup = time.perf_counter() - start
        start = time.perf_counter()
        for i in range(0, len(frames), 8):
            method.fake_frames(frames[i : i + 8])
    seconds = time.perf_counter() - start
    return {"fps": round(len(frames) / seconds, 1), "setup_s": round(setup, 2), "frames": len(frames)}


def run(quick: bool = False, device: str = "cpu") -> dict[str, Any]:
    from faceswap.synth.methods import MANIPULATIONS

    n = 25 if quick else 100
    out: dict[str, Any] = {"video": f"{n} frames 512x512 @25 fps per identity (synthetic clips of the sample photos)"}
    with tempfile.TemporaryDirectory(prefix="faceswap-gen-speed-") as tmp:
        root = Path(tmp)
        clips, checkpoints = _clips(root, n), _generators(root)
        for name in MANIPULATIONS.names():
            runs = [_time_method(name, clips, checkpoints) for _ in range(1 if quick else 2)]
            out[name] = max(runs, key=lambda r: r["fps"])
    return out


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
