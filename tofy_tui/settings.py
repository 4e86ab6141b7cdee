"""The Train form's settings: fields, defaults, validation with the engine's own rules, the
child's command line, and the list of recently used data sources.

Nothing here imports Textual or torch: the form widget renders what these functions decide."""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tofy_core import paths
from tofy_core.config import DEVICES, SPECIAL_TOKENS, ModelConfig, RunConfig, TrainConfig
from tofy_core.errors import ConfigError, TofyError

MODEL_FIELDS = ("dim", "max_seq", "layers", "heads", "max_vocab")
INT_FIELDS = (
    "steps",
    "batch",
    "dim",
    "max_seq",
    "layers",
    "heads",
    "max_vocab",
    "seed",
    "log_every",
    "eval_every",
)
RECENT_FILE = "tui.json"
RECENT_LIMIT = 10


@dataclass(frozen=True)
class Field:
    """One input of the form: its key (the config attribute), label and help line."""

    name: str
    label: str
    help: str
    kind: str = "int"  # int | float | text | choice | data


FIELDS: tuple[Field, ...] = (
    Field("data", "Data", "empty = built-in corpus; a file, hub:<id>", "data"),
    Field("steps", "Steps", "optimizer steps"),
    Field("batch", "Batch", "phrases per step"),
    Field("dim", "Dim", "embedding width"),
    Field("max_seq", "Max seq", "tokens per phrase"),
    Field("layers", "Layers", "transformer blocks"),
    Field("heads", "Heads", "attention heads; must divide dim"),
    Field("max_vocab", "Max vocab", "vocabulary cap"),
    Field("lr", "LR", "peak learning rate", "float"),
    Field("device", "Device", "auto picks CUDA when present", "choice"),
    Field("seed", "Seed", "random seed"),
    Field("log_every", "Log every", "steps between step events"),
    Field("eval_every", "Eval every", "steps between held-out evaluations"),
    Field("name", "Run name", "shown in run lists; optional", "text"),
)
FIELD_NAMES = tuple(f.name for f in FIELDS)

# A configuration that trains in about a minute on a laptop CPU on the built-in corpus
# (measured: 3,000 steps in ~40 s on one thread of a shared 2-core VM, held-out top-10 ~65%).
DEFAULTS: dict[str, str] = {
    "data": "",
    "steps": "3000",
    "batch": "32",
    "dim": "64",
    "max_seq": "32",
    "layers": "2",
    "heads": "4",
    "max_vocab": str(ModelConfig().max_vocab),
    "lr": "0.001",
    "device": "auto",
    "seed": "0",
    "log_every": "10",
    "eval_every": "250",
    "name": "",
}


@dataclass
class FormCheck:
    """The result of checking the form: a config when every field is valid, else messages."""

    config: RunConfig | None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.config is not None and not self.errors


def check_form(values: dict[str, str]) -> FormCheck:
    """Parse and validate every field, one message per field, using the engine's rules.

    Each field is first checked alone (so several bad fields each get their message), then
    the whole configuration is validated for rules that tie fields together (dim and heads)."""
    parsed: dict[str, object] = {}
    errors: dict[str, str] = {}
    for spec in FIELDS:
        raw = values.get(spec.name, DEFAULTS[spec.name]).strip()
        try:
            parsed[spec.name] = _parse(spec, raw)
        except ValueError as exc:
            errors[spec.name] = str(exc)
    for name, value in parsed.items():
        message = _check_alone(name, value)
        if message:
            errors[name] = message
    if "dim" in parsed and "heads" in parsed and not {"dim", "heads"} & set(errors):
        try:
            ModelConfig(dim=parsed["dim"], heads=parsed["heads"]).validate()  # type: ignore[arg-type]
        except ConfigError as exc:
            errors["heads"] = str(exc)
    data_error = data_problem(str(parsed.get("data", "")))
    if data_error:
        errors["data"] = data_error
    if errors:
        return FormCheck(None, errors)
    config = _build(parsed)
    try:
        config.validate()
    except ConfigError as exc:
        name = "heads" if "divisible" in str(exc) else _field_named_in(str(exc))
        return FormCheck(None, {name: str(exc)})
    return FormCheck(config)


def _parse(spec: Field, raw: str) -> object:
    if spec.kind == "int":
        if not raw:
            raise ValueError("required: a whole number")
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"{raw!r} is not a whole number") from None
    if spec.kind == "float":
        if not raw:
            raise ValueError("required: a number")
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"{raw!r} is not a number") from None
        if not math.isfinite(value):
            raise ValueError(f"{raw!r} is not a finite number")
        return value
    if spec.kind == "choice" and raw not in DEVICES:
        raise ValueError(f"pick one of {', '.join(DEVICES)}")
    return raw


def _check_alone(name: str, value: object) -> str:
    """The engine's message for one field set on an otherwise valid configuration."""
    try:
        if name in MODEL_FIELDS:
            base = {"dim": 1, "max_seq": 2, "layers": 1, "heads": 1, "max_vocab": 4}
            base[name] = value
            if name == "heads" and isinstance(value, int) and value > 0:
                base["dim"] = value
            ModelConfig(**base).validate()
        elif name in ("steps", "batch", "lr", "device", "log_every", "eval_every"):
            TrainConfig(**{name: value}).validate()
    except ConfigError as exc:
        return str(exc)
    return ""


def _field_named_in(message: str) -> str:
    for name in FIELD_NAMES:
        if message.startswith(name):
            return name
    return "data"


