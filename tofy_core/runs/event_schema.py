"""The one schema of `metrics.jsonl`: every event kind, and for each kind the fields it carries,
their types and which ones a record cannot do without.

The trainer writes events in one process and the CLI, the TUI and another terminal read them in
others, possibly from a file an older or newer Tofy wrote; a field spelled one way in the writer
and another in a reader fails silently (an empty plot). So the names live here once: the
writer refuses a field that is not declared (`EventWriter.write`), the reader validates records
by it (`events._valid`), and the tests check what the trainer writes against it.

Plain Python, no torch: the TUI imports it at start-up."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any


class Kind:
    """The event kinds, as they appear in a record's `event` field."""

    START = "start"  # a training session begins (a resume starts a new one)
    STEP = "step"  # every log interval
    EVAL = "eval"  # held-out retrieval
    CHECKPOINT = "checkpoint"  # model and state saved
    WARNING = "warning"  # something the user should know (`code`, `message`)
    END = "end"  # how the session ended


KINDS = (Kind.START, Kind.STEP, Kind.EVAL, Kind.CHECKPOINT, Kind.WARNING, Kind.END)
EVENT = "event"  # the field that holds the kind
TIME = "time"  # when the event was written (seconds since the epoch)

# Types. A whole-number field is a step or a count: never negative. `float` is any JSON number
# (an int fits, as in Python's numeric tower); a non-finite one is written as text (`nan`,
# `inf`, `-inf`), since JSON has no NaN.
TEXT = (str,)
COUNT = (int,)
NUMBER = (float,)
FLAG = (bool,)
MAPPING = (dict,)
NON_FINITE = ("nan", "inf", "-inf")


def maybe(types: tuple[type, ...]) -> tuple[type, ...]:
    """`types` or null (JSON's None: e.g. no ETA before a rate is known)."""
    return (*types, type(None))


@dataclass(frozen=True)
class Field:
    """One field of an event kind. `required`: a record without it (or with it of the wrong
    type) is left out when read. `strict`: optional, but a value of the wrong type leaves the
    whole record out, not just the field (the step number the stream is ordered by)."""

    name: str
    types: tuple[type, ...]
    required: bool = False
    strict: bool = False

    @cached_property
    def numeric(self) -> bool:
        return int in self.types or float in self.types


@dataclass(frozen=True)
class EventKind:
    """One kind's fields. `typed`: as a line is read, a field of the wrong type is dropped
    (the series every plot and summary trusts: step, eval); in the other kinds only the
    required and strict fields are checked."""

    name: str
    fields: tuple[Field, ...]
    typed: bool = False

    @cached_property
    def names(self) -> frozenset[str]:
        return frozenset(self.by_name)

    @cached_property
    def vital(self) -> tuple[Field, ...]:
        """The required and strict fields: the ones that decide whether a record is read."""
        return tuple(f for f in self.fields if f.required or f.strict)

    @cached_property
    def by_name(self) -> dict[str, Field]:  # every line read looks its fields up here
        return {f.name: f for f in self.fields}


def fits(value: Any, types: tuple[type, ...]) -> bool:
    """Whether a JSON value is one of `types`, by the rules above."""
    if value is None:
        return type(None) in types
    if isinstance(value, bool):
        return bool in types
    if isinstance(value, int) and int in types:
        return value >= 0
    if float in types and (isinstance(value, int | float) or value in NON_FINITE):
        return True
    return isinstance(value, tuple(t for t in types if t not in (int, float, bool)))


_COMMON = (Field(EVENT, TEXT, required=True), Field(TIME, NUMBER))
_STEP_NUMBER = Field("step", COUNT, required=True)  # the step the event belongs to
_STEP_IF_ANY = Field("step", COUNT, strict=True)

LOSS_PARTS = ("loss", "mse", "ce", "align", "accuracy")  # the total loss and its parts
MEMORY_FIELDS = ("mem_rss", "mem_allocated", "mem_reserved", "mem_peak")  # bytes
EVAL_SCORES = ("top1", "top10", "mean_rank")  # what every eval event has

