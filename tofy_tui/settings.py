"""The Train form's settings: fields, defaults, validation with the engine's own rules, the
child's command line, and the list of recently used data sources.

Nothing here imports Textual or torch: the form widget renders what these functions decide."""

from __future__ import annotations

import contextlib
import json
import math
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tofy_core import paths
from tofy_core.config import (
    DEFAULT_PRESET,
    DEVICES,
    PRESETS,
    SPECIAL_TOKENS,
    ModelConfig,
    RunConfig,
    TrainConfig,
    default_threads,
    preset_config,
)
from tofy_core.errors import ConfigError, TofyError

MODEL_FIELDS = ("dim", "max_seq", "layers", "heads", "max_vocab")
RECENT_FILE = "tui.json"
RECENT_LIMIT = 10


@dataclass(frozen=True)
class Field:
    """One input of the form: its key (the config attribute), label and help line."""

    name: str
    label: str
    help: str
    kind: str = "int"  # int | auto_int (empty = 0) | float | text | choice | data
    choices: tuple[str, ...] = ()


FIELDS: tuple[Field, ...] = (
    Field("data", "Data", "empty = built-in corpus; a file, hub:<id>", "data"),
    Field("preset", "Preset", "fills the sizes and schedule below", "choice", tuple(PRESETS)),
    Field("steps", "Steps", "optimizer steps"),
    Field("batch", "Batch", "phrases per step"),
    Field("dim", "Dim", "embedding width"),
    Field("max_seq", "Max seq", "tokens per phrase"),
    Field("layers", "Layers", "transformer blocks"),
    Field("heads", "Heads", "attention heads; must divide dim"),
    Field("max_vocab", "Max vocab", "vocabulary cap"),
    Field("lr", "LR", "peak learning rate", "float"),
    Field("device", "Device", "auto picks CUDA when present", "choice", DEVICES),
    Field("threads", "Threads", "CPU threads; empty = every core but one, at most 8", "auto_int"),
    Field("seed", "Seed", "random seed"),
    Field("log_every", "Log every", "steps between step events"),
    Field("eval_every", "Eval every", "steps between held-out evaluations"),
    Field("name", "Run name", "shown in run lists; optional", "text"),
)
FIELD_NAMES = tuple(f.name for f in FIELDS)
# The fields a preset sets: choosing a preset fills exactly these.
PRESET_FIELDS = tuple(
    name
    for name in FIELD_NAMES
    if any(name in preset.model or name in preset.train for preset in PRESETS.values())
)


def config_values(config: RunConfig) -> dict[str, str]:
    """The form's text for each field of a configuration."""
    model, train = config.model, config.train
    values = {name: str(getattr(model, name)) for name in MODEL_FIELDS}
    for name in ("data", "steps", "batch", "lr", "device", "seed", "log_every", "eval_every"):
        values[name] = str(getattr(train, name))
    values["preset"] = train.preset
    values["threads"] = str(train.threads) if train.threads else ""
    values["name"] = train.name
    return {name: values[name] for name in FIELD_NAMES}


def preset_values(name: str) -> dict[str, str]:
    """What choosing preset `name` writes into the form."""
    values = config_values(preset_config(name))
    return {field_name: values[field_name] for field_name in PRESET_FIELDS}


# The form opens on the engine's no-option default (`tofy train` with no options): one rule,
# one place (tofy_core.config's presets).
DEFAULTS: dict[str, str] = config_values(preset_config(DEFAULT_PRESET))


def threads_hint(cores: int | None = None) -> str:
    """What an empty Threads field means on this machine."""
    count = default_threads(cores)
    return f"auto: {count} thread{'s' if count != 1 else ''} here (every core but one, at most 8)"


def field_hints(values: dict[str, str]) -> dict[str, str]:
    """Notes under fields that are valid but worth explaining: the chosen preset (and which of
    its values were changed) and what an automatic thread count means."""
    hints: dict[str, str] = {}
    preset = PRESETS.get(values.get("preset", ""))
    if preset is not None:
        expected = preset_values(preset.name)
        edited = [name for name in PRESET_FIELDS if values.get(name, "").strip() != expected[name]]
        hints["preset"] = preset.summary + (f"; changed: {', '.join(edited)}" if edited else "")
    if values.get("threads", "").strip() in ("", "0"):
        hints["threads"] = threads_hint()
    return hints


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
    if spec.kind == "auto_int":
        if not raw:
            return 0
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"{raw!r} is not a whole number (empty = automatic)") from None
    if spec.kind == "choice" and raw not in spec.choices:
        raise ValueError(f"pick one of {', '.join(spec.choices)}")
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
        elif name in ("steps", "batch", "lr", "device", "threads", "log_every", "eval_every"):
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
        threads=int(parsed["threads"]),  # type: ignore[call-overload]
        preset=str(parsed["preset"]),
    )
    return RunConfig(model, train)


# ---------------------------------------------------------------- data sources


def data_problem(source: str) -> str:
    """Why `source` cannot be trained on; empty when it can (as far as can be told cheaply).

    The engine's own check, the one `tofy train` makes before it creates a run: a missing
    file, a folder, binary or non-UTF-8 text, an empty file, a parquet folder without parquet
    files, a malformed hub: id. Cheap enough to run as the user types (a file's head is read).
    Whether an uncached hub: id is reachable is `describe_data`'s job (network)."""
    from tofy_core.preflight import check_data_source

    try:
        check_data_source(source)
    except TofyError as exc:
        return str(exc)
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
    if train.preset:
        command += ["--preset", train.preset]
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
    if train.threads:  # 0: the engine's default rule decides
        command += ["--threads", str(train.threads)]
    if train.name:
        command.append(f"--name={train.name}")
    command += ["--run-id", run_id]
    if train.data:
        command += ["--", train.data]
    return command


def shell_command(command: list[str]) -> str:
    """The child's command as a user can paste it into a shell, from any folder, to train the
    same settings again: quoted for a POSIX shell, the interpreter's full path first, the data
    file's path made absolute, and without `--run-id` (that run exists now; a new one gets a
    fresh id). When Tofy is not installed (run from a source checkout), PYTHONPATH says where
    the engine is."""
    shown = list(command)
    if "--run-id" in shown:
        at = shown.index("--run-id")
        del shown[at : at + 2]
    if len(shown) > 1 and shown[-2] == "--" and not shown[-1].startswith("hub:"):
        shown[-1] = str(Path(shown[-1]).expanduser().resolve())
    text = shlex.join(shown)
    if not _installed():
        import tofy_core

        root = Path(tofy_core.__file__).resolve().parents[1]
        text = f"PYTHONPATH={shlex.quote(str(root))} {text}"
    return text


def _installed() -> bool:
    from importlib import metadata

    try:
        metadata.distribution("tofy")
    except metadata.PackageNotFoundError:
        return False
    return True


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
