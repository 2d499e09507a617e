"""faceswap: a GAN face-swap research framework with a built-in detector benchmark."""

__version__ = "0.1.0"
TOOL_NAME = "faceswap"
