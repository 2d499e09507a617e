"""faceswap.commands."""
