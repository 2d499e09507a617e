"""faceswap.utils."""
