"""Speed benchmarks, one module per area, each exposing `run(quick: bool, device: str) -> dict`."""
