"""Speed benchmarks, one module per area, each exposing `run(quick: bool, device: str) -> dict`.

Importing the package sets the process up as `faceswap` does before its first tensor (glibc keeps freed memory
mapped: `faceswap.utils.memory`), so every area and standalone script times what the CLI runs.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))  # a checkout without `pip install -e`
from faceswap.utils.memory import retain_freed_memory

retain_freed_memory()
