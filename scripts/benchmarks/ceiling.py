"""The machine's ceiling measured in the same run: fp32 matmul GFLOP/s and video decode fps."""

from __future__ import annotations

import platform
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch


def machine_info(device: str) -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {
        "cpu": cpu,
        "cores": torch.get_num_threads(),
        "torch": torch.__version__,
        "device": device,
        "python": platform.python_version(),
    }
    if device.startswith("cuda") and torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def matmul_gflops(device: str = "cpu", n: int = 1024, seconds: float = 2.0) -> float:
    """Sustained fp32 matrix-multiply rate (GFLOP/s), the yardstick for model FLOP utilisation."""
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    for _ in range(3):
        a @ b
    _sync(device)
    reps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        a @ b
        reps += 1
    _sync(device)
    elapsed = time.perf_counter() - start
    return 2.0 * n**3 * reps / elapsed / 1e9


def decode_fps(frames: int = 120, size: int = 512) -> float:
    """Decode rate of a synthetic 512x512 H.264 clip with PyAV: the ceiling for any video stage."""
    import av

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "clip.mp4"
        with av.open(str(path), "w") as container:
            stream = container.add_stream("libx264", rate=25)
            stream.width = stream.height = size
            stream.pix_fmt = "yuv420p"
            rng = np.random.default_rng(0)
            base = rng.integers(0, 255, (size, size, 3), dtype=np.uint8)
            for i in range(frames):
                frame = av.VideoFrame.from_ndarray(np.roll(base, i, axis=1), format="rgb24")
                container.mux(stream.encode(frame))
            container.mux(stream.encode())
        start = time.perf_counter()
        with av.open(str(path)) as container:
            count = sum(1 for f in container.decode(video=0) if f.to_ndarray(format="rgb24") is not None)
        return count / (time.perf_counter() - start)


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def run(quick: bool = False, device: str = "cpu") -> dict[str, Any]:
    return {
        "machine": machine_info(device),
        "matmul_gflops_fp32": round(matmul_gflops(device, seconds=1.0 if quick else 3.0), 1),
        "decode_fps_512": round(decode_fps(60 if quick else 200), 1),
    }
