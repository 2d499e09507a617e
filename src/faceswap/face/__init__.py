"""faceswap.face."""
