"""faceswap.provenance."""
