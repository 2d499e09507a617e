"""faceswap.swap."""
