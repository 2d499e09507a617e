"""faceswap: a GAN face-swap research framework with a built-in detector benchmark."""

import os

# albumentations checks online for a newer release on import; a research tool runs offline by default.
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

__version__ = "0.1.0"
TOOL_NAME = "faceswap"
