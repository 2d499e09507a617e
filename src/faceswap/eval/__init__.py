"""faceswap.eval."""
