"""The swap LightningModule: wires generator, EMA, discriminator and loss terms into a manual G/D step.

Built from config like the lightning-hydra-template's model: `hydra.utils.instantiate(cfg.module)` with the
generator, discriminator and loss terms as nested `_target_` configs and the optimizers as `_partial_`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytorch_lightning as pl
import torch
from torch import nn

from faceswap.losses import GANLoss, GeneratorStep, LossTerm, r1_penalty
from faceswap.models.generator import SwapGenerator
from faceswap.training.ema import ema_beta, make_ema, update_ema
from faceswap.training.phases import PhaseSettings, lr_factor
from faceswap.training.rng import capture_rng, restore_rng
from faceswap.utils.errors import ConfigError, FaceswapError

OptimizerFactory = Callable[..., torch.optim.Optimizer]
Side = dict[str, torch.Tensor]


class TrainingDiverged(FaceswapError):
    """Too many steps had NaN/inf losses or gradients."""


class SwapModule(pl.LightningModule):
    """Manual optimisation (Lightning GAN example): G step, then D step on detached fakes, then EMA.

    Only the G optimizer step goes through Lightning's wrapper, so `global_step` counts generator steps
    whether or not a discriminator is trained. `discriminator=None` (every phase at GAN weight 0) removes
    D and its optimizer entirely; otherwise a phase with GAN weight 0 skips D in its step. `losses` are the
    generator's loss terms by name; the one named `gan` (a GANLoss) also gives the discriminator's loss.
    """

    def __init__(
        self,
        generator: SwapGenerator,
        discriminator: nn.Module | None,
        losses: Mapping[str, LossTerm],
        optimizer_g: OptimizerFactory,
        optimizer_d: OptimizerFactory | None = None,
        ema_halflife_images: float = 500.0,
        ema_rampup: float = 0.05,
        grad_clip: float = 1.0,
        nan_max: int = 20,
        channels_last: bool = False,
        meta: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(ignore=["generator", "discriminator", "losses", "optimizer_g", "optimizer_d"])
        self.automatic_optimization = False
        self.generator, self.ema, self.discriminator = generator, make_ema(generator), discriminator
        self.losses = nn.ModuleDict(dict(losses))
        gan = dict(losses).get("gan")
        if discriminator is not None and not isinstance(gan, GANLoss):
            raise ConfigError("a discriminator needs a GAN loss term named 'gan'", "add the GAN term or drop the GAN")
        self.gan: GANLoss | None = gan if isinstance(gan, GANLoss) else None
        self.optimizer_g, self.optimizer_d = optimizer_g, optimizer_d
        self.ema_halflife_images, self.ema_rampup = float(ema_halflife_images), float(ema_rampup)
        self.grad_clip, self.nan_max, self.channels_last = float(grad_clip), int(nan_max), bool(channels_last)
        self.meta = dict(meta or {})
        self.phase, self.phase_index, self.phase_start = PhaseSettings(), 0, 0
        self.base_lrs: list[float] = []  # the optimizers' configured lr, before any phase factor
        self.samples_seen, self.skipped_steps = 0, 0
        self._held_logs: dict[str, torch.Tensor] = {}  # the latest value of every logged term (training_step)

    @property
    def default_gan_weight(self) -> float:
        """The GAN weight of phases that set none: the GAN term's own weight (0 without a GAN term)."""
        return self.gan.weight if self.gan is not None else 0.0

    # ---- phase handling -------------------------------------------------------------------------
    def set_phase(self, phase: PhaseSettings, index: int, start_step: int) -> None:
        """Apply a phase's overrides that live in the module (freezing; GAN weight, masking and LR factors are read
        from `self.phase` each step)."""
        groups = self.generator.module_groups()
        unknown = set(phase.frozen) - set(groups)
        if unknown:
            raise ConfigError(
                f"phase '{phase.name}' freezes unknown modules {sorted(unknown)}", f"choose from {sorted(groups)}"
            )
        if phase.gan_weight > 0 and self.discriminator is None:
            raise ConfigError(
                f"phase '{phase.name}' has GAN weight {phase.gan_weight} but no discriminator was built",
                "build the module with the full phase plan",
            )
        for name, module in groups.items():
            module.requires_grad_(name not in phase.frozen)
        self.phase, self.phase_index, self.phase_start = phase, index, start_step

    def _set_lrs(self) -> None:
        """lr = the optimizer's configured lr x the phase's factor at this step (D: x SG2ADA's lazy-R1 scaling)."""
        factor = lr_factor(self.phase, self.global_step - self.phase_start + 1)
        opt_g, opt_d = self._optimizers()
        lazy = 1.0
        if self.gan is not None and self.gan.r1_gamma > 0:
            lazy = self.gan.r1_every / (self.gan.r1_every + 1)
        for opt, base, scale in ((opt_g, self.base_lrs[0], 1.0), (opt_d, self.base_lrs[-1], lazy)):
            if opt is not None:
                for group in opt.param_groups:
                    group["lr"] = base * factor * scale

    # ---- optimisers -----------------------------------------------------------------------------
    def configure_optimizers(self) -> Any:
        opt_g = self.optimizer_g(params=list(self.generator.parameters()))
        self.base_lrs = [float(opt_g.param_groups[0]["lr"])]
        if self.discriminator is None or self.optimizer_d is None:
            return opt_g
        opt_d = self.optimizer_d(params=list(self.discriminator.parameters()))
        self.base_lrs.append(float(opt_d.param_groups[0]["lr"]))
        return [opt_g, opt_d]

    def _optimizers(self) -> tuple[Any, Any]:
        opts = self.optimizers()
        if isinstance(opts, list):
            return opts[0], opts[1]
        return opts, None

    def on_fit_start(self) -> None:
        self._held_logs = {}  # a fit (one phase) logs its own terms, as its Trainer's fresh results do
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
        if self.phase.masked:
            return rgb * side["mask"] + side["target"] * (1 - side["mask"])
        return rgb

    def generator_losses(self, batch: dict[str, Side]) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """Every loss term's named values, and the fakes D judges ([2N,3,R,R], pair order)."""
        outputs = [self.generator(batch[key]["input"], slot) for slot, key in enumerate(("a", "b"))]
        fakes = torch.cat([self._d_view(rgb, batch[key]) for (rgb, _), key in zip(outputs, ("a", "b"), strict=True)])
        step = GeneratorStep(
            batch, outputs, fakes, self.generator, self.discriminator, self.phase.masked, self.phase.gan_weight
        )
        terms: dict[str, torch.Tensor] = {}
        for term in self.losses.values():
            terms.update(term.step_terms(step))
        return terms, fakes

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
            raise TrainingDiverged(
                f"training stopped: {self.skipped_steps} steps had NaN/inf losses or gradients (limit {self.nan_max})",
                "lower the learning rates or the GAN weight, or clip gradients harder",
            )
        return False

    def training_step(self, batch: dict[str, Side], batch_idx: int) -> None:
        batch = {k: self._prep(v) for k, v in batch.items()}
        self._set_lrs()
        opt_g, opt_d = self._optimizers()
        use_d = self.phase.gan_weight > 0 and opt_d is not None
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
        self._held_logs |= logs
        if self._logs_written_now():
            self.log_dict(self._held_logs, prog_bar=False, sync_dist=False)
        self.log("loss", logs["train/loss_g"], prog_bar=True, logger=False)

    def _logs_written_now(self) -> bool:
        """Whether this step's values reach a logger or `callback_metrics`: on the loggers' steps and the last
        step of a fit (the losses `summary.json` reports). Each `self.log` call costs Lightning ~0.3 ms of
        bookkeeping, ~4 ms a step for a dozen terms (2 % of a 2-core CPU's 64 px step); `_held_logs` keeps every
        term's latest value (a lazy R1 term stays until replaced, as Lightning keeps it), so the loggers write
        exactly what logging every step wrote."""
        trainer = self.trainer
        if trainer.max_steps >= 0 and trainer.global_step >= trainer.max_steps:
            return True
        return bool(getattr(trainer._logger_connector, "should_update_logs", True))

    def discriminator_step(self, opt_d: Any, batch: dict[str, Side], fakes: torch.Tensor) -> dict[str, torch.Tensor]:
        """D on real targets vs detached fakes, with lazy R1 every `r1_every` steps."""
        assert self.gan is not None and self.discriminator is not None
        self.toggle_optimizer(opt_d)
        real = torch.cat([self._d_view(batch[k]["target"], batch[k]) for k in ("a", "b")])  # [2N,3,R,R]
        lazy_r1 = self.gan.r1_gamma > 0 and self.global_step % self.gan.r1_every == 0
        if lazy_r1:
            real = real.detach().requires_grad_(True)
        real_logits = self.discriminator(real)
        terms = self.gan.discriminator(real_logits, self.discriminator(fakes.detach()))
        if lazy_r1:
            terms["d_r1"] = self.gan.r1_gamma / 2 * r1_penalty(real, real_logits) * self.gan.r1_every
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
            "phase": self.phase.to_dict(),
            "phase_index": int(self.phase_index),
            "phase_start": int(self.phase_start),
            "rng": capture_rng(),
        }

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Restore counters and RNG (the phase comes from the plan and the step, so checkpoints written before the
        stage -> phase rename, with `stage*` keys, resume the same way)."""
        state = checkpoint.get("faceswap_state", {})
        self.samples_seen = int(state.get("samples_seen", 0))
        self.skipped_steps = int(state.get("skipped_steps", 0))
        if "rng" in state:
            restore_rng(state["rng"])
