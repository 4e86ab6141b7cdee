"""Model and training settings as dataclasses: defaults from the seed, validation with clear
messages, and the parameter count the CLI and the TUI show before a run starts."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from tofy_core.errors import ConfigError

SPECIAL_TOKENS = ("<pad>", "<unk>", "<mask>")
DEVICES = ("auto", "cpu", "cuda")
CONTRAST_TABLES = ("teacher", "online")


# Far beyond any model this studio trains, and small enough that every size computed from them
# stays a machine integer: a config.json or an option past them is refused by name.
SIZE_LIMITS = {"dim": 65_536, "max_seq": 8_192, "layers": 1_024, "heads": 1_024}
SIZE_LIMITS["max_vocab"] = 16_777_216


@dataclass
class ModelConfig:
    """Sizes of the encoder and predictor, and the tokenizer setting inference must repeat."""

    dim: int = 256
    max_seq: int = 72
    layers: int = 4
    heads: int = 4
    max_vocab: int = 32000
    lowercase: bool = True
    word_prior: bool = False  # a learned per-word score added to the cosine (model/latent.py)
    # Std of the embedding rows at initialisation (the seed's 0.02). Only a fresh model reads it.
    embed_std: float = 0.02
    vocab_size: int | None = None  # the built vocabulary's size, known once the data is read

    def validate(self) -> ModelConfig:
        for name, cap in SIZE_LIMITS.items():
            _positive(name, getattr(self, name))
            if getattr(self, name) > cap:
                raise ConfigError(
                    f"{name} must be at most {cap:,}, got {getattr(self, name):,}", field=name
                )
        if self.max_vocab < 5:
            raise ConfigError(
                f"max_vocab must be at least 5 (3 special tokens + 2 words), got {self.max_vocab}",
                field="max_vocab",
            )
        if self.dim % self.heads:
            raise ConfigError(
                f"dim {self.dim} is not divisible by heads {self.heads}: "
                f"pick heads among {_divisors(self.dim)}",
                field="heads",
            )
        if not (self.embed_std > 0 and math.isfinite(self.embed_std)):
            raise ConfigError(
                f"embed_std must be a positive number, got {self.embed_std}", field="embed_std"
            )
        if self.max_seq < 2:
            raise ConfigError(f"max_seq must be at least 2, got {self.max_seq}", field="max_seq")
        return self

    @property
    def effective_vocab(self) -> int:
        return self.vocab_size if self.vocab_size is not None else self.max_vocab

    def parameter_count(self) -> int:
        """Trainable parameters: embedding, blocks, final norm, predictor and word prior."""
        d, v = self.dim, self.effective_vocab
        block = 4 * (d * d + d) + 2 * (2 * d) + (d * 4 * d + 4 * d) + (4 * d * d + d)
        prior = v - len(SPECIAL_TOKENS) if self.word_prior else 0
        return v * d + self.layers * block + 2 * d + 2 * (d * d + d) + prior

    def non_embedding_parameters(self) -> int:
        return self.parameter_count() - self.effective_vocab * self.dim


@dataclass
class TrainConfig:
    """Everything a training run needs besides the model sizes; schedules derive from `steps`."""

    data: str = ""  # a text file, or hub:<id>; empty = the embedded default corpus
    steps: int = 10000
    batch: int = 16
    lr: float = 3e-4
    min_lr: float = 1e-5
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    mask_rate: float = 0.15
    masks_per_seq: int = 0  # 0: mask_rate of the real tokens (at least one); N: exactly N
    negatives: int = 0  # 0: every real word is a negative; N: N sampled uniformly
    # Several whole phrases share a row of max_seq (attention and positions per phrase), so
    # no compute goes to padding; False: one padded row per phrase. `batch` counts phrases.
    pack: bool = True
    temperature: float = 0.05
    mse_weight: float = 20.0
    ce_weight: float = 1.0
    align_weight: float = 0.1
    # The rows the contrastive loss scores against: "teacher" (the EMA table, no gradient:
    # the seed) or "online" (the embedding table, which the loss then trains too).
    contrast: str = "teacher"
    ema_start: float = 0.996
    ema_end: float = 1.0
    holdout: float = 0.02
    eval_phrases: int = 1000
    device: str = "auto"
    seed: int = 0
    name: str = ""
    log_every: int = 10
    eval_every: int = 200
    checkpoint_every: int = 1000
    compile: bool = False
    tensorboard: bool = False  # also write TensorBoard event files into the run folder
    threads: int = 0  # CPU threads for torch; 0 = the default rule (threads.py)
    preset: str = ""  # the preset the sizes came from, for the record ("" = none)
    recipe: str = ""  # the recipe the loss came from (recipes.py), for the record ("" = none)
    # Size and sha256 of the text the run read (a hub: source's cached text), so a resume
    # notices a changed file; 0 / "" = not recorded (runs from before it was).
    data_bytes: int = 0
    data_sha256: str = ""
    # Schedule phases as [start, end) step pairs, empty = one phase [0, steps). Extending a run
    # (`tofy resume --steps N`) adds one: the lr warm-up/decay and the EMA momentum ramp start
    # again there, and the earlier phases stay as they ran (a cut-short one keeps its end).
    phases: list[list[int]] = field(default_factory=list)

    def validate(self) -> TrainConfig:
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if isinstance(value, float) and not math.isfinite(value):
                raise ConfigError(f"{item.name} must be a finite number, got {value}", item.name)
        for name in (
            "steps",
            "batch",
            "log_every",
            "eval_every",
            "checkpoint_every",
            "eval_phrases",
        ):
            _positive(name, getattr(self, name))
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ConfigError(f"lr must be a positive number, got {self.lr}", field="lr")
        if not 0 < self.mask_rate <= 1:
            raise ConfigError(
                f"mask_rate must be in (0, 1], got {self.mask_rate}", field="mask_rate"
            )
        if self.masks_per_seq < 0:
            raise ConfigError(
                f"masks_per_seq must be 0 (use mask_rate) or more, got {self.masks_per_seq}",
                field="masks_per_seq",
            )
        seed = self.seed
        if not isinstance(seed, int) or isinstance(seed, bool) or not -(2**63) <= seed < 2**64:
            raise ConfigError(f"seed must be a 64-bit whole number, got {seed}", "seed")
        for name in ("pack", "tensorboard"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(
                    f"{name} must be true or false, got {getattr(self, name)!r}", field=name
                )
        if self.negatives < 0:
            raise ConfigError(
                f"negatives must be 0 (whole vocabulary) or more, got {self.negatives}",
                field="negatives",
            )
        if not 0 <= self.holdout < 0.5:
            raise ConfigError(f"holdout must be in [0, 0.5), got {self.holdout}", field="holdout")
        check_device_name(self.device)
        if self.contrast not in CONTRAST_TABLES:
            raise ConfigError(
                f"contrast must be one of {', '.join(CONTRAST_TABLES)}, got {self.contrast!r}",
                field="contrast",
            )
        if not 0 <= self.ema_start <= 1 or not 0 <= self.ema_end <= 1:
            raise ConfigError(
                f"ema_start and ema_end must be in [0, 1], got {self.ema_start} and {self.ema_end}",
                field="ema_start",
            )
        for name in ("mse_weight", "ce_weight", "align_weight"):
            if not (getattr(self, name) >= 0 and math.isfinite(getattr(self, name))):
                raise ConfigError(
                    f"{name} must be 0 or more, got {getattr(self, name)}", field=name
                )
        if self.temperature <= 0:
            raise ConfigError(
                f"temperature must be positive, got {self.temperature}", field="temperature"
            )
        if not isinstance(self.threads, int) or isinstance(self.threads, bool) or self.threads < 0:
            raise ConfigError(
                f"threads must be 0 (the default rule) or a positive count, got {self.threads!r}",
                field="threads",
            )
        self._validate_phases()
        return self

    def _validate_phases(self) -> None:
        if not self.phases:
            return
        pairs = [tuple(p) for p in self.phases]
        ok = all(len(p) == 2 and all(type(x) is int for x in p) and p[0] < p[1] for p in pairs)
        ok = ok and pairs[0][0] == 0 and pairs[-1][1] == self.steps
        ok = ok and all(a[0] < b[0] <= a[1] for a, b in pairwise(pairs))
        if not ok:
            raise ConfigError(
                f"phases must be [start, end] step pairs from 0 to steps ({self.steps}), each "
                f"starting inside the one before, got {self.phases!r}",
                field="phases",
            )

    def warmup_steps(self, span: int | None = None) -> int:
        """Warm-up length of a schedule phase of `span` steps (default: the whole run)."""
        span = self.steps if span is None else span
        return min(max(span // 10, 1), 2000)

    def phase_at(self, step: int) -> tuple[int, int]:
        """The schedule phase [start, end) that `step` belongs to."""
        start, end = 0, self.steps
        for first, last in self.phases:
            if first <= step:
                start, end = first, last
        return start, end

    def extend(self, step: int, steps: int) -> None:
        """Continue a run that is at `step` up to a new total `steps` as a new schedule phase
        (its own warm-up and decay), instead of bending the old schedule; same total: no-op."""
        if steps <= step:
            raise ConfigError(
                f"--steps {steps} is not above the run's current step {step}: "
                "give the new total, larger than that",
                field="steps",
            )
        if steps == self.steps:
            return
        kept = [list(p) for p in (self.phases or [[0, self.steps]]) if p[0] < step]
        kept.append([step, steps])
        self.phases = kept if len(kept) > 1 else []
        self.steps = steps


@dataclass
class RunConfig:
    """What `config.json` holds: the model and the training settings together."""

    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def validate(self) -> RunConfig:
        self.model.validate()
        self.train.validate()
        if self.train.negatives > self.model.max_vocab:
            raise ConfigError(
                f"negatives {self.train.negatives:,} is more than max_vocab "
                f"{self.model.max_vocab:,}: there are not that many words to draw",
                field="negatives",
            )
        if self.train.masks_per_seq > self.model.max_seq:
            raise ConfigError(
                f"masks_per_seq {self.train.masks_per_seq} is more than max_seq "
                f"{self.model.max_seq}: a row cannot hold that many masks",
                field="masks_per_seq",
            )
        return self

    def to_dict(self) -> dict[str, Any]:
        return {"model": dataclasses.asdict(self.model), "train": dataclasses.asdict(self.train)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        return cls(
            model=model_config_from_dict(data.get("model", {})),
            # a run saved before packing existed trained unpacked: resume it so, exactly
            train=_from_dict(TrainConfig, {"pack": False, **data.get("train", {})}),
        )


def model_config_from_dict(data: dict[str, Any]) -> ModelConfig:
    return _from_dict(ModelConfig, data)


def _from_dict(cls: type, data: dict[str, Any]) -> Any:
    """Build a dataclass from a dict, ignoring keys a newer or older version may add."""
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


def _positive(name: str, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ConfigError(f"{name} must be a positive whole number, got {value!r}", field=name)


def check_processes(train: TrainConfig, processes: int) -> None:
    """Settings that several training processes (torchrun) cannot honour: torch.compile
    would compile the bare loss, bypassing DDP's gradient averaging."""
    if train.compile and processes > 1:
        raise ConfigError(
            "--compile works with one training process only (the compiled model would skip "
            "the processes' gradient averaging): drop --compile or train with one process",
            field="compile",
        )


def check_device_name(name: str) -> None:
    """`name` is one of DEVICES (whether a CUDA GPU is present is preflight's question)."""
    if name not in DEVICES:
        raise ConfigError(
            f"device must be one of {', '.join(DEVICES)}, got {name!r}", field="device"
        )


def _divisors(n: int) -> str:
    found = [str(k) for k in range(1, min(n, 64) + 1) if n % k == 0]
    return ", ".join(found[:8])
