"""Training: the swap LightningModule, EMA, stage runner, checkpoints, previews and export."""
