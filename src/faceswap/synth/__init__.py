"""faceswap.synth."""
