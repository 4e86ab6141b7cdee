"""`tofy train` and `tofy resume`: read data, create or reopen the run folder, train with a
console progress display, and turn Ctrl-C/SIGTERM into a clean `stopped` save."""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from tofy_core import paths
from tofy_core.cli.args import HelpFormatter, positive_int
from tofy_core.cli.argv import add_train_arguments, config_from_args, presets_help
from tofy_core.cli.console import ConsoleProgress, ProgressPrinter
from tofy_core.cli.resume_data import (
    check_same_data,
    data_fingerprint,
    refuse_changed_file,
    resumable_source,
)
from tofy_core.config import RunConfig, TrainConfig, check_processes
from tofy_core.data.split import prepare_data
from tofy_core.data.vocab import Vocab
from tofy_core.errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    CheckpointError,
    TofyError,
)
from tofy_core.runs import folders as runs
from tofy_core.runs import tensorboard
from tofy_core.runs.files import refuse_link
from tofy_core.train.preflight import (
    absolute_source,
    check_data_source,
    check_device,
)

if TYPE_CHECKING:
    from tofy_core.train.distributed import World

TRAIN_EPILOG = """examples:
  tofy train                               # the embedded corpus, the quick preset (~1 minute)
  tofy train chats.txt --steps 2000 --dim 128 --layers 2
  tofy train chats.txt --preset base --threads 2
  tofy train hub:./my_parquet_folder --name parquet-test
data: a UTF-8 text file, one phrase per line (`context<TAB>response` or `context|||response`
uses the left side), or hub:<dataset id>[@split], or hub:<folder of parquet files>.
exit status: 0 finished, 1 failed (NaN loss or an error during training), 2 bad input,
130 stopped by Ctrl-C/SIGTERM (saved: `tofy resume ID` continues it)."""


def add_commands(subparsers) -> None:
    train = subparsers.add_parser(
        "train",
        help="train a new model",
        description="Train a latent (JEPA-style) encoder and save it as a run.",
        epilog=TRAIN_EPILOG + "\n" + presets_help(),
        formatter_class=HelpFormatter,
    )
    add_train_arguments(train)
    train.set_defaults(handler=cmd_train)

    resume = subparsers.add_parser(
        "resume",
        help="continue a stopped run",
        description="Continue a stopped or finished run from its last checkpoint.",
        epilog="example:\n  tofy resume 20261129-101500-ab12 --steps 20000",
        formatter_class=HelpFormatter,
    )
    resume.add_argument("run", help="run id, unique id prefix, name or folder")
    resume.add_argument(
        "--steps",
        type=positive_int,
        default=None,
        help="a new total step count: the run continues as a new schedule phase (learning-rate "
        "warm-up and decay, EMA ramp) from where it is (default: the run's own total, exactly)",
    )
    resume.add_argument(
        "--data",
        default=None,
        metavar="PATH",
        help="where the run's data file is now, if it moved; it must hold the same text "
        "(checked by size and sha256) (default: the path the run recorded)",
    )
    resume.add_argument(
        "--tensorboard",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also write TensorBoard event files into the run folder's tensorboard/ from now "
        "on (--no-tensorboard: stop) (default: as the run was started)",
    )
    resume.set_defaults(handler=cmd_resume)


@contextmanager
def stop_on_signals(trainer) -> Iterator[None]:
    """SIGINT asks the trainer to stop after the current step and save it; SIGTERM (a
    launcher's second, firmer request) also drops the step in flight and saves the last
    whole one. Nothing is printed here: the console may be a pipe whose reader is gone."""

    def handler(signum, _frame):
        trainer.request_stop(now=signum == signal.SIGTERM)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            # after a stop the process only reports and exits: a further Ctrl-C must not
            # land in an exit handler as a KeyboardInterrupt traceback
            stopping = trainer.stop_requested and sig == signal.SIGINT
            signal.signal(sig, signal.SIG_IGN if stopping else old)


