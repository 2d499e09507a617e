"""Which machine a timing came from: CPU model, generation, vector ISA and CPU count, recorded beside every
figure faceswap writes (pipeline.json, budget.json, train summary.json, scripts/benchmark.py).

The same code runs 2x slower on some 2-core machines than on others (issue #21), and `lscpu` names every EPYC
generation of these VMs "AMD EPYC", so the model name alone does not say which machine a number came from:
family/model/stepping and the vector extensions do.
"""

from __future__ import annotations

import functools
import platform
import statistics
import subprocess
import time
from pathlib import Path
from typing import TypedDict

import torch

from faceswap.utils.threads import available_cpus

ISA_FLAGS = {"AVX2": "avx2", "AVX-512": "avx512f", "AVX-512 BF16": "avx512_bf16", "AMX": "amx_tile"}
CPUINFO = Path("/proc/cpuinfo")


class MachineInfo(TypedDict):
    cpu: str  # lscpu's Model name
    cpu_id: str  # vendor, family, model, stepping
    cpus: int  # CPUs this process may use (affinity, cgroup quota)
    isa: list[str]  # vector extensions in ISA_FLAGS the CPU reports
    torch_capability: str  # the kernel set torch dispatches to (AVX2, AVX512, ...)


def _cpuinfo() -> str:
    try:
        return CPUINFO.read_text()
    except OSError:
        return ""


def _first_processor(cpuinfo: str) -> dict[str, str]:
    """The `key: value` lines of the first processor's block."""
    fields: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        if not line.strip() and fields:
            break
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    return fields


def cpu_model() -> str:
    """`lscpu`'s Model name, else /proc/cpuinfo's model name, else what Python knows."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return _first_processor(_cpuinfo()).get("model name") or platform.processor() or platform.machine()


def cpu_id(cpuinfo: str | None = None) -> str:
    """Vendor, family, model and stepping of the first CPU, e.g. "AuthenticAMD family 25 model 17 stepping 1"."""
    fields = _first_processor(_cpuinfo() if cpuinfo is None else cpuinfo)
    named = {"vendor_id": "", "cpu family": "family ", "model": "model ", "stepping": "stepping "}
    return " ".join(prefix + fields[key] for key, prefix in named.items() if fields.get(key)) or "unknown"


def vector_isa(cpuinfo: str | None = None) -> list[str]:
    """The vector extensions of ISA_FLAGS that the first CPU's flags list."""
    flags = set(_first_processor(_cpuinfo() if cpuinfo is None else cpuinfo).get("flags", "").split())
    return [name for name, flag in ISA_FLAGS.items() if flag in flags]


@functools.cache
def _cpu_facts() -> tuple[str, str, tuple[str, ...], str]:
    """What cannot change while the process runs, read once: one lscpu call and one read of /proc/cpuinfo."""
    text = _cpuinfo()
    capability = torch.backends.cpu.get_cpu_capability() if hasattr(torch.backends, "cpu") else "unknown"
    return cpu_model(), cpu_id(text), tuple(vector_isa(text)), capability


def describe_machine() -> MachineInfo:
    cpu, ident, isa, capability = _cpu_facts()
    return MachineInfo(cpu=cpu, cpu_id=ident, cpus=available_cpus(), isa=list(isa), torch_capability=capability)


def native_bf16(info: MachineInfo | None = None) -> bool:
    """Whether the CPU computes bf16 in hardware (AVX-512 BF16 or AMX). Without it, bf16 autocast on the CPU
    runs through conversions: 14x slower than fp32 for the 64 px GAN step (docs/benchmarks.md)."""
    isa = (info or describe_machine())["isa"]
    return "AVX-512 BF16" in isa or "AMX" in isa


def bf16_conv_speedup(repeats: int = 7) -> float:
    """How many times faster a 3x3 convolution of the 64 px model's width runs under bf16 autocast than in fp32
    on this CPU (median of adjacent pairs: a VM's clock drifts). bf16 hardware is not bf16 speed: 1.4-1.7x on
    Zen 4/5 (AVX-512 BF16), 0.62x on a Xeon with AVX-512 BF16 but no AMX (docs/benchmarks.md)."""
    x = torch.randn(4, 128, 32, 32).contiguous(memory_format=torch.channels_last)  # [N,C,H,W]
    conv = torch.nn.Conv2d(128, 128, 3, padding=1).to(memory_format=torch.channels_last)

    def seconds(bf16: bool) -> float:
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            start = time.perf_counter()
            conv(x)
            return time.perf_counter() - start

    seconds(False), seconds(True)  # oneDNN builds each kernel on its first call
    return statistics.median(seconds(False) / seconds(True) for _ in range(repeats))


def machine_line(info: MachineInfo) -> str:
    """One line for a table title: "2 CPUs, AMD EPYC (AuthenticAMD family 25 model 17 stepping 1), AVX512"."""
    return f"{info['cpus']} CPUs, {info['cpu']} ({info['cpu_id']}), {info['torch_capability']}"
