"""faceswap.training."""
