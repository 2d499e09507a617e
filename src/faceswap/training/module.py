"""The swap LightningModule: wires generator, EMA, discriminator and losses into a manual G/D step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytorch_lightning as pl
import torch
from torch import nn

from faceswap.losses import GANLoss, ReconstructionLoss, r1_penalty
from faceswap.models.generator import SwapGenerator
from faceswap.training.ema import ema_beta, make_ema, update_ema
from faceswap.training.rng import capture_rng, restore_rng
from faceswap.training.settings import StageSettings, lr_factor
from faceswap.utils.errors import ConfigError, FaceswapError

OptimizerFactory = Callable[..., torch.optim.Optimizer]
Side = dict[str, torch.Tensor]


class SwapModule(pl.LightningModule):
    """Manual optimisation (Lightning GAN example): G step, then D step on detached fakes, then EMA.

    Only the G optimizer step goes through Lightning's wrapper, so `global_step` counts generator steps
    whether or not a discriminator is trained. `discriminator=None` (every stage at gan_weight 0) removes
    D and its optimizer entirely; otherwise a stage with gan_weight 0 skips D in its step.
    """

    def __init__(
        self,
        generator: SwapGenerator,
        discriminator: nn.Module | None,
        reconstruction: ReconstructionLoss,
        gan: GANLoss,
        optimizer_g: OptimizerFactory,
        optimizer_d: OptimizerFactory | None = None,
        ema_halflife_images: float = 2000.0,
        ema_rampup: float = 0.05,
        grad_clip: float = 1.0,
        nan_max: int = 20,
        r1_gamma: float = 0.0,
        r1_every: int = 16,
        channels_last: bool = False,
        cycle_weight: float = 0.0,
        cycle_samples: int = 2,
        meta: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.automatic_optimization = False
        self.generator, self.ema, self.discriminator = generator, make_ema(generator), discriminator
        self.reconstruction, self.gan = reconstruction, gan
        self.optimizer_g, self.optimizer_d = optimizer_g, optimizer_d
        self.ema_halflife_images, self.ema_rampup = ema_halflife_images, ema_rampup
        self.grad_clip, self.nan_max = grad_clip, nan_max
        self.r1_gamma, self.r1_every, self.channels_last = r1_gamma, max(1, r1_every), channels_last
        self.cycle_weight, self.cycle_samples = cycle_weight, max(1, cycle_samples)
        self.meta = dict(meta or {})
        self.stage, self.stage_index, self.stage_start = StageSettings(), 0, 0
        self.samples_seen, self.skipped_steps = 0, 0

    # ---- stage handling -------------------------------------------------------------------------
    def set_stage(self, stage: StageSettings, index: int, start_step: int) -> None:
        """Apply a stage's overrides that live in the module (freezing, GAN weight, masking, LRs)."""
        groups = self.generator.module_groups()
        unknown = set(stage.frozen) - set(groups)
        if unknown:
            raise ConfigError(
                f"stage '{stage.name}' freezes unknown modules {sorted(unknown)}", f"choose from {sorted(groups)}"
            )
        if stage.gan_weight > 0 and self.discriminator is None:
            raise ConfigError(
                f"stage '{stage.name}' has gan_weight {stage.gan_weight} but no discriminator was built",
                "build the module with the full stage plan",
            )
        for name, module in groups.items():
            module.requires_grad_(name not in stage.frozen)
        self.reconstruction.masked = stage.masked
        self.stage, self.stage_index, self.stage_start = stage, index, start_step

    def _set_lrs(self) -> None:
        factor = lr_factor(self.stage, self.global_step - self.stage_start + 1)
        opt_g, opt_d = self._optimizers()
        for group in opt_g.param_groups:
            group["lr"] = self.stage.lr_g * factor
        if opt_d is not None:
            lazy = self.r1_every / (self.r1_every + 1) if self.r1_gamma > 0 else 1.0  # SG2ADA lazy-reg scaling
            for group in opt_d.param_groups:
                group["lr"] = self.stage.lr_d * factor * lazy

    # ---- optimisers -----------------------------------------------------------------------------
    def configure_optimizers(self) -> Any:
        opt_g = self.optimizer_g(params=list(self.generator.parameters()))
        if self.discriminator is None or self.optimizer_d is None:
            return opt_g
        return [opt_g, self.optimizer_d(params=list(self.discriminator.parameters()))]

    def _optimizers(self) -> tuple[Any, Any]:
        opts = self.optimizers()
        if isinstance(opts, list):
            return opts[0], opts[1]
        return opts, None

    def on_fit_start(self) -> None:
        if self.channels_last:
            self.generator.to(memory_format=torch.channels_last)
            if self.discriminator is not None:
                self.discriminator.to(memory_format=torch.channels_last)

    # ---- the step -------------------------------------------------------------------------------
    def _prep(self, side: Side) -> Side:
        if self.channels_last:
            return {k: v.contiguous(memory_format=torch.channels_last) for k, v in side.items()}
        return side

    def _d_view(self, rgb: torch.Tensor, side: Side) -> torch.Tensor:
        """What D judges: with masked training only the face is generated, the rest is the real target."""
        if self.stage.masked:
            return rgb * side["mask"] + side["target"] * (1 - side["mask"])
        return rgb

    def generator_losses(self, batch: dict[str, Side]) -> tuple[dict[str, torch.Tensor], list[torch.Tensor]]:
        """Per-term G losses summed over both sides, and the fakes (for D) in pair order."""
        terms: dict[str, torch.Tensor] = {}
        fakes = []
        for slot, key in enumerate(("a", "b")):
            side = batch[key]
            rgb, mask = self.generator(side["input"], slot)  # [N,3,R,R], [N,1,R,R]
            for name, value in self.reconstruction(
                rgb, mask, side["target"], side["mask"], side["eyes"], side["mouth"]
            ).items():
                terms[name] = terms.get(name, 0.0) + value
            fakes.append(self._d_view(rgb, side))
        if self.stage.gan_weight > 0:
            logits = self.discriminator(torch.cat(fakes))  # [2N,1,h,w]
            terms["g_gan"] = self.stage.gan_weight * self.gan.generator(logits)
        if self.cycle_weight > 0:
            terms["loss_cycle"] = self.cycle_weight * self.cycle_loss(batch)
        return terms, fakes

    def cycle_loss(self, batch: dict[str, Side]) -> torch.Tensor:
        """A -> B -> A on a few faces a side: the swap must keep the pose and expression its source decoder needs.

        The only training signal that ever sees a swap; the swap is pasted into the source crop under the
        target mask, as the swap stage pastes it, before it goes back through the source's decoder.
        """
        total = torch.zeros((), device=batch["a"]["target"].device)
        for slot, key in enumerate(("a", "b")):
            side = {k: v[: self.cycle_samples] for k, v in batch[key].items()}
            swap_rgb, _ = self.generator(side["input"], 1 - slot)  # [k,3,R,R]
            pasted = swap_rgb * side["mask"] + side["target"] * (1 - side["mask"])
            back_rgb, back_mask = self.generator(pasted, slot)  # [k,3,R,R], [k,1,R,R]
            terms = self.reconstruction(back_rgb, back_mask, side["target"], side["mask"])
            total = total + sum(v for k, v in terms.items() if k != "loss_mask")
        return total

    def _guarded_step(self, optimizer: Any, loss: torch.Tensor, params: list[nn.Parameter], raw: bool) -> bool:
        """Backward, clip and step unless the loss or the gradients are NaN/inf; returns whether it stepped."""
        optimizer.zero_grad(set_to_none=True)
        if not torch.isfinite(loss):
            return self._skip(optimizer)
        self.manual_backward(loss)
        with_grad = [p for p in params if p.grad is not None]
        norm = torch.nn.utils.clip_grad_norm_(with_grad, self.grad_clip if self.grad_clip > 0 else float("inf"))
        if not torch.isfinite(norm):
            return self._skip(optimizer)
        (optimizer.optimizer if raw else optimizer).step()
        return True

    def _skip(self, optimizer: Any) -> bool:
        optimizer.zero_grad(set_to_none=True)
        self.skipped_steps += 1
        self.log("train/skipped_steps", float(self.skipped_steps))
        if self.skipped_steps >= self.nan_max:
            raise FaceswapError(
                f"training stopped: {self.skipped_steps} steps had NaN/inf losses or gradients"
                f" (train.nan_max={self.nan_max})",
                "lower the learning rates (train.lr_g / train.lr_d) or the GAN weight, or raise train.grad_clip",
            )
        return False

    def training_step(self, batch: dict[str, Side], batch_idx: int) -> None:
        batch = {k: self._prep(v) for k, v in batch.items()}
        self._set_lrs()
        opt_g, opt_d = self._optimizers()
        use_d = self.stage.gan_weight > 0 and opt_d is not None
        if use_d:
            self.toggle_optimizer(opt_g)
        terms, fakes = self.generator_losses(batch)
        loss_g = sum(terms.values())
        stepped = self._guarded_step(opt_g, loss_g, list(self.generator.parameters()), raw=False)
        if use_d:
            self.untoggle_optimizer(opt_g)
        logs = {f"train/{k}": v.detach() for k, v in terms.items()} | {"train/loss_g": loss_g.detach()}
        if stepped and use_d:
            logs |= self.discriminator_step(opt_d, batch, fakes)
        if stepped:
            n = batch["a"]["input"].shape[0]
            beta = ema_beta(n, self.ema_halflife_images, self.samples_seen, self.ema_rampup)
            update_ema(self.ema, self.generator, beta)
            self.samples_seen += n * self.trainer.world_size
        logs["train/lr_g"] = torch.tensor(opt_g.param_groups[0]["lr"])
        self.log_dict(logs, prog_bar=False, sync_dist=False)
        self.log("loss", logs["train/loss_g"], prog_bar=True, logger=False)

    def discriminator_step(
        self, opt_d: Any, batch: dict[str, Side], fakes: list[torch.Tensor]
    ) -> dict[str, torch.Tensor]:
        """D on real targets vs detached fakes, with lazy R1 every `r1_every` steps."""
        self.toggle_optimizer(opt_d)
        real = torch.cat([self._d_view(batch[k]["target"], batch[k]) for k in ("a", "b")])  # [2N,3,R,R]
        fake = torch.cat(fakes).detach()
        lazy_r1 = self.r1_gamma > 0 and self.global_step % self.r1_every == 0
        if lazy_r1:
            real = real.detach().requires_grad_(True)
        real_logits = self.discriminator(real)
        terms = self.gan.discriminator(real_logits, self.discriminator(fake))
        if lazy_r1:
            terms["d_r1"] = self.r1_gamma / 2 * r1_penalty(real, real_logits) * self.r1_every
        loss_d = sum(terms.values())
        self._guarded_step(opt_d, loss_d, list(self.discriminator.parameters()), raw=True)
        self.untoggle_optimizer(opt_d)
        return {f"train/{k}": v.detach() for k, v in terms.items()} | {"train/loss_d": loss_d.detach()}

    # ---- checkpoint state -----------------------------------------------------------------------
    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["faceswap_meta"] = self.meta
        checkpoint["faceswap_state"] = {
            "samples_seen": int(self.samples_seen),
            "skipped_steps": int(self.skipped_steps),
            "stage": self.stage.to_dict(),
            "stage_index": int(self.stage_index),
            "stage_start": int(self.stage_start),
            "rng": capture_rng(),
        }

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        state = checkpoint.get("faceswap_state", {})
        self.samples_seen = int(state.get("samples_seen", 0))
        self.skipped_steps = int(state.get("skipped_steps", 0))
        if "rng" in state:
            restore_rng(state["rng"])
