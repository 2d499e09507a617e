"""faceswap.bench."""
