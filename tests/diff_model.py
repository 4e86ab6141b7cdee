"""A small model trained on phrases whose words are fixed by their neighbours, shared by the
engine's and the Diff screen's tests, and the run's weights re-saved the way the seed saved
them."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from tofy_core.config import ModelConfig, RunConfig, TrainConfig
from tofy_core.data.split import prepare_data
from tofy_core.runs import folders as runs
from tofy_core.train.trainer import Trainer

# Each phrase's words are fixed by their neighbours, so a small model can learn them.
PHRASES = [
    "alice likes red apples",
    "bob likes green pears",
    "carol eats yellow bananas",
    "dave eats purple grapes",
    "erin drinks hot tea",
    "frank drinks cold milk",
    "grace reads old books",
    "henry reads new comics",
    "ivan plays loud drums",
    "judy plays soft piano",
    "kate paints blue skies",
    "leo paints dark forests",
]
HEADS = 2


def train_run(
    home: Path, corpus: Path, steps: int, run_id: str, train: dict | None = None, **model
) -> runs.RunInfo:
    """Train in-process under `home` (sizes and training settings overridable); returns the
    finished run."""
    sizes = {"dim": 32, "layers": 2, "heads": HEADS, "max_seq": 16, "max_vocab": 200, **model}
    schedule = {
        "data": str(corpus),
        "steps": steps,
        "batch": 16,
        "lr": 3e-3,
        "log_every": 50,
        "eval_every": 10_000,
        "checkpoint_every": 10_000,
        "holdout": 0.0,
        "device": "cpu",
        **(train or {}),
    }
    config = RunConfig(ModelConfig(**sizes), TrainConfig(**schedule)).validate()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: one thread is fastest, and immune to busy cores
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("TOFY_HOME", str(home))
            trainer = Trainer(runs.create_run(config, run_id), config, prepare_data(config))
            assert trainer.fit() == "finished"
    finally:
        torch.set_num_threads(threads)
    return trainer.run


def train_phrases(home: Path, steps: int, run_id: str, **settings) -> runs.RunInfo:
    """The phrases above written under `home` and trained on."""
    corpus = home / "phrases.txt"
    corpus.write_text("\n".join(PHRASES) + "\n", encoding="utf-8")
    return train_run(home, corpus, steps=steps, run_id=run_id, **settings)


def seed_copy(run: runs.RunInfo, folder: Path, change=None) -> Path:
    """The run's weights as the seed wrote them: no metadata, no teacher table, and
    `vocab_latent.txt` beside them."""
    folder.mkdir(parents=True, exist_ok=True)
    tensors = load_file(run.file(runs.MODEL_FILE))
    del tensors["teacher.embed.weight"]
    if change:
        change(tensors)
    path = folder / "model_latent.safetensors"
    save_file(tensors, path)
    (folder / "vocab_latent.txt").write_bytes(run.file(runs.VOCAB_FILE).read_bytes())
    return path
