"""faceswap.models."""
