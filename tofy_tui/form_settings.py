"""The Train form's settings: its fields, their defaults (the engine's no-option preset), the
hints under them, and the check of every field with the engine's own rules.

Nothing here imports Textual or torch: the form widget renders what these functions decide."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from tofy_core.config import (
    DEFAULT_PRESET,
    DEVICES,
    PRESETS,
    ModelConfig,
    RunConfig,
    TrainConfig,
    default_threads,
    preset_config,
)
from tofy_core.errors import ConfigError
from tofy_tui.data_probe import data_problem

MODEL_FIELDS = ("dim", "max_seq", "layers", "heads", "max_vocab")


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
    Field("batch", "Batch", "phrases (lines) per step, not tokens"),
    Field("pack", "Pack", "on: phrases share rows, no compute on padding", "choice", ("on", "off")),
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
    Field("processes", "Processes", "data-parallel (torchrun): CPU gloo; GPU one per device"),
)
MAX_PROCESSES = 256
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
    values["pack"] = "on" if train.pack else "off"
    values["threads"] = str(train.threads) if train.threads else ""
    values["name"] = train.name
    values["processes"] = "1"  # how to launch, not part of a run's config
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
    processes: int = 1  # training processes under torchrun (1: a plain child)

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
            errors[_field_of(exc)] = str(exc)
    data_error = data_problem(str(parsed.get("data", "")))
    if data_error:
        errors["data"] = data_error
    if errors:
        return FormCheck(None, errors)
    config = _build(parsed)
    try:
        config.validate()
    except ConfigError as exc:
        return FormCheck(None, {_field_of(exc): str(exc)})
    return FormCheck(config, processes=int(parsed["processes"]))  # type: ignore[call-overload]


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
    if name == "processes" and not 1 <= value <= MAX_PROCESSES:  # type: ignore[operator]
        return f"processes must be 1 to {MAX_PROCESSES} (1 = one process, no torchrun)"
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


def _field_of(exc: ConfigError) -> str:
    """The form field an engine error is about (the data field for a setting the form lacks)."""
    return exc.field if exc.field in FIELD_NAMES else "data"


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
        pack=parsed["pack"] == "on",
    )
    return RunConfig(model, train)
