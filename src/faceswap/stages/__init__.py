"""faceswap.stages."""
