"""`mouth`: mouth-only manipulation (FF++ "NeuralTextures", Wav2Lip-style lip-sync fakes): only the mouth
region is re-rendered from another person's video, while the published video keeps the target's original
audio, so lips and sound disagree. No checkpoint. Leaves local mouth texture and a lip-sync mismatch.
"""

from __future__ import annotations

from faceswap.synth.families.mouth import MouthOptions, MouthReplacer
from faceswap.synth.methods.base import register_manipulation
from faceswap.synth.methods.driven import DrivenMethod


@register_manipulation("mouth")
class MouthMethod(DrivenMethod):
    options_type = MouthOptions
    renderer_type = MouthReplacer
    kind = "mouth replacement"
