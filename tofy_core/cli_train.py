"""`tofy train` and `tofy resume`: read data, create or reopen the run folder, train with a
console progress display, and turn Ctrl-C/SIGTERM into a clean `stopped` save."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tofy_core import runs
from tofy_core.cli_args import HelpFormatter, non_negative_int, positive_float, positive_int
from tofy_core.config import ModelConfig, RunConfig, TrainConfig
from tofy_core.errors import TofyError

TRAIN_EPILOG = """examples:
  tofy train                               # the embedded corpus, default sizes
  tofy train chats.txt --steps 2000 --dim 128 --layers 2
  tofy train hub:./my_parquet_folder --name parquet-test
data: a UTF-8 text file, one phrase per line (`context<TAB>response` or `context|||response`
uses the left side), or hub:<dataset id>[@split], or hub:<folder of parquet files>."""


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    defaults, train = ModelConfig(), TrainConfig()
    group = parser.add_argument_group("model")
    group.add_argument("--dim", type=positive_int, default=defaults.dim, help="embedding width")
    group.add_argument("--max-seq", type=positive_int, default=defaults.max_seq, help="tokens")
    group.add_argument("--layers", type=positive_int, default=defaults.layers)
    group.add_argument("--heads", type=positive_int, default=defaults.heads)
    group.add_argument("--max-vocab", type=positive_int, default=defaults.max_vocab)
    group.add_argument(
        "--no-lower", action="store_true", help="keep case (default: lowercase all text)"
    )
    group = parser.add_argument_group("training")
    group.add_argument("--steps", type=positive_int, default=train.steps)
    group.add_argument("--batch", type=positive_int, default=train.batch)
    group.add_argument("--lr", type=positive_float, default=train.lr, help="peak learning rate")
    group.add_argument("--device", choices=("auto", "cpu", "cuda"), default=train.device)
    group.add_argument("--seed", type=int, default=train.seed)
    group.add_argument(
        "--masks-per-seq",
        type=non_negative_int,
        default=train.masks_per_seq,
        help="masked words per phrase; 0 = 15%% of its words (at least one); 1 = the seed",
    )
    group.add_argument(
        "--negatives",
        type=non_negative_int,
        default=train.negatives,
        help="0 = every vocabulary word is a negative; N = N sampled (the seed used 32)",
    )
    group.add_argument("--log-every", type=positive_int, default=train.log_every)
    group.add_argument("--eval-every", type=positive_int, default=train.eval_every)
    group.add_argument("--checkpoint-every", type=positive_int, default=train.checkpoint_every)
    group.add_argument("--compile", action="store_true", help="torch.compile the model")


def add_commands(subparsers) -> None:
    train = subparsers.add_parser(
        "train",
        help="train a new model",
        description="Train a latent (JEPA-style) encoder and save it as a run.",
        epilog=TRAIN_EPILOG,
        formatter_class=HelpFormatter,
    )
    train.add_argument("data", nargs="?", default="", help="data file or hub:<id>")
    add_model_arguments(train)
    train.add_argument("--name", default="", help="a name shown in run lists")
    train.add_argument("--run-id", default=None, help="folder name of the run (default: dated)")
    train.add_argument("--refresh", action="store_true", help="rebuild a cached hub: dataset")
    train.set_defaults(handler=cmd_train)

    resume = subparsers.add_parser(
        "resume",
        help="continue a stopped run",
        description="Continue a stopped or finished run from its last checkpoint.",
        epilog="example:\n  tofy resume 20261129-101500-ab12 --steps 20000",
        formatter_class=HelpFormatter,
    )
    resume.add_argument("run", help="run id, unique id prefix, name or folder")
    resume.add_argument("--steps", type=positive_int, default=None, help="new total step count")
    resume.set_defaults(handler=cmd_resume)


def config_from_args(args: argparse.Namespace) -> RunConfig:
    model = ModelConfig(
        dim=args.dim,
        max_seq=args.max_seq,
        layers=args.layers,
        heads=args.heads,
        max_vocab=args.max_vocab,
        lowercase=not args.no_lower,
    )
    train = TrainConfig(
        data=getattr(args, "data", "") or "",
        steps=args.steps,
        batch=args.batch,
        lr=args.lr,
        device=args.device,
        seed=args.seed,
        name=getattr(args, "name", "") or "",
        log_every=args.log_every,
        eval_every=args.eval_every,
        checkpoint_every=args.checkpoint_every,
        masks_per_seq=args.masks_per_seq,
        negatives=args.negatives,
        compile=args.compile,
    )
    return RunConfig(model, train).validate()


@contextmanager
def stop_on_signals(trainer) -> Iterator[None]:
    """SIGINT/SIGTERM ask the trainer to stop after the current step and save."""

    def handler(signum, _frame):
        if trainer.stop_requested:
            print("\nstill saving, one moment…", file=sys.stderr, flush=True)
        trainer.request_stop()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def run_training(
    config: RunConfig,
    run_id: str | None = None,
    refresh: bool = False,
    init_weights: Path | None = None,
    init_vocab: Path | None = None,
) -> tuple[int, runs.RunInfo]:
    """Prepare data, create the run, train; returns the exit code and the run."""
    from tofy_core.data.vocab import Vocab
    from tofy_core.progress import ConsoleProgress
    from tofy_core.train import Trainer

    if run_id:
        runs.check_run_id(run_id)
    vocab = Vocab.load(init_vocab) if init_vocab else None
    data = load_training_data(config, vocab, refresh)
    if data.corpus.from_cache:
        print(f"using cached dataset {data.corpus.source} ({data.corpus.path})", file=sys.stderr)
    info = runs.create_run(config, run_id)
    trainer = Trainer(info, config, data, listeners=[ConsoleProgress()])
    if init_weights is not None:
        trainer.load_initial_weights(init_weights)
    with stop_on_signals(trainer):
        status = trainer.fit()
    return (1 if status == "failed" else 0), info


def load_training_data(config: RunConfig, vocab=None, refresh: bool = False):
    """The run's data, with a progress line while a hub: dataset is converted."""
    from tofy_core.cli_data import ProgressPrinter
    from tofy_core.train import prepare_data

    printer = ProgressPrinter(f"converting {config.train.data}")
    try:
        return prepare_data(config, vocab=vocab, refresh=refresh, progress=printer)
    finally:
        printer.close()


