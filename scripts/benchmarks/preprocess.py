"""Preprocessing speed: end-to-end decode -> detect/track -> 68 landmarks -> align 128 px -> masks -> PNG writes
on a 512x512 talking-head clip with the default (offline dlib) backends, with `preprocess.workers` 1 and 2 (the
video pool: segments tracked in worker processes), and, on the same frames, the network time of face-alignment's
sfd + fan2d path (random weights: only the speed is measured) and the ratio.

    python scripts/benchmarks/preprocess.py                 # synthetic 512 px sample clip
    python scripts/benchmarks/preprocess.py --video my.mp4  # any clip you have (measured by hand)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np


def make_clip(folder: Path, frames: int, size: int = 512) -> Path:
    from faceswap.data.sample_clip import load_sample_photo, synthesize_clip
    from faceswap.media.video import VideoWriter

    clip = folder / "clip.mp4"
    with VideoWriter(clip, fps=25, crf=18) as writer:
        for frame in synthesize_clip(load_sample_photo("astronaut"), frames, size, 25.0, seed=7):
            writer.write(frame)
    return clip


def default_smoothing() -> dict[str, float]:
    """The One-Euro settings of configs/command/preprocess.yaml, so the benchmark measures the defaults."""
    from omegaconf import OmegaConf

    from faceswap.cli import config_dir

    cfg = OmegaConf.load(config_dir() / "command" / "preprocess.yaml")
    return dict(OmegaConf.to_container(cfg.track.smoothing))


def _cpu_seconds() -> float:
    """CPU time of this process (all threads) and of its finished children (the pool's workers, once joined)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def time_default_path(
    video: Path, work: Path, max_frames: int | None, detect_every: int = 5, workers: int = 1
) -> dict[str, Any]:
    """The preprocess job exactly as `faceswap preprocess` runs it (defaults of configs/command/preprocess.yaml)."""
    from faceswap.data.preprocess_job import JobSettings, run_job
    from faceswap.data.sources import video_rows
    from faceswap.face.detect import create_face_detector
    from faceswap.face.extract import FaceExtractor
    from faceswap.face.landmarks import create_landmarker
    from faceswap.utils.io import write_jsonl

    collect_dir = work / f"w{workers}" / "collect" / "x"
    collect_dir.mkdir(parents=True, exist_ok=True)
    write_jsonl(
        collect_dir / "manifest.jsonl", video_rows("x", video.resolve(), str(video.resolve()), max_frames=max_frames)
    )
    detector, landmarker = create_face_detector("dlib_hog"), create_landmarker("dlib68")
    settings = JobSettings(
        identity="x",
        collect_dir=collect_dir,
        out_dir=work / f"w{workers}" / "faces" / "x",
        fingerprint="bench",
        config_hash="bench",
        detect_every=detect_every,
        smoothing=default_smoothing(),
        workers=workers,
        backend_specs=({"name": "dlib_hog"}, {"name": "dlib68"}),  # rebuilt in each worker process
        extra={"face_type": "full", "size": 128},
    )
    cpu_start = _cpu_seconds()  # robust to other load on the machine
    summary = run_job(settings, detector, landmarker, FaceExtractor(size=128))
    cpu = _cpu_seconds() - cpu_start
    return {
        "workers": workers,
        "cpu_seconds": round(cpu, 3),
        "frames_per_cpu_second": round(summary["frames"] / cpu, 2) if cpu > 0 else None,
        "frames": summary["frames"],
        "faces": summary["faces"],
        "seconds": summary["seconds"],
        "fps": summary["fps"],
        "jitter_raw": summary["jitter_raw"],
        "jitter_smoothed": summary["jitter_smoothed"],
        "dropped": summary["dropped"],
    }


def time_face_alignment(video: Path, frames: int) -> dict[str, Any]:
    """sfd on the full frame + FAN-4 on the 256 px face crop, per frame, random weights (forward passes only)."""
    import torch
    from face_alignment.detection.sfd.net_s3fd import s3fd
    from face_alignment.models import FAN

    from faceswap.media.video import read_video

    torch.set_num_threads(2)
    sfd, fan = s3fd().eval(), FAN(4).eval()
    images = [f.image for f in read_video(video, max_frames=frames)]
    with torch.no_grad():
        sfd(torch.zeros(1, 3, 64, 64))
        fan(torch.zeros(1, 3, 256, 256))  # warm-up
        start, cpu_start = time.perf_counter(), time.process_time()
        for image in images:
            x = torch.from_numpy(image.transpose(2, 0, 1).astype(np.float32))[None] - 117.0
            sfd(x)
            fan(torch.rand(1, 3, 256, 256))
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    return {
        "frames": len(images),
        "seconds": round(seconds, 3),
        "fps": round(len(images) / seconds, 3),
        "cpu_seconds": round(cpu, 3),
        "frames_per_cpu_second": round(len(images) / cpu, 4),
    }


def run(quick: bool = False, device: str = "cpu", video: str | None = None) -> dict[str, Any]:
    frames = 60 if quick else 250
    fa_frames = 2 if quick else 8
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        clip = Path(video) if video else make_clip(work, frames)
        ours = time_default_path(clip, work, None if video else frames)
        pooled = time_default_path(clip, work, None if video else frames, workers=2)  # includes starting the pool
        fa = time_face_alignment(clip, fa_frames)
    from faceswap.media.video import probe

    info = probe(clip) if video else None
    return {
        "clip": video or f"synthetic 512x512 sample ({frames} frames)",
        "size": f"{info.width}x{info.height}" if info else "512x512",
        "default_dlib_fps": ours["fps"],
        "default_dlib": ours,
        "workers_2_fps": pooled["fps"],
        "workers_2": pooled,
        "workers_2_speedup": round(pooled["fps"] / ours["fps"], 2) if ours["fps"] and pooled["fps"] else None,
        "face_alignment_sfd_fan2d_fps": fa["fps"],
        "face_alignment_sfd_fan2d": fa,
        "speedup_vs_face_alignment": round(ours["fps"] / fa["fps"], 1) if fa["fps"] else None,
        "speedup_vs_face_alignment_cpu_time": round(ours["frames_per_cpu_second"] / fa["frames_per_cpu_second"], 1)
        if fa["frames_per_cpu_second"]
        else None,
        "load_average_1min": round(os.getloadavg()[0], 2),
        "target_fps": 60,
        "meets_target": bool(ours["fps"] and ours["fps"] >= 60),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--video", default=None)
    args = parser.parse_args()
    print(json.dumps(run(args.quick, video=args.video), indent=2))
