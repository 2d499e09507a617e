"""faceswap.postprocess."""
