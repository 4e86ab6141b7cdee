"""The encoder, the latent model and its loss. Knows nothing of files."""
