"""The Train form's settings: its fields, their defaults (the engine's no-option preset), the
hints under them, and the check of every field with the engine's own rules.

Nothing here imports Textual or torch: the form widget renders what these functions decide."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from tofy_core.config import DEVICES, ModelConfig, RunConfig, TrainConfig, check_processes
from tofy_core.errors import ConfigError, TofyError
from tofy_core.presets import DEFAULT_PRESET, PRESETS, preset_config
from tofy_core.recipes import RECIPE_OPTIONS, RECIPES
from tofy_core.runs import tensorboard
from tofy_core.threads import default_threads
from tofy_tui.data_probe import data_problem
from tofy_tui.form_loss import apply_loss, loss_field_specs, loss_values

MODEL_FIELDS = ("dim", "max_seq", "layers", "heads", "max_vocab")


@dataclass(frozen=True)
class Field:
    """One input of the form: its key (the config attribute), label and help line; advanced
    ones sit in the form's collapsed Advanced section."""

    name: str
    label: str
    help: str
    kind: str = "int"  # int | auto_int (empty = 0) | float | auto_float | text | choice | data
    choices: tuple[str, ...] = ()
    advanced: bool = False


ON_OFF = ("on", "off")
OFF_ON = ("off", "on")
FIELDS: tuple[Field, ...] = (
    Field("data", "Data", "empty = built-in corpus; a file, hub:<id>", "data"),
    Field("steps", "Steps", "optimizer steps"),
    Field("batch", "Batch", "phrases (lines) per step, not tokens"),
    Field("dim", "Dim", "embedding width"),
    Field("max_seq", "Max seq", "tokens per phrase"),
    Field("layers", "Layers", "transformer blocks"),
    Field("heads", "Heads", "attention heads; must divide dim"),
    Field("max_vocab", "Max vocab", "vocabulary cap"),
    Field("lr", "LR", "peak learning rate", "float"),
    Field("device", "Device", "auto picks CUDA when present", "choice", DEVICES),
    Field("eval_every", "Eval every", "steps between held-out evaluations"),
    Field("name", "Run name", "shown in run lists; optional", "text"),
    Field("processes", "Processes", "data-parallel (torchrun): CPU gloo; GPU one per device"),
    # The Advanced section, collapsed: every other `tofy train` option.
    *(
        Field(*spec, advanced=True)
        for spec in (
            ("preset", "Preset", "fills the sizes and schedule", "choice", tuple(PRESETS)),
            ("pack", "Pack", "on: phrases share rows, no compute on padding", "choice", ON_OFF),
            ("threads", "Threads", "CPU threads; empty = all cores but one, ≤ 8", "auto_int"),
            ("seed", "Seed", "seeds weights, data order and masks"),
            ("log_every", "Log every", "steps between step events"),
            ("checkpoint_every", "Save every", "steps between saves (a stop always saves)"),
            ("eval_phrases", "Eval phrases", "held-out phrases each evaluation scores"),
            ("masks_per_seq", "Masks/seq", "masked words per phrase; 0 = 15% (at least 1)"),
            ("negatives", "Negatives", "0 = every vocabulary word; N = N sampled"),
            ("lowercase", "Lowercase", "on: lowercase all text (kept)", "choice", ON_OFF),
            ("compile", "Compile", "torch.compile the model: slower start", "choice", OFF_ON),
            ("tensorboard", "TensorBoard", "on: also write its event files", "choice", OFF_ON),
            ("refresh", "Refresh", "on: rebuild a cached hub: dataset first", "choice", OFF_ON),
            ("run_id", "Run folder", "the run's folder name; empty = dated", "text"),
        )
    ),
    *(
        Field(name, label, what, kind, tuple(RECIPES) if name == "recipe" else (), True)
        for name, label, what, kind in loss_field_specs()
    ),
)
MAX_PROCESSES = 256
FIELD_NAMES = tuple(f.name for f in FIELDS)
ADVANCED = tuple(f.name for f in FIELDS if f.advanced)
LABELS = {f.name: f.label for f in FIELDS}
# How to launch this once, not settings worth keeping for the next run (a run's name is its
# own: kept, the next run would repeat it).
ONE_OFF = ("refresh", "run_id", "name")
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
    for name in ("checkpoint_every", "eval_phrases", "masks_per_seq", "negatives"):
        values[name] = str(getattr(train, name))
    values["preset"] = train.preset
    values["pack"] = _on_off(train.pack)
    values["lowercase"] = _on_off(model.lowercase)
    values["compile"] = _on_off(train.compile)
    values["tensorboard"] = _on_off(train.tensorboard)
    values["threads"] = str(train.threads) if train.threads else ""
    values["name"] = train.name
    values.update(loss_values(config))
    # how to launch, not part of a run's config
    values.update(processes="1", refresh="off", run_id="")
    return {name: values[name] for name in FIELD_NAMES}


def _on_off(flag: bool) -> str:
    return "on" if flag else "off"


def run_values(config: RunConfig, current: dict[str, str]) -> dict[str, str]:
    """The form filled from a run's configuration ("Load settings from run…"): its settings,
    with how to launch kept from the form (processes) and the one-off options cleared. A run
    made without a preset keeps the form's preset choice."""
    values = config_values(config)
    values["processes"] = current.get("processes", DEFAULTS["processes"])
    if values["preset"] not in PRESETS:
        values["preset"] = current.get("preset", DEFAULTS["preset"])
    return values


