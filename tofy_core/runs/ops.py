"""What a user does to a run besides training it: rename it, export it under the seed's file
names, and import a seed-format checkpoint as a new run that diff and resume can use.
Shared by `tofy rename/export/import` and the TUI's Models screen."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from tofy_core import paths
from tofy_core.config import RunConfig, TrainConfig
from tofy_core.errors import CheckpointError, TofyError
from tofy_core.fsutil import atomic_write_bytes
from tofy_core.runs import folders as runs
from tofy_core.runs import tensorboard as tb
from tofy_core.runs.seed_format import SEED_MODEL_FILE, SEED_VOCAB_FILE


class ExportExistsError(TofyError):
    """The export would overwrite files; `paths` says which."""

    def __init__(self, message: str, paths: list[Path]) -> None:
        super().__init__(message)
        self.paths = paths


class HeadsNeededError(TofyError):
    """A seed file does not record its attention heads: the user must give them."""


def rename_run(ref: str, name: str) -> runs.RunInfo:
    """Give a run a new display name (its id and folder stay): not empty, not another run's
    name or id, and not while its trainer runs (it rewrites run.json itself)."""
    name = runs.check_run_name(name)
    if not name:
        raise TofyError("a run's name cannot be empty")
    info = runs.open_run(ref)
    runs.check_name_free(name, but=info.run_id)
    if info.is_live:
        raise TofyError(f"run {info.run_id} is training (pid {info.pid}): stop it to rename it")
    with runs.lock_run(info.path, info.run_id):  # no trainer may start and rewrite run.json
        info = runs.read_info(info.path)
        info.name = name
        runs.write_info(info)
    return info


@dataclass(frozen=True)
class Exported:
    model: Path
    vocab: Path
    tensorboard: Path | None = None  # the folder of TensorBoard event files, when asked


def export_targets(folder: Path) -> Exported:
    return Exported(folder / SEED_MODEL_FILE, folder / SEED_VOCAB_FILE)


def export_run(
    ref: str, folder: str | Path, overwrite: bool = False, tensorboard: bool = False
) -> Exported:
    """Copy a run's weights and vocabulary to `folder` as `model_latent.safetensors` and
    `vocab_latent.txt`, the names the seed reads; existing files are kept unless `overwrite`.
    The bytes copied are the bytes checked (`checked_export`), so a run diff would refuse is
    refused here, and nothing is written. With `tensorboard`, its metrics also become
    TensorBoard event files in `folder`/tensorboard (replacing event files already there)."""
    info = runs.open_run(ref)
    model, vocab = checked_export(info)
    events = _tensorboard_events(info) if tensorboard else []
    target = paths.user_path(folder)
    home = paths.runs_dir().resolve()
    if target.resolve() == home or home in target.resolve().parents:
        raise TofyError(
            f"{target} is inside the runs folder ({home}): export to a folder outside it"
        )
    if target.exists() and not target.is_dir():
        raise TofyError(f"{target} is a file, not a folder")
    out = export_targets(target)
    if tensorboard:
        out = Exported(out.model, out.vocab, target / tb.FOLDER)
    old_events = tb.event_files(out.tensorboard) if out.tensorboard else []
    existing = [p for p in (out.model, out.vocab) if p.exists()] + old_events
    if existing and not overwrite:
        names = " and ".join(p.name for p in existing[:2])
        names += f" (and {len(existing) - 2} more)" if len(existing) > 2 else ""
        raise ExportExistsError(f"{target} already holds {names}: overwrite to replace", existing)
    try:
        target.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(out.model, model)
        atomic_write_bytes(out.vocab, vocab)
        for file in (out.model, out.vocab):  # handed over: readable as the user's files are
            os.chmod(file, 0o666 & ~_umask())
        if out.tensorboard:
            for old in old_events:
                old.unlink()
            tb.write_event_files(events, out.tensorboard)
    except OSError as exc:
        raise TofyError(f"cannot write to {target}: {exc.strerror or exc}") from None
    return out


def _tensorboard_events(info: runs.RunInfo) -> list[dict]:
    """The run's events, once TensorBoard is known to be installed."""
    from tofy_core.runs.metrics_table import run_events

    tb.check_available()
    return run_events(info)


