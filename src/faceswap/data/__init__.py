"""faceswap.data."""
