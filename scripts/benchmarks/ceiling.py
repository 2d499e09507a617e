"""The machine's ceiling measured in the same run: the best sustained fp32 GFLOP/s on one core and on all cores,
memory bandwidth, the CPU model and its vector ISA, a CUDA card's bf16/fp32 matmul rate when there is one, and
video decode fps.

The fp32 ceiling is the best of four kernels: torch's matmul (MKL's sgemm in the x86 wheels) at 1024² and 2048²,
and oneDNN's GEMM (a 1x1 convolution) and 3x3 convolution, oneDNN being the library that runs the model's
convolutions. MKL alone understated AMD CPUs: on a 2-core Zen 4 EPYC its sgemm reached 161-193 GFLOP/s while
oneDNN's 3x3 convolution ran at 225-232 (one core: 116, 98 % of 32 FLOP/cycle at 3.7 GHz), so a step measured
against sgemm alone looked closer to the machine's peak than it was (docs/benchmarks.md, "The ceiling, from
the kernels the model uses")."""

from __future__ import annotations

import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

ISA_CAPS = ("ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA", "ATEN_CPU_CAPABILITY", "MKL_ENABLE_INSTRUCTIONS")


def machine_info(device: str) -> dict[str, Any]:
    from faceswap.utils.machine import describe_machine
    from faceswap.utils.memory import ENV

    info: dict[str, Any] = {
        **describe_machine(),
        "torch": torch.__version__,
        "device": device,
        "python": platform.python_version(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "malloc_thresholds": {name: os.environ.get(name) for name in ENV},  # faceswap.utils.memory's, or unset
        # kernel-set caps a run was given (an ISA emulated on a wider CPU: `isa` lists the CPU's own flags)
        "isa_caps": {name: os.environ[name] for name in ISA_CAPS if name in os.environ},
    }
    if device.startswith("cuda") and torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def matmul_gflops(
    device: str = "cpu", n: int = 1024, seconds: float = 2.0, dtype: torch.dtype = torch.float32, threads: int = 0
) -> float:
    """Sustained matrix-multiply rate (GFLOP/s), one of the fp32 ceiling's kernels; `threads` > 0 runs
    the CPU on that many intra-op threads (0 = as set now)."""
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    return 2.0 * n**3 * _calls_per_second(lambda: a @ b, seconds, threads, lambda: _sync(device)) / 1e9


def onednn_gflops(kernel: str, seconds: float = 1.0, threads: int = 0) -> float:
    """Sustained fp32 rate of oneDNN on the CPU, NHWC: "gemm" = a 1x1 convolution, i.e. [4096 px, 1024] x
    [1024, 1024]; "conv3x3" = a 3x3 convolution of 256 channels at 32² on a batch of 8."""
    if kernel == "gemm":
        x, w, pad = torch.randn(1, 1024, 64, 64), torch.randn(1024, 1024, 1, 1), 0  # [N,C,H,W], [Cout,Cin,k,k]
    else:
        x, w, pad = torch.randn(8, 256, 32, 32), torch.randn(256, 256, 3, 3), 1
    x, w = x.contiguous(memory_format=torch.channels_last), w.contiguous(memory_format=torch.channels_last)
    flops = 2.0 * x.shape[0] * x.shape[2] * x.shape[3] * w.numel()  # stride 1, same size out
    return flops * _calls_per_second(lambda: torch.nn.functional.conv2d(x, w, padding=pad), seconds, threads) / 1e9


def fp32_rates(seconds_each: float, threads: int) -> dict[str, float]:
    """GFLOP/s of each ceiling kernel on `threads` threads; the ceiling is their best."""
    return {
        "mm_1024": matmul_gflops("cpu", 1024, seconds_each, threads=threads),
        "mm_2048": matmul_gflops("cpu", 2048, seconds_each, threads=threads),
        "onednn_gemm": onednn_gflops("gemm", seconds_each, threads),
        "onednn_conv3x3": onednn_gflops("conv3x3", seconds_each, threads),
    }


def copy_gbs(threads: int, megabytes: int = 256, seconds: float = 1.0) -> float:
    """All-core memory bandwidth (GB/s read + written) of a tensor copy far larger than any cache: the second
    ceiling of a step whose activations stream through memory (matmul alone cannot tell such machines apart)."""
    src = torch.ones(megabytes * 2**20 // 4)
    dst = torch.empty_like(src)
    return 2 * src.numel() * 4 * _calls_per_second(lambda: dst.copy_(src), seconds, threads) / 1e9


def _calls_per_second(op: Any, seconds: float, threads: int, sync: Any = None) -> float:
    """How often `op` runs per second, sustained over `seconds` after 3 warm-up calls, on `threads` intra-op
    threads (0 = as set now); `sync` waits for an accelerator."""
    before = torch.get_num_threads()
    if threads > 0:
        torch.set_num_threads(threads)
    try:
        for _ in range(3):
            op()
        if sync is not None:
            sync()
        reps, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            op()
            reps += 1
        if sync is not None:
            sync()
        return reps / (time.perf_counter() - start)
    finally:
        torch.set_num_threads(before)


def cpu_ceiling(cpus: int, seconds: float) -> dict[str, Any]:
    """Best fp32 rate of the ceiling kernels on one core and on all cores; the all-core figure is what every
    training utilisation in this benchmark divides by. The matmul-only figures are kept beside it."""
    single = fp32_rates(seconds / 8, 1)
    every = fp32_rates(seconds / 8, cpus)
    return {
        "single_core": round(max(single.values()), 1),
        "all_cores": round(max(every.values()), 1),
        "scaling": round(max(every.values()) / max(single.values()), 2),
        "by_kernel": {k: round(v, 1) for k, v in every.items()},
        "matmul_single_core": round(max(single["mm_1024"], single["mm_2048"]), 1),
        "matmul_all_cores": round(max(every["mm_1024"], every["mm_2048"]), 1),
        "copy_gbs": round(max(copy_gbs(cpus, seconds=seconds / 8) for _ in range(2)), 1),
    }


def cuda_ceiling(seconds: float) -> dict[str, Any]:
    """bf16 and fp32 matmul ceilings of the first CUDA card (8192²), or why there is none."""
    if not torch.cuda.is_available():
        return {"status": "no CUDA device"}
    return {
        "gpu": torch.cuda.get_device_name(0),
        "matmul_tflops_bf16": round(matmul_gflops("cuda", 8192, seconds, torch.bfloat16) / 1e3, 1),
        "matmul_tflops_fp32": round(matmul_gflops("cuda", 8192, seconds, torch.float32) / 1e3, 1),
    }


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
    info = machine_info(device)
    cpu = cpu_ceiling(info["cpus"], 2.0 if quick else 8.0)
    return {
        "machine": info,
        "fp32_ceiling_gflops": cpu["all_cores"],  # all cores: the ceiling every "% of the ceiling" refers to
        "fp32_ceiling_gflops_single_core": cpu["single_core"],
        "fp32_ceiling_core_scaling": cpu["scaling"],
        "fp32_gflops_by_kernel": cpu["by_kernel"],  # all cores
        # torch.mm alone: the ceiling of the runs recorded before oneDNN's kernels joined it
        "matmul_gflops_fp32": cpu["matmul_all_cores"],
        "matmul_gflops_fp32_single_core": cpu["matmul_single_core"],
        "memory_copy_gbs": cpu["copy_gbs"],  # all cores, 256 MB tensors
        "cuda": cuda_ceiling(1.0 if quick else 3.0),
        "decode_fps_512": round(decode_fps(60 if quick else 200), 1),
    }
