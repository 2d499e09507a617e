"""Training: config -> objects (build), the phase loop (loop), the LightningModule with EMA, previews, export."""