def cmd_train(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    code, info = run_training(config, args.run_id, refresh=args.refresh)
    print(f"run folder: {info.path}")
    return code


def cmd_resume(args: argparse.Namespace) -> int:
    from tofy_core.data.vocab import Vocab
    from tofy_core.progress import ConsoleProgress
    from tofy_core.train import Trainer

    info = runs.open_run(args.run)
    if info.is_live:
        raise TofyError(f"run {info.run_id} is still training (pid {info.pid})")
    if not info.file(runs.STATE_FILE).is_file():
        raise TofyError(f"run {info.run_id} has no saved state to resume from")
    config = runs.read_config(info)
    if args.steps is not None:
        config.train.steps = args.steps
    config.validate()
    vocab = Vocab.load(info.file(runs.VOCAB_FILE))
    data = load_training_data(config, vocab)
    trainer = Trainer(info, config, data, listeners=[ConsoleProgress()])
    trainer.resume_from_files()
    if trainer.step >= config.train.steps:
        raise TofyError(
            f"run {info.run_id} is already at step {trainer.step} of {config.train.steps}: "
            "pass --steps with a larger total to train further"
        )
    info.status, info.pid, info.error, info.steps = "running", _pid(), "", config.train.steps
    runs.atomic_write_json(info.file(runs.CONFIG_FILE), config.to_dict())
    runs.write_info(info)
    with stop_on_signals(trainer):
        status = trainer.fit()
    print(f"run folder: {info.path}")
    return 1 if status == "failed" else 0


def _pid() -> int:
    import os

    return os.getpid()
