"""Messages workers post to screens (the only way background work reaches the UI), and the
data types they carry, which widgets render."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message


@dataclass(frozen=True)
class RunEnd:
    """How a run ended: the trainer's `end` event, or what the watcher saw instead."""

    status: str  # finished | stopped | failed | interrupted
    error: str = ""
    step: int | None = None


class RunEvents(Message):
    """New events read from a run's metrics.jsonl."""

    def __init__(self, run_id: str, events: list[dict[str, Any]]) -> None:
        super().__init__()
        self.run_id = run_id
        self.events = events


class RunNote(Message):
    """A line the training child printed before its first event: the data's preparation
    (a `hub:` conversion, the token cache's first pass with its progress, or `cached`)."""

    def __init__(self, run_id: str, text: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.text = text


class RunEnded(Message):
    """The watched run is over (its `end` event, or its process is gone)."""

    def __init__(self, run_id: str, end: RunEnd) -> None:
        super().__init__()
        self.run_id = run_id
        self.end = end


@dataclass(frozen=True)
class VocabSettings:
    """The settings a run's vocabulary depends on besides its data (the form's, else the
    engine's defaults)."""

    lowercase: bool = True
    holdout: float = 0.02
    seed: int = 0


class DataDescribed(Message):
    """A line about the form's data source and, when known, how many distinct words it has."""

    def __init__(
        self,
        source: str,
        message: str,
        error: bool,
        words: int | None,
        settings: VocabSettings | None = None,
    ) -> None:
        super().__init__()
        self.source = source
        self.settings = settings  # what the words were counted with
        self.message = message
        self.error = error
        self.words = words


class DeviceChecked(Message):
    """The engine's verdict on a device setting ("" = usable), from a worker: asking for a
    CUDA GPU imports torch."""

    def __init__(self, device: str, problem: str) -> None:
        super().__init__()
        self.device = device
        self.problem = problem


class ModelLoaded(Message):
    """The Diff screen's worker loaded a model: `prober` is a `tofy_core.diff.Prober`."""

    def __init__(self, ref: str, prober: Any) -> None:
        super().__init__()
        self.ref = ref
        self.prober = prober


class ModelFailed(Message):
    """A model could not be loaded; `problem` is the engine's one line."""

    def __init__(self, ref: str, problem: str) -> None:
        super().__init__()
        self.ref = ref
        self.problem = problem
