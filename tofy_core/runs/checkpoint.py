"""Weights and training state as safetensors files (never pickle), written atomically.

`state.safetensors` is the checkpoint: ONE file holding everything resume needs (the weights
and teacher table under `weights.*`, Adam moments, step, RNG states, the model config), so a
kill or a full disk at any instant leaves the previous complete checkpoint or the new one,
never a model of one step beside a state of another. `model.safetensors` (seed-named weights,
teacher table, JSON metadata) is the export that diff and users read; it is written right
after the state and rewritten from it on resume when a kill left it behind."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_bytes
from safetensors.torch import save as save_bytes

from tofy_core.config import ModelConfig, model_config_from_dict
from tofy_core.errors import CheckpointError, TofyError
from tofy_core.fsutil import atomic_write_bytes
from tofy_core.model.latent import LatentModel, export_tensors, import_tensors
from tofy_core.runs.files import HeaderError, read_safetensors_header

FORMAT = "tofy-latent"
FORMAT_VERSION = "1"


@dataclass
class LoadedWeights:
    """Tensors and metadata of a weights file; `config` is None for a seed file."""

    tensors: dict[str, torch.Tensor]
    metadata: dict[str, str]
    config: ModelConfig | None
    step: int

    @property
    def is_seed_file(self) -> bool:
        return self.config is None


def read_safetensors(
    path: Path, raw: bytes | None = None
) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Tensors and metadata; a missing, truncated or foreign file is a CheckpointError. The
    header is checked by the one reader of it (`files.read_safetensors_header`) before the
    library loads the same bytes. `raw`: the file's bytes, already read (export checks the
    very bytes it copies)."""
    try:
        raw = path.read_bytes() if raw is None else raw
    except FileNotFoundError:
        raise CheckpointError(f"{path} does not exist") from None
    except OSError as exc:
        raise CheckpointError(f"cannot read {path}: {exc.strerror}") from None
    unreadable = f"{path} is not a readable safetensors file (truncated or foreign?)"
    try:
        header = read_safetensors_header(path, raw)
    except HeaderError as exc:
        raise CheckpointError(f"{unreadable}: {exc.reason}") from None
    try:
        tensors = load_bytes(raw)
    except (SafetensorError, ValueError, OverflowError) as exc:
        raise CheckpointError(f"{unreadable}: {exc}") from None
    return tensors, dict(header.get("__metadata__") or {})


def save_model(
    path: Path, model: LatentModel, config: ModelConfig, step: int, vocab_digest: str
) -> None:
    tensors = {k: v.clone() for k, v in export_tensors(model).items()}
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "config": json.dumps(asdict(config), sort_keys=True),
        "step": str(step),
        "vocab_hash": vocab_digest,
    }
    atomic_write_bytes(path, save_bytes(tensors, metadata=metadata))


def load_weights(path: Path, raw: bytes | None = None) -> LoadedWeights:
    tensors, metadata = read_safetensors(path, raw)
    return _weights_of(path, tensors, metadata)


def _weights_of(path: Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str]):
    """Validated weights: a 2-D embedding, a Tofy file's config and step readable."""
    embed = tensors.get("encoder.embed.weight")
    if embed is None:
        raise CheckpointError(
            f"{path} is not a Tofy or seed checkpoint: it has no encoder.embed.weight"
        )
    if embed.ndim != 2 or not embed.is_floating_point():
        raise CheckpointError(
            f"{path}: encoder.embed.weight has shape {tuple(embed.shape)}; "
            "a vocab × dim table of floats is needed"
        )
    config = None
    if metadata.get("format") == FORMAT:
        config = _metadata_config(path, metadata)
    return LoadedWeights(tensors, metadata, config, metadata_step(path, metadata))


def _metadata_config(path: Path, metadata: dict[str, str]) -> ModelConfig:
    try:
        data = json.loads(metadata["config"])
        if not isinstance(data, dict):
            raise TypeError("config is not an object")
        config = model_config_from_dict(data)
        config.validate()
        if not isinstance(config.vocab_size, int) or isinstance(config.vocab_size, bool):
            raise TypeError("vocab_size is not a whole number")
    except (KeyError, ValueError, TypeError, AttributeError, TofyError) as exc:
        raise CheckpointError(f"{path} has unreadable metadata: {exc}") from None
    return config


