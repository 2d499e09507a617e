"""faceswap.bench.detectors."""
