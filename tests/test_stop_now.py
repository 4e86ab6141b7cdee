"""SIGTERM is the firmer stop a launcher sends when Ctrl-C (SIGINT) was not enough: the step
in flight is dropped and the last whole step is saved, so the run still resumes exactly."""

from __future__ import annotations

import os
import signal

import torch

from tofy_core.cli.train import resume_trainer, stop_on_signals
from tofy_core.config import ModelConfig, RunConfig, TrainConfig
from tofy_core.data.split import prepare_data
from tofy_core.runs import checkpoint
from tofy_core.runs import folders as runs
from tofy_core.train.trainer import Trainer

STEPS = 12


def config(data) -> RunConfig:
    model = ModelConfig(dim=16, layers=1, heads=2, max_vocab=500)
    train = TrainConfig(
        data=str(data), steps=STEPS, batch=4, log_every=1, checkpoint_every=100, threads=1
    )
    return RunConfig(model, train).validate()


class SignalledMidStep(Trainer):
    """A trainer that gets `signum` from outside while step `at` is in its forward pass."""

    def __init__(self, *args, signum: int, at: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.signum, self.at = signum, at

    def forward_loss(self, batch):
        parts = super().forward_loss(batch)
        if self.step + 1 == self.at:
            os.kill(os.getpid(), self.signum)  # delivered before the next bytecode runs
            parts = super().forward_loss(batch)  # the rest of a long step
        return parts


def stopped_by(signum: int, data, run_id: str) -> runs.RunInfo:
    cfg = config(data)
    trainer = SignalledMidStep(
        runs.create_run(cfg, run_id), cfg, prepare_data(cfg), signum=signum, at=6
    )
    with stop_on_signals(trainer):
        assert trainer.fit() == "stopped"
    return runs.open_run(run_id)


def test_sigint_finishes_the_step_in_flight_and_saves_it(tiny_corpus):
    info = stopped_by(signal.SIGINT, tiny_corpus, "gentle")
    assert checkpoint.read_state(info.file(runs.STATE_FILE)).step == 6
    assert info.status == "stopped" and info.step == 6


def test_sigterm_drops_the_step_in_flight_and_resumes_exactly(tiny_corpus):
    info = stopped_by(signal.SIGTERM, tiny_corpus, "firm")
    assert info.status == "stopped" and info.error == ""
    assert checkpoint.read_state(info.file(runs.STATE_FILE)).step == 5  # step 6 was dropped
    assert info.step == 5

    resumed = resume_trainer(info)
    assert resumed.fit() == "finished"
    cfg = config(tiny_corpus)
    whole = Trainer(runs.create_run(cfg, "whole"), cfg, prepare_data(cfg))
    assert whole.fit() == "finished"
    for (name, a), (_, b) in zip(
        resumed.model.state_dict().items(), whole.model.state_dict().items(), strict=True
    ):
        assert torch.equal(a, b), name  # the dropped step's draws were rewound
