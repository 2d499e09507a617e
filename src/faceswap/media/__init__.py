"""faceswap.media."""