def _build(parsed: dict[str, object]) -> RunConfig:
    model = ModelConfig(**{name: parsed[name] for name in MODEL_FIELDS})  # type: ignore[arg-type]
    train = TrainConfig(
        data=str(parsed["data"]),
        steps=int(parsed["steps"]),  # type: ignore[call-overload]
        batch=int(parsed["batch"]),  # type: ignore[call-overload]
        lr=float(parsed["lr"]),  # type: ignore[arg-type]
        device=str(parsed["device"]),
        seed=int(parsed["seed"]),  # type: ignore[call-overload]
        name=str(parsed["name"]),
        log_every=int(parsed["log_every"]),  # type: ignore[call-overload]
        eval_every=int(parsed["eval_every"]),  # type: ignore[call-overload]
    )
    return RunConfig(model, train)


# ---------------------------------------------------------------- data sources


def data_problem(source: str) -> str:
    """Why `source` cannot be trained on, judged without reading it; empty when it looks fine.

    The empty string means the built-in corpus. A `hub:` id is only parsed here: whether it is
    cached or reachable is `describe_data`'s job (it may touch the network)."""
    if not source:
        return ""
    if source.startswith("hub:"):
        from tofy_core.data.hub import parse_hub_spec

        try:
            spec = parse_hub_spec(source)
        except TofyError as exc:
            return str(exc)
        if spec.kind == "folder" and not Path(spec.ident).is_dir():
            return f"no folder {spec.ident}: check the path"
        return ""
    path = Path(source).expanduser()
    if not path.exists():
        return f"no such file: {path}"
    if path.is_dir():
        return f"{path} is a folder: give a text file, or hub:{source} for parquet files"
    if not os.access(path, os.R_OK):
        return f"{path} is not readable"
    if path.stat().st_size == 0:
        return f"{path} is empty: one phrase per line is needed"
    return ""


@dataclass(frozen=True)
class DataInfo:
    """What the form says about a valid data source, and the text file to scan for a vocab
    size when there is one on disk."""

    message: str
    error: bool = False
    text_path: Path | None = None


def describe_data(source: str) -> DataInfo:
    """A line about the data source; may take seconds (a network check for an uncached hub:
    id), so the form calls it from a worker."""
    from tofy_core.data.text import default_corpus_path

    if not source:
        return DataInfo("the built-in corpus", text_path=default_corpus_path())
    if not source.startswith("hub:"):
        path = Path(source).expanduser()
        return DataInfo(f"text file, {_size(path)}", text_path=path)
    from tofy_core.data import hub

    spec = hub.parse_hub_spec(source)
    for entry in hub.list_cached():
        if entry.key == spec.key and entry.valid:
            return DataInfo(f"cached: {entry.lines:,} lines", text_path=entry.path)
    if spec.kind == "folder":
        return DataInfo("parquet folder: converted to text on first use")
    check = getattr(hub, "_check_hub_reachable", None)
    if check is not None:
        try:
            check(spec)
        except TofyError as exc:
            return DataInfo(str(exc), error=True)
    return DataInfo("not cached: downloaded on first use (needs network)")


def _size(path: Path) -> str:
    try:
        size = path.stat().st_size
    except OSError:
        return "unreadable"
    from tofy_core.config import human_bytes

    return human_bytes(size)


MAX_SCAN_BYTES = 8 * 1024 * 1024  # ~0.5 s of tokenizing in a worker; larger files get no hint


def distinct_words(path: Path, lowercase: bool = True) -> int | None:
    """How many distinct words a run on this text file would see, or None when the file is
    too large (or unreadable) to scan for a hint."""
    from tofy_core.data.text import context_side, tokenize

    try:
        if path.stat().st_size > MAX_SCAN_BYTES:
            return None
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    words: set[str] = set()
    for line in text.splitlines():
        tokens = tokenize(context_side(line), lowercase)
        if len(tokens) >= 2:
            words.update(tokens)
    return len(words)


def vocab_size(words: int, max_vocab: int) -> int:
    """The vocabulary the engine builds: specials, then words up to the cap."""
    return min(words, max_vocab - len(SPECIAL_TOKENS)) + len(SPECIAL_TOKENS)


# ---------------------------------------------------------------- the child's command


def train_command(config: RunConfig, run_id: str) -> list[str]:
    """`python -m tofy_core train …` for this configuration; the data comes last, after `--`,
    so a file name starting with `-` is never read as an option."""
    model, train = config.model, config.train
    command = [sys.executable, "-m", "tofy_core", "train"]
    for flag, value in (
        ("--steps", train.steps),
        ("--batch", train.batch),
        ("--dim", model.dim),
        ("--max-seq", model.max_seq),
        ("--layers", model.layers),
        ("--heads", model.heads),
        ("--max-vocab", model.max_vocab),
        ("--lr", repr(train.lr)),
        ("--device", train.device),
        ("--seed", train.seed),
        ("--log-every", train.log_every),
        ("--eval-every", train.eval_every),
    ):
        command += [flag, str(value)]
    if train.name:
        command.append(f"--name={train.name}")
    command += ["--run-id", run_id]
    if train.data:
        command += ["--", train.data]
    return command


# ---------------------------------------------------------------- recent data sources


def recent_data() -> list[str]:
    try:
        data = json.loads((paths.config_dir() / RECENT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    items = data.get("recent_data", []) if isinstance(data, dict) else []
    return [item for item in items if isinstance(item, str) and item][:RECENT_LIMIT]


def remember_data(source: str) -> None:
    """Put `source` first in the recent list (the built-in corpus is not remembered)."""
    if not source:
        return
    from tofy_core.runs import atomic_write_json

    items = [source, *(item for item in recent_data() if item != source)][:RECENT_LIMIT]
    with contextlib.suppress(OSError):
        atomic_write_json(paths.config_dir() / RECENT_FILE, {"recent_data": items})
