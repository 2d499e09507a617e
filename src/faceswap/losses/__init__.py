"""faceswap.losses."""