def metadata_step(path: Path, metadata: dict[str, str]) -> int:
    """The `step` of a file's metadata (0 when absent, as in seed files)."""
    raw = metadata.get("step", "0") or "0"
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 12:
        raise CheckpointError(f"{path} has a step that is not a whole number: {raw[:40]!r}")
    return int(raw)


def infer_seed_config(
    tensors: dict[str, torch.Tensor], heads: int = 4, max_seq: int = 72
) -> ModelConfig:
    """Sizes of a seed file (no metadata) from tensor shapes; heads and max_seq from the user."""
    embed = tensors["encoder.embed.weight"]
    if embed.ndim != 2:
        raise CheckpointError(
            f"encoder.embed.weight has shape {tuple(embed.shape)}: a vocab × dim table is needed"
        )
    vocab, dim = embed.shape
    layers = 0
    while f"encoder.block_{layers}.ln1.weight" in tensors:
        layers += 1
    if layers == 0:
        raise CheckpointError("the file has an embedding but no encoder blocks: not a seed model")
    config = ModelConfig(
        dim=int(dim), max_seq=max_seq, layers=layers, heads=heads, max_vocab=int(vocab)
    )
    config.vocab_size = int(vocab)
    return config.validate()


def build_model(weights: LoadedWeights, config: ModelConfig) -> LatentModel:
    """A model of `config` holding the file's weights; size mismatches are clear errors."""
    model = LatentModel(config)
    load_into(model, weights)
    return model.eval()


def check_fits(weights: LoadedWeights, config: ModelConfig, vocab_digest: str) -> None:
    """Saved weights resume a run only at the run's own model size and vocabulary."""
    saved = weights.config
    if saved is not None:
        for name in ("dim", "layers", "heads", "max_seq", "vocab_size"):
            if getattr(saved, name) != getattr(config, name):
                raise CheckpointError(
                    f"the saved model has {name}={getattr(saved, name)} but the run asks for "
                    f"{getattr(config, name)}: a run's model size cannot change on resume"
                )
    if weights.metadata.get("vocab_hash") not in (None, "", vocab_digest):
        raise CheckpointError("the run's vocab.txt does not match its weights file")


def load_into(model: LatentModel, weights: LoadedWeights, source: str = "weights") -> None:
    """Copy the file's tensors into `model`; a shape mismatch, a non-finite value or a missing
    tensor (other than a seed file's absent teacher table) is a CheckpointError naming
    `source`. Shapes are checked before any tensor is combined (q/k/v are concatenated)."""
    for name, own in export_tensors(model).items():
        value = weights.tensors.get(name)
        if value is None:
            continue
        if tuple(value.shape) != tuple(own.shape) or not value.is_floating_point():
            raise CheckpointError(
                f"{source} do not fit the model: {name} has shape {tuple(value.shape)} "
                f"({value.dtype}), the model needs {tuple(own.shape)}"
            )
        if not bool(torch.isfinite(value).all()):
            raise CheckpointError(
                f"{source} are not finite ({name} holds NaN or infinity): the model cannot be used"
            )
    try:
        missing = import_tensors(model, weights.tensors)
    except ValueError as exc:
        raise CheckpointError(f"{source} do not fit the model: {exc}") from None
    required = [m for m in missing if m != "teacher.embed.weight"]
    if required:
        raise CheckpointError(
            f"{source} lack {len(required)} tensors (e.g. {required[0]}): "
            "not a complete Tofy or seed checkpoint"
        )


WEIGHTS_PREFIX = "weights."


