"""`reenact`: expression reenactment (FF++ "Face2Face"): the target keeps its identity while another person's
video drives its expression and mouth; the mouth interior comes from the driver. No checkpoint. Leaves
mouth-interior and temporal inconsistencies with the identity unchanged.
"""

from __future__ import annotations

from faceswap.synth.families.reenact import ReenactOptions, Reenactor
from faceswap.synth.methods.base import register_manipulation
from faceswap.synth.methods.driven import DrivenMethod


@register_manipulation("reenact")
class ReenactMethod(DrivenMethod):
    options_type = ReenactOptions
    renderer_type = Reenactor
    kind = "expression reenactment"