def remembered(values: dict[str, str]) -> dict[str, str]:
    """The form's values worth keeping for the next session (not the one-off options)."""
    return {name: value for name, value in values.items() if name not in ONE_OFF}


def restored(stored: dict[str, str]) -> dict[str, str]:
    """Remembered values the form can show: known fields, and for a choice one of its
    choices (an old or hand-edited file may hold anything)."""
    specs = {spec.name: spec for spec in FIELDS}
    kept = {}
    for name, value in stored.items():
        spec = specs.get(name)
        if spec is None or name in ONE_OFF or not isinstance(value, str):
            continue
        if spec.choices and value not in spec.choices:
            continue
        kept[name] = value
    return kept


def preset_values(name: str) -> dict[str, str]:
    """What choosing preset `name` writes into the form."""
    values = config_values(preset_config(name))
    return {field_name: values[field_name] for field_name in PRESET_FIELDS}


# The form opens on the engine's no-option default (`tofy train` with no options): one rule,
# one place (tofy_core.presets).
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
    recipe = RECIPES.get(values.get("recipe", ""))
    if recipe is not None:
        hints["recipe"] = recipe.summary
    return hints


@dataclass
class FormCheck:
    """The result of checking the form: a config when every field is valid, else messages."""

    config: RunConfig | None
    errors: dict[str, str] = field(default_factory=dict)
    processes: int = 1  # training processes under torchrun (1: a plain child)
    refresh: bool = False  # rebuild a cached hub: dataset first
    run_id: str = ""  # the run's folder name; "" = a dated one

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
    run_id_error = _run_id_problem(str(parsed.get("run_id", "")))
    if run_id_error:
        errors["run_id"] = run_id_error
    if parsed.get("tensorboard") == "on" and tensorboard.missing():
        errors["tensorboard"] = tensorboard.missing()
    if errors:
        return FormCheck(None, errors)
    config = _build(parsed)
    try:
        config.validate()
        check_processes(config.train, int(parsed["processes"]))  # type: ignore[call-overload]
    except ConfigError as exc:
        return FormCheck(None, {_field_of(exc): str(exc)})
    return FormCheck(
        config,
        processes=int(parsed["processes"]),  # type: ignore[call-overload]
        refresh=parsed["refresh"] == "on",
        run_id=str(parsed["run_id"]),
    )


def _run_id_problem(run_id: str) -> str:
    """Why this folder name cannot be a new run's ("" when it can, or is empty: dated)."""
    if not run_id:
        return ""
    from tofy_core import paths
    from tofy_core.runs.folders import check_run_id

    try:
        check_run_id(run_id)
        exists = (paths.runs_dir() / run_id).exists()
    except TofyError as exc:
        return str(exc)
    return f"a run named {run_id!r} already exists: pick another name" if exists else ""


def _parse(spec: Field, raw: str) -> object:
    if spec.kind == "int":
        if not raw:
            raise ValueError("required: a whole number")
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"{raw!r} is not a whole number") from None
    if spec.kind == "auto_float" and not raw:
        return None  # the recipe's value
    if spec.kind in ("float", "auto_float"):
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


TRAIN_CHECKED = (
    "steps",
    "batch",
    "lr",
    "device",
    "threads",
    "log_every",
    "eval_every",
    "checkpoint_every",
    "eval_phrases",
    "masks_per_seq",
    "negatives",
    *RECIPE_OPTIONS,
)


def _check_alone(name: str, value: object) -> str:
    """The engine's message for one field set on an otherwise valid configuration."""
    if name == "processes" and not 1 <= value <= MAX_PROCESSES:  # type: ignore[operator]
        return f"processes must be 1 to {MAX_PROCESSES} (1 = one process, no torchrun)"
    try:
        if name in MODEL_FIELDS:
            base = {"dim": 1, "max_seq": 2, "layers": 1, "heads": 1, "max_vocab": 5}
            base[name] = value
            if name == "heads" and isinstance(value, int) and value > 0:
                base["dim"] = value
            ModelConfig(**base).validate()
        elif name in TRAIN_CHECKED and value is not None:
            TrainConfig(**{name: value}).validate()
    except ConfigError as exc:
        return str(exc)
    return ""


def _field_of(exc: ConfigError) -> str:
    """The form field an engine error is about (the data field for a setting the form lacks)."""
    return exc.field if exc.field in FIELD_NAMES else "data"


def _build(parsed: dict[str, object]) -> RunConfig:
    model = ModelConfig(
        **{name: parsed[name] for name in MODEL_FIELDS},  # type: ignore[arg-type]
        lowercase=parsed["lowercase"] == "on",
    )
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
        checkpoint_every=int(parsed["checkpoint_every"]),  # type: ignore[call-overload]
        eval_phrases=int(parsed["eval_phrases"]),  # type: ignore[call-overload]
        masks_per_seq=int(parsed["masks_per_seq"]),  # type: ignore[call-overload]
        negatives=int(parsed["negatives"]),  # type: ignore[call-overload]
        compile=parsed["compile"] == "on",
        tensorboard=parsed["tensorboard"] == "on",
    )
    return apply_loss(RunConfig(model, train), parsed)