def run_training(
    config: RunConfig,
    run_id: str | None = None,
    refresh: bool = False,
    init_weights: Path | None = None,
    init_vocab: Path | None = None,
) -> tuple[int, runs.RunInfo]:
    """Check and build everything that can fail (device, data, model, initial weights), then
    create the run folder and train; returns the exit code and the run. A failure before the
    folder exists leaves nothing behind; one after it ends the run `failed`."""
    from tofy_core.train import distributed
    from tofy_core.train.trainer import Trainer

    check_device(config.train.device)
    check_data_source(config.train.data)
    config.train.data = absolute_source(config.train.data)
    world = distributed.current()
    check_processes(config.train, world.size)
    if config.train.tensorboard:
        tensorboard.check_available()
    info = runs.plan_run(config, run_id)
    if world.active:  # every process trains into the run rank 0 planned
        chosen = distributed.broadcast_text(info.run_id)
        name = config.train.name or chosen
        info = dataclasses.replace(info, run_id=chosen, path=paths.runs_dir() / chosen, name=name)
    vocab = Vocab.load(init_vocab) if init_vocab else None
    # before the corpus is read: a bad checkpoint is one line at once, not after tokenizing
    from tofy_core.runs import checkpoint  # torch: only a command that trains pays for it

    start = checkpoint.load_weights(init_weights) if init_weights is not None else None
    data = load_training_data(config, vocab, refresh)
    if data.corpus.from_cache and world.is_main:
        print(f"using cached dataset {data.corpus.source} ({data.corpus.path})", file=sys.stderr)
    config.train.data_bytes, config.train.data_sha256 = data_fingerprint(data.corpus)
    config.model.vocab_size = len(data.vocab)
    listeners = _progress(world) + _tensorboard(world, config.train, info)
    trainer = Trainer(info, config, data, listeners=listeners)
    if start is not None:
        trainer.load_initial_weights(start, init_weights)
    with stop_on_signals(trainer):
        if world.is_main:
            runs.make_run_folder(info, config)
        status = trainer.fit()
    if world.is_main:
        print_next_step(status, info)
    return exit_code(status), info


def _progress(world: World) -> list:
    """The console display, shown by rank 0 alone."""
    return [ConsoleProgress()] if world.is_main else []


def _tensorboard(world: World, train: TrainConfig, info: runs.RunInfo) -> list:
    """TensorBoard's event files, with `--tensorboard`: written by rank 0 alone."""
    if not (train.tensorboard and world.is_main):
        return []
    return [tensorboard.TensorBoardWriter(info.file(tensorboard.FOLDER))]


def load_training_data(config: RunConfig, vocab=None, refresh: bool = False):
    """The run's data, with a progress line while a hub: dataset is converted. Under torchrun
    rank 0 reads (and caches) it first, then the others read the cache."""
    from tofy_core.train import distributed

    world = distributed.current()
    if not world.is_main:
        distributed.barrier()
    printer = ProgressPrinter(f"converting {config.train.data}") if world.is_main else None
    scan = ProgressPrinter("tokenizing (once)", unit="bytes") if world.is_main else None
    try:
        data = prepare_data(config, vocab=vocab, refresh=refresh, progress=printer, scan=scan)
    finally:
        for shown in (printer, scan):
            if shown is not None:
                shown.close()
        if world.is_main:
            distributed.barrier()
    if world.is_main:
        print(cache_line(data.corpus), file=sys.stderr)
    return data


def cache_line(corpus) -> str:
    """What the token cache did for this start, in one line (and why it rebuilt, if so)."""
    lookup = getattr(corpus, "tokens", None)
    if lookup is None:
        return "tokens: read in memory"
    name = lookup.entry.folder.name
    if lookup.cached:
        return f"tokens: cached ({lookup.seconds:.2f}s lookup, token cache {name})"
    text = f"tokens: tokenized into the token cache in {lookup.seconds:.1f}s ({name})"
    if lookup.rebuilt_because:
        text = f"token cache {name} was damaged ({lookup.rebuilt_because}): rebuilt; " + text
    return text


def cmd_train(args: argparse.Namespace) -> int:
    from tofy_core.train import distributed

    config = config_from_args(args)
    with distributed.session(config.train.device) as world:
        code, info = run_training(config, args.run_id, refresh=args.refresh)
    if world.is_main:
        print(f"run folder: {info.path}")
        print_tensorboard(info)
    return code


def exit_code(status: str) -> int:
    """The process's exit status for how the run ended (listed in `tofy train --help`)."""
    return {"failed": EXIT_FAILED, "stopped": EXIT_INTERRUPTED}.get(status, 0)