def save_state(
    path: Path,
    model: LatentModel,
    optimizer: torch.optim.Optimizer,
    step: int,
    rng: dict[str, torch.Tensor],
    config: ModelConfig | None = None,
    vocab_digest: str = "",
) -> None:
    """The whole checkpoint in one atomic file: weights and teacher (`weights.*`), Adam
    moments keyed by parameter name, the step, RNG states, and the model config."""
    tensors: dict[str, torch.Tensor] = {"step": torch.tensor([step], dtype=torch.int64)}
    for name, value in export_tensors(model).items():
        tensors[WEIGHTS_PREFIX + name] = value.clone()
    for name, param in model.named_parameters():
        slot = optimizer.state.get(param)
        if not slot:
            continue
        for key in ("exp_avg", "exp_avg_sq", "step"):
            value = slot[key]
            value = value if torch.is_tensor(value) else torch.tensor(float(value))
            tensors[f"optim.{name}.{key}"] = value.detach().cpu().clone().reshape(value.shape)
    for key, value in rng.items():
        tensors[f"rng.{key}"] = value.detach().cpu().clone()
    metadata = {"step": str(step), "format": FORMAT, "vocab_hash": vocab_digest}
    if config is not None:
        metadata["config"] = json.dumps(asdict(config), sort_keys=True)
    atomic_write_bytes(path, save_bytes(tensors, metadata=metadata))


@dataclass
class SavedState:
    """A read state file: its step, the weights it embeds (None in files from before they
    did), and the raw tensors the optimizer and RNG are restored from."""

    path: Path
    step: int
    weights: LoadedWeights | None
    tensors: dict[str, torch.Tensor]


def read_state(path: Path) -> SavedState:
    tensors, metadata = read_safetensors(path)
    if "step" not in tensors or tensors["step"].numel() != 1:
        raise CheckpointError(f"{path} is not a Tofy training state file")
    step = int(tensors["step"].reshape(-1)[0].item())
    if step < 0 or metadata_step(path, metadata) != step:
        raise CheckpointError(f"{path} has a step that disagrees with its header")
    embedded = {
        k[len(WEIGHTS_PREFIX) :]: v for k, v in tensors.items() if k.startswith(WEIGHTS_PREFIX)
    }
    weights = None
    if embedded:
        weights = _weights_of(path, embedded, {**metadata, "format": FORMAT})
    return SavedState(path, step, weights, tensors)


def restore_optimizer(
    state: SavedState, model: LatentModel, optimizer: torch.optim.Optimizer
) -> dict[str, torch.Tensor]:
    """Put the state's Adam moments into `optimizer`; returns the RNG states."""
    tensors = state.tensors
    device = next(model.parameters()).device
    step_device = device if optimizer.defaults.get("fused") else torch.device("cpu")
    for name, param in model.named_parameters():
        key = f"optim.{name}"
        if f"{key}.exp_avg" not in tensors:
            continue
        parts = [tensors.get(f"{key}.{part}") for part in ("exp_avg", "exp_avg_sq", "step")]
        if any(p is None for p in parts) or any(p.shape != param.shape for p in parts[:2]):
            shape = tuple(parts[0].shape)
            raise CheckpointError(
                f"training state does not match the model ({name}: {shape} vs "
                f"{tuple(param.shape)}): a run's model size cannot change on resume"
            )
        optimizer.state[param] = {
            "exp_avg": parts[0].to(device),
            "exp_avg_sq": parts[1].to(device),
            "step": parts[2].to(step_device, torch.float32),
        }
    return {k[len("rng.") :]: v for k, v in tensors.items() if k.startswith("rng.")}


def verify_run_files(info, config) -> str:
    """Why a run's checkpoint or weights file cannot be used ("" when both load): every
    tensor's shape against the run's config, finiteness, metadata. Loads the tensors, so it
    is for one run (`tofy show`), not a list."""
    from tofy_core.runs.folders import MODEL_FILE, STATE_FILE

    try:
        model = LatentModel(config.model)
        for name in (STATE_FILE, MODEL_FILE):
            path = info.file(name)
            if not path.exists():
                continue
            weights = read_state(path).weights if name == STATE_FILE else load_weights(path)
            if weights is not None:
                load_into(model, weights, source=f"the weights in {name}")
    except TofyError as exc:
        return str(exc)
    return ""
