"""Test helper (not a test module): sample clips, a matching face-set manifest and an untrained generator.

Everything `faceswap generate` reads, in the run-directory layout, built in a few seconds.
"""

from __future__ import annotations

import json
from pathlib import Path

from faceswap.data.sample_clip import load_sample_photo, synthesize_clip
from faceswap.face.detect import create_face_detector
from faceswap.face.landmarks import create_landmarker
from faceswap.media.video import VideoWriter
from faceswap.models.generator import build_generator
from faceswap.synth.targets import video_targets
from faceswap.training.export import generator_meta, save_generator

TINY_DF = {
    "name": "df",
    "resolution": 64,
    "enc_dims": 8,
    "latent_dims": 32,
    "inter_dims": 16,
    "dec_dims": 8,
    "mask_dims": 4,
}
PHOTOS = {"a": "astronaut", "b": "grace_hopper"}


def write_run_inputs(run_dir: Path, frames: int = 12, size: int = 192) -> dict[str, Path]:
    """collect/<id>/clip.mp4, faces/<id>/manifest.jsonl (landmarks only) and finetune/generator.pt."""
    detector, landmarker = create_face_detector("dlib_hog"), create_landmarker("dlib68")
    for seed, (ident, photo) in enumerate(PHOTOS.items()):
        clip = run_dir / "collect" / ident / "clip.mp4"
        clip.parent.mkdir(parents=True, exist_ok=True)
        with VideoWriter(clip, fps=12) as writer:
            for image in synthesize_clip(load_sample_photo(photo), frames, size, 12.0, seed=seed):
                writer.write(image)
        rows = [
            {
                "file": f"{tf.frame_index:06d}.png",
                "mask": f"masks/{tf.frame_index:06d}.png",
                "identity": ident,
                "source": "clip.mp4",
                "source_kind": "video",
                "frame_index": tf.frame_index,
                "timestamp": tf.timestamp,
                "landmarks": tf.landmarks.tolist(),
                "landmarks_crop": [],
                "matrix": [],
            }
            for tf in video_targets(clip, ident, detector, landmarker, detect_every=3)
        ]
        faces = run_dir / "faces" / ident
        faces.mkdir(parents=True, exist_ok=True)
        (faces / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    generator = build_generator(dict(TINY_DF), ["a", "b"])
    ckpt = run_dir / "finetune" / "generator.pt"
    ckpt.parent.mkdir(parents=True, exist_ok=True)
    save_generator(ckpt, generator, generator_meta(generator))
    return {"run_dir": run_dir, "checkpoint": ckpt}