def _umask() -> int:
    """The process's umask, read without changing it (os.umask sets it, for every thread)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def checked_export(info: runs.RunInfo) -> tuple[bytes, bytes]:
    """The run's weights and vocabulary as bytes, each a plain file inside the run folder
    (never through a symlink), checked as diff checks them: a whole safetensors file whose
    tensors fit the model it records and are finite, and the vocabulary saved with them."""
    from tofy_core.data.vocab import Vocab
    from tofy_core.runs import checkpoint

    model_path, vocab_path = info.file(runs.MODEL_FILE), info.file(runs.VOCAB_FILE)
    model_bytes, vocab_bytes = _own_file(info, model_path), _own_file(info, vocab_path)
    weights = checkpoint.load_weights(model_path, model_bytes)
    try:
        vocab = Vocab.from_text(vocab_bytes.decode("utf-8"))
    except UnicodeDecodeError:
        raise CheckpointError(f"{vocab_path} is not UTF-8 text: not a Tofy vocabulary") from None
    rows = int(weights.tensors["encoder.embed.weight"].shape[0])
    if len(vocab) != rows:
        raise CheckpointError(
            f"{vocab_path} has {len(vocab)} tokens but the weights have {rows} rows: "
            "the run's vocabulary does not match its weights"
        )
    # the sizes the file records (a Tofy file always does), as diff reads them
    config = weights.config or runs.read_config(info).model
    if config.vocab_size is None:  # runs from before config.json recorded it
        config.vocab_size = len(vocab)
    checkpoint.check_fits(weights, config, vocab.digest())
    checkpoint.build_model(weights, config)  # every tensor's shape, and finite
    return model_bytes, vocab_bytes


def _own_file(info: runs.RunInfo, path: Path) -> bytes:
    """A plain file of the run folder, read without following a symlink (one could name any
    file of the user's) and without blocking on a FIFO."""
    if info.path.is_symlink() or path.is_symlink():
        raise TofyError(
            f"{path} is a symbolic link: export copies only files inside the run folder"
        )
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise TofyError(f"run {info.run_id} has no {path.name} yet: nothing to export") from None
    except OSError as exc:
        raise TofyError(f"cannot read {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise TofyError(f"{path} is not a file: the run is damaged")
        return handle.read()


def import_checkpoint(
    model_path: str | Path,
    vocab_path: str | Path,
    heads: int | None = None,
    name: str = "",
    max_seq: int | None = None,
) -> runs.RunInfo:
    """A new run from a weights file (Tofy's or the seed's) and its vocabulary. A seed file
    does not record its heads: `heads` is then required. Shapes are checked by building the
    model, so a file that does not fit names the tensor. The run gets a training state at the
    file's step, so `tofy resume RUN --steps N` can train it further on any data."""
    from tofy_core.data.vocab import Vocab
    from tofy_core.runs import checkpoint

    model_path, vocab_path = paths.user_path(model_path), paths.user_path(vocab_path)
    weights = checkpoint.load_weights(model_path)
    if weights.config is not None:
        config = weights.config
        config.vocab_size = int(weights.tensors["encoder.embed.weight"].shape[0])
    elif heads is None:
        dim = int(weights.tensors["encoder.embed.weight"].shape[1])
        raise HeadsNeededError(
            f"{model_path.name} does not record its attention heads: give them "
            f"(--heads N; a divisor of its dim {dim})"
        )
    else:
        config = checkpoint.infer_seed_config(weights.tensors, heads, max_seq or 72)
    if heads is not None and heads != config.heads:
        raise TofyError(f"{model_path.name} has {config.heads} heads, not {heads}")
    vocab = Vocab.load(vocab_path)
    rows = config.vocab_size
    if len(vocab) != rows:
        raise CheckpointError(
            f"{vocab_path.name} has {len(vocab)} tokens but encoder.embed.weight has {rows} "
            "rows: give the vocab file saved with these weights"
        )
    saved_hash = weights.metadata.get("vocab_hash")
    if saved_hash and saved_hash != vocab.digest():
        raise CheckpointError(
            f"{vocab_path.name} is not the vocabulary these weights were saved with"
        )
    model = checkpoint.build_model(weights, config)
    step = weights.step
    train = TrainConfig(steps=max(step, 1), name=name.strip() or f"imported {model_path.stem}")
    run_config = RunConfig(config, train)
    info = runs.plan_run(run_config)
    info.status, info.pid, info.step, info.steps = "finished", None, step, max(step, 1)
    info.dataset = "(imported)"
    info.extra = {"imported_from": str(model_path.resolve())}
    # the weights, vocabulary and state are written before the folder appears: a list read
    # meanwhile never sees a finished run without them
    runs.make_run_folder(
        info, run_config, fill=lambda staged: _write_checkpoint(staged, model, config, step, vocab)
    )
    return info


def _write_checkpoint(info: runs.RunInfo, model, config, step: int, vocab) -> None:
    """Weights in Tofy's format (teacher table included) and a fresh training state: no Adam
    moments yet, so resume starts the optimizer anew from these weights."""
    import torch

    from tofy_core.runs import checkpoint

    checkpoint.save_model(info.file(runs.MODEL_FILE), model, config, step, vocab.digest())
    vocab.save(info.file(runs.VOCAB_FILE))
    optimizer = torch.optim.AdamW(model.parameters())
    checkpoint.save_state(
        info.file(runs.STATE_FILE), model, optimizer, step, {}, config, vocab.digest()
    )
    os.utime(info.path)