SCHEMA: dict[str, EventKind] = {
    kind.name: kind
    for kind in (
        EventKind(
            Kind.START,
            (
                *_COMMON,
                Field("run_id", TEXT),
                Field("config", MAPPING),  # RunConfig.to_dict(): {"model": …, "train": …}
                Field("parameters", COUNT),
                Field("device", TEXT),
                Field("corpus", MAPPING),  # TrainingData.sizes()
                Field("dataset", TEXT),
                Field("from_cache", FLAG),
                Field("resumed_from", COUNT),  # the step this session starts at
                Field("phase", COUNT),  # the schedule phase, from 1
                Field("phase_start", COUNT),
                Field("phase_end", COUNT),
                Field("torch", TEXT),  # torch's version
                Field("threads", COUNT),
                Field("processes", COUNT),  # torchrun's world size
            ),
        ),
        EventKind(
            Kind.STEP,
            (
                *_COMMON,
                _STEP_NUMBER,
                Field("steps", COUNT),  # the run's total
                *(Field(name, NUMBER) for name in LOSS_PARTS),
                Field("lr", NUMBER),
                Field("momentum", NUMBER),  # the EMA's
                Field("tokens_per_s", NUMBER),  # padding included
                Field("real_tokens_per_s", NUMBER),
                Field("steps_per_s", NUMBER),
                Field("elapsed", NUMBER),  # seconds of this session's training
                Field("eta", maybe(NUMBER)),  # seconds left; null before a rate is known
                Field("real_tokens", COUNT),  # this session's, all ranks
                Field("train_seconds", NUMBER),
                Field("collapse", NUMBER),  # mean pairwise cosine of sampled target rows
                Field("mem_kind", TEXT),  # "cuda" (allocated, reserved, peak) or "rss"
                *(Field(name, COUNT) for name in MEMORY_FIELDS),
            ),
            typed=True,
        ),
        EventKind(
            Kind.EVAL,
            (
                *_COMMON,
                _STEP_NUMBER,
                *(Field(name, NUMBER, required=True) for name in EVAL_SCORES),
                Field("median_rank", NUMBER),
                Field("count", COUNT),  # in-vocabulary words ranked
                Field("oov", COUNT),  # held-out words outside the vocabulary
                Field("words", COUNT),  # the vocabulary they were ranked among
                Field("unigram_top10", maybe(NUMBER)),  # word counts alone, same words
            ),
            typed=True,
        ),
        EventKind(Kind.CHECKPOINT, (*_COMMON, _STEP_NUMBER, Field("path", TEXT))),
        EventKind(
            Kind.WARNING,
            (
                *_COMMON,
                _STEP_IF_ANY,
                Field("code", TEXT),  # e.g. "below_unigram"
                Field("message", TEXT, required=True),
            ),
        ),
        EventKind(
            Kind.END,
            (
                *_COMMON,
                _STEP_IF_ANY,
                Field("status", TEXT),  # finished | stopped | failed
                Field("error", TEXT),
                Field("last_checkpoint", maybe(COUNT)),
                Field("real_tokens", COUNT),  # this session's summary (rates.RateMeter.totals)
                Field("train_seconds", NUMBER),
                Field("real_tokens_per_s", NUMBER),
            ),
        ),
    )
}


def problems(record: dict[str, Any]) -> list[str]:
    """What is wrong with a record as written: an unknown kind, an undeclared field, a
    required field missing, a field of the wrong type. Empty when it matches the schema."""
    kind = SCHEMA.get(record.get(EVENT)) if isinstance(record.get(EVENT), str) else None
    if kind is None:
        return [f"unknown event kind {record.get(EVENT)!r}"]
    found = [f"{kind.name}: undeclared field {name!r}" for name in record if name not in kind.names]
    for field in kind.fields:
        if field.name not in record:
            if field.required:
                found.append(f"{kind.name}: required field {field.name!r} is missing")
        elif not fits(record[field.name], field.types):
            found.append(f"{kind.name}: {field.name}={record[field.name]!r} is not {field.types}")
    return found
