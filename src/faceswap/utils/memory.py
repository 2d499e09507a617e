"""Keep freed heap memory in the process instead of handing it back to the kernel after every op.

A training step allocates and frees the same tensors every step (a 64 px step: ~2,300 ops on activations of
up to 4 MB). glibc's malloc serves blocks above a moving threshold (128 KiB at start, at most 32 MiB) with
fresh `mmap`s and hands free memory at the heap's top back once it exceeds twice that threshold; depending on
the order of earlier frees, a process can settle where the kernel zeroes and maps thousands of pages again
every step. On a 2-core Zen 5 VM some bare-loop processes ran at 3,000-4,500 page faults a 64 px step (one at
25,000 a 128 px step) and others at 400; the faulting ones ran up to 20 % slower. Fixed thresholds keep the
step's memory mapped in every process: the sample pipeline took 2.5 million page faults before and 0.5 million
after, in the same time (147 against 150 s, within run-to-run spread), with 250 MB more peak RSS and the same
weights bit for bit (docs/benchmarks.md, "A fourth kind": "Page faults"). Up to `TRIM_BYTES` of free memory
stays mapped.

Child processes (DataLoader workers, eval workers) start a fresh interpreter, so the same settings go to them
through glibc's environment variables. A user's own `MALLOC_TRIM_THRESHOLD_` / `MALLOC_MMAP_THRESHOLD_` win.
"""

from __future__ import annotations

import ctypes
import os
import platform

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
M_MMAP_THRESHOLD = -3
TRIM_BYTES = 1 << 30  # free memory kept at the heap's top (1 GiB)
MMAP_BYTES = 256 << 20  # blocks at least this large still get their own mmap (256 MiB)
ENV = {"MALLOC_TRIM_THRESHOLD_": TRIM_BYTES, "MALLOC_MMAP_THRESHOLD_": MMAP_BYTES}


def on_glibc() -> bool:
    """Linux with glibc: the only C library whose malloc these thresholds tune."""
    return platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


def retain_freed_memory() -> bool:
    """Set glibc's trim and mmap thresholds for this process and its children; False where it does not apply
    (not glibc, or the user set either variable)."""
    if not on_glibc():
        return False
    if any(name in os.environ for name in ENV):
        return False  # the user's setting, already applied by glibc at start-up
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    if not (mallopt(M_MMAP_THRESHOLD, MMAP_BYTES) and mallopt(M_TRIM_THRESHOLD, TRIM_BYTES)):
        return False
    os.environ.update({name: str(value) for name, value in ENV.items()})
    return True
