"""Stage 1, fine-tuning: data and prompts, the objectives (CE, DCO, DCO-step), the unit stream and its
confidence filter, the training loop and its checkpoints."""
