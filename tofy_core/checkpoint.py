"""Weights and training state as safetensors files (never pickle), written atomically.

`model.safetensors` holds the seed-named weights, the teacher table and JSON metadata;
`state.safetensors` holds what resume needs beyond them: Adam moments, step, RNG states."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_bytes
from safetensors.torch import save as save_bytes

from tofy_core.config import ModelConfig, model_config_from_dict
from tofy_core.errors import CheckpointError
from tofy_core.fsutil import atomic_write_bytes
from tofy_core.model import LatentModel, export_tensors, import_tensors

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


def read_safetensors(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Tensors and metadata; a missing, truncated or foreign file is a CheckpointError."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CheckpointError(f"{path} does not exist") from None
    except OSError as exc:
        raise CheckpointError(f"cannot read {path}: {exc.strerror}") from None
    try:
        tensors = load_bytes(raw)
        header_len = int.from_bytes(raw[:8], "little")
        header = json.loads(raw[8 : 8 + header_len])
    except (SafetensorError, ValueError, OverflowError) as exc:
        raise CheckpointError(
            f"{path} is not a readable safetensors file (truncated or foreign?): {exc}"
        ) from None
    metadata = header.get("__metadata__") or {}
    return tensors, {str(k): str(v) for k, v in metadata.items()}


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


def load_weights(path: Path) -> LoadedWeights:
    tensors, metadata = read_safetensors(path)
    if "encoder.embed.weight" not in tensors:
        raise CheckpointError(
            f"{path} is not a Tofy or seed checkpoint: it has no encoder.embed.weight"
        )
    config = None
    if metadata.get("format") == FORMAT:
        try:
            config = model_config_from_dict(json.loads(metadata["config"]))
        except (KeyError, json.JSONDecodeError, TypeError) as exc:
            raise CheckpointError(f"{path} has unreadable metadata: {exc}") from None
    step = int(metadata.get("step", "0") or 0)
    return LoadedWeights(tensors, metadata, config, step)


def infer_seed_config(
    tensors: dict[str, torch.Tensor], heads: int = 4, max_seq: int = 72
) -> ModelConfig:
    """Sizes of a seed file (no metadata) from tensor shapes; heads and max_seq from the user."""
    vocab, dim = tensors["encoder.embed.weight"].shape
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


def load_into(model: LatentModel, weights: LoadedWeights, source: str = "weights") -> None:
    """Copy the file's tensors into `model`; a shape mismatch or a missing tensor (other than
    a seed file's absent teacher table) is a CheckpointError naming `source`."""
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


def save_state(
    path: Path,
    model: LatentModel,
    optimizer: torch.optim.Optimizer,
    step: int,
    rng: dict[str, torch.Tensor],
) -> None:
    """Adam moments keyed by parameter name, the step, and RNG states."""
    tensors: dict[str, torch.Tensor] = {"step": torch.tensor([step], dtype=torch.int64)}
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
    atomic_write_bytes(path, save_bytes(tensors, metadata={"step": str(step), "format": FORMAT}))


def load_state(
    path: Path, model: LatentModel, optimizer: torch.optim.Optimizer
) -> tuple[int, dict[str, torch.Tensor]]:
    """Restore Adam moments into `optimizer`; returns the step and the RNG states."""
    tensors, _ = read_safetensors(path)
    if "step" not in tensors:
        raise CheckpointError(f"{path} is not a Tofy training state file")
    device = next(model.parameters()).device
    step_device = device if optimizer.defaults.get("fused") else torch.device("cpu")
    for name, param in model.named_parameters():
        key = f"optim.{name}"
        if f"{key}.exp_avg" not in tensors:
            continue
        avg = tensors[f"{key}.exp_avg"]
        if avg.shape != param.shape:
            raise CheckpointError(
                f"training state does not match the model ({name}: {tuple(avg.shape)} vs "
                f"{tuple(param.shape)}): a run's model size cannot change on resume"
            )
        optimizer.state[param] = {
            "exp_avg": avg.to(device),
            "exp_avg_sq": tensors[f"{key}.exp_avg_sq"].to(device),
            "step": tensors[f"{key}.step"].to(step_device, torch.float32),
        }
    rng = {k[len("rng.") :]: v for k, v in tensors.items() if k.startswith("rng.")}
    return int(tensors["step"].item()), rng
