"""The event schema is the one truth about `metrics.jsonl`: a real run's every record matches
it (no field the schema does not declare, every required one present and typed), the reader
keeps all of it, the writer refuses an undeclared field, and the readers' field lists name
declared fields."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tofy_core.config import ModelConfig, RunConfig, TrainConfig
from tofy_core.data.split import prepare_data
from tofy_core.runs import event_schema as schema
from tofy_core.runs import folders as runs
from tofy_core.runs import metrics
from tofy_core.runs.event_schema import KINDS, SCHEMA, Kind
from tofy_core.runs.events import EventWriter, read_events
from tofy_core.train import measures
from tofy_core.train.trainer import Trainer
from tofy_tui import history


def trained_events(corpus: Path) -> list[dict]:
    """Train 10 steps, logging, evaluating and saving often, on a model held to score below
    word counts (so the run's warning is written too); the records as written."""
    model = ModelConfig(dim=16, layers=1, heads=2, max_vocab=500)
    train = TrainConfig(
        data=str(corpus), steps=10, batch=4, log_every=3, eval_every=4, checkpoint_every=5
    )
    config = RunConfig(model, train).validate()
    trainer = Trainer(runs.create_run(config, "schema"), config, prepare_data(config))
    trainer.baseline.unigram_top10 = 2.0  # no model beats that: the below-word-counts warning
    assert trainer.fit() == "finished"
    path = trainer.run.file(runs.METRICS_FILE)
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_every_record_a_run_writes_matches_the_schema(tiny_corpus):
    records = trained_events(tiny_corpus)
    assert {r["event"] for r in records} == set(KINDS)  # every kind, the warning included
    for record in records:
        assert schema.problems(record) == [], record
        kind = SCHEMA[record["event"]]
        for field in kind.fields:
            if field.required:
                assert schema.fits(record[field.name], field.types), (field, record)
    kept = [  # the reader keeps it all (a null in a step or eval event reads as absent)
        {k: v for k, v in r.items() if v is not None or not SCHEMA[r["event"]].typed}
        for r in records
    ]
    assert read_events(runs.open_run("schema").file(runs.METRICS_FILE)) == kept


def test_the_schema_names_what_the_trainer_writes_and_nothing_it_does_not_know(tiny_corpus):
    written = {(r["event"], name) for r in trained_events(tiny_corpus) for name in r}
    declared = {(kind.name, f.name) for kind in SCHEMA.values() for f in kind.fields}
    assert written <= declared
    memory = {(Kind.STEP, name) for name in schema.MEMORY_FIELDS}  # CUDA's or the CPU's
    assert declared - written <= memory  # no field declared that nothing writes


def test_the_writer_refuses_a_field_the_schema_does_not_declare(tmp_path):
    writer = EventWriter(tmp_path / "metrics.jsonl")
    with pytest.raises(ValueError, match="losss"):
        writer.write(Kind.STEP, step=1, losss=2.0)
    with pytest.raises(ValueError, match="path"):
        writer.write(Kind.STEP, step=1, path="x")  # a checkpoint's field, not a step's
    with pytest.raises(ValueError, match="event"):
        writer.write(Kind.END, event="step")
    with pytest.raises(ValueError, match="kind"):
        writer.write("progress", step=1)
    assert not (tmp_path / "metrics.jsonl").exists()  # nothing half-written
    record = writer.write(Kind.STEP, step=1, loss=float("nan"))
    assert record["loss"] == "nan" and read_events(tmp_path / "metrics.jsonl")[0]["step"] == 1


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ({"event": "step", "step": 3, "loss": "oops", "mem_kind": 7}, {"step": 3}),
        ({"event": "step", "step": 3, "new_metric": 2, "note": "x"}, {"step": 3, "new_metric": 2}),
        ({"event": "step", "step": "3"}, None),  # the step orders the stream: must be whole
        ({"event": "eval", "step": 3, "top1": 0.1, "top10": 0.5}, None),  # mean_rank missing
        ({"event": "warning", "step": 2}, None),  # a warning says something
        ({"event": "end", "step": -1, "status": "finished"}, None),
        ({"event": "end", "status": 3}, {"status": 3}),  # only step/eval fields are typed
        ({"event": "checkpoint"}, None),
        ({"event": "progress", "step": 3}, None),
    ],
)
def test_lines_are_read_by_the_schema(tmp_path, line, kept):
    path = tmp_path / "metrics.jsonl"
    path.write_text(json.dumps(line) + "\n")
    events = read_events(path)
    if kept is None:
        assert events == []
    else:
        assert events == [{"event": line["event"], **kept}]


def test_the_readers_read_declared_fields():
    step, evals = SCHEMA[Kind.STEP].names, SCHEMA[Kind.EVAL].names
    assert set(measures.LOSS_PARTS) == set(schema.LOSS_PARTS)  # the trainer's loss window
    assert set(history.STEP_KEYS) | set(history.MEMORY_KEYS) | history.X_KEYS <= step
    assert set(history.EVAL_KEYS) <= evals
    assert metrics.SKIP.issubset(step)