def print_tensorboard(info: runs.RunInfo) -> None:
    folder = info.file(tensorboard.FOLDER)
    if folder.is_dir():
        print(f"TensorBoard:  tensorboard --logdir {folder}")


def print_next_step(status: str, info: runs.RunInfo) -> None:
    """The command a user wants next: resume a stopped run, probe a finished one."""
    if status == "stopped":
        print(f"stopped and saved; continue with:  tofy resume {info.run_id}", file=sys.stderr)
    elif status == "finished":
        print(f"probe it with:  tofy diff {info.run_id}")


def resume_trainer(
    info: runs.RunInfo,
    steps: int | None = None,
    data: str | None = None,
    listeners: list | None = None,
    tensorboard_files: bool | None = None,
):
    """A Trainer that continues `info` from its last checkpoint, on the same data (checked by
    size and sha256; `data` says where a moved file is now). `steps`, a new total, makes the
    rest a new schedule phase; without it the run continues exactly. `tensorboard_files`
    turns TensorBoard files on or off (None: as the run recorded). Only once every check
    has passed is the run marked running and its new config written."""
    from tofy_core.train import distributed
    from tofy_core.train.trainer import Trainer

    world = distributed.current()
    if info.is_live and world.is_main:  # the others may already see rank 0's own pid
        raise TofyError(f"run {info.run_id} is still training (pid {info.pid})")
    for name in (runs.STATE_FILE, runs.MODEL_FILE, runs.VOCAB_FILE):
        refuse_link(info.file(name))
    if not info.file(runs.STATE_FILE).is_file():
        raise TofyError(f"run {info.run_id} has no saved state to resume from")
    saved = runs.checkpoint_step(info)
    if saved is None:
        raise CheckpointError(
            f"{info.file(runs.STATE_FILE)} is not a readable training state (truncated?): "
            "the run cannot resume"
        )
    config = runs.read_config(info)
    if steps is not None:
        config.train.extend(saved, steps)
    if tensorboard_files is not None:
        config.train.tensorboard = tensorboard_files
    if config.train.tensorboard:
        tensorboard.check_available()
    # an imported run's recorded data is whatever it was first resumed on: --data may change it
    moved_on = data is not None and not config.train.data and "imported_from" in info.extra
    config.train.data = resumable_source(info, config.train.data, data)
    check_device(config.train.device)
    config.validate()
    check_processes(config.train, world.size)
    vocab = Vocab.load(info.file(runs.VOCAB_FILE))
    refuse_changed_file(info, config.train, moved_on)
    loaded = load_training_data(config, vocab)
    check_same_data(info, config.train, loaded.corpus, moved_on)
    listeners = (listeners or []) if world.is_main else []
    listeners += _tensorboard(world, config.train, info)
    trainer = Trainer(info, config, loaded, listeners=listeners)
    try:
        trainer.resume_from_files()  # takes the run's lock: a second trainer stops here
        if trainer.step >= config.train.steps:
            raise TofyError(
                f"run {info.run_id} is already at step {trainer.step} of {config.train.steps}: "
                "pass --steps with a larger total to train further"
            )
    except BaseException:
        trainer.session.release()
        raise
    info.status, info.pid, info.error, info.steps = "running", os.getpid(), "", config.train.steps
    info.dataset = config.train.data or "(default corpus)"
    if world.is_main:  # after the Trainer: every rank has read the config by now (DDP's sync)
        runs.write_config(info, config)
        runs.write_info(info)
    return trainer


def _resume_and_fit(info: runs.RunInfo, args: argparse.Namespace) -> str:
    """Resume and train; the trainer (and its DDP wrapper) is gone when this returns, before
    the process group closes: a wrapper outliving its group aborts the process at exit."""
    trainer = resume_trainer(
        info, args.steps, args.data, [ConsoleProgress()], tensorboard_files=args.tensorboard
    )
    with stop_on_signals(trainer):
        return trainer.fit()


def cmd_resume(args: argparse.Namespace) -> int:
    from tofy_core.train import distributed

    info = runs.open_run(args.run)
    with distributed.session(runs.read_config(info).train.device) as world:
        status = _resume_and_fit(info, args)
    if world.is_main:
        print(f"run folder: {info.path}")
        print_tensorboard(info)
        print_next_step(status, info)
    return exit_code(status)
