"""`tofy diff` from a user's seat: one query, a pipe of queries, JSON lines, a prompt on a
terminal, and the seed's `--diff MODEL VOCAB [sizes]` with its two output lines."""

from __future__ import annotations

import io
import json
import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from conftest import run_cli

from tofy_core import cli
from tofy_core.config import ModelConfig, RunConfig, TrainConfig
from tofy_core.data.split import prepare_data
from tofy_core.runs import folders as runs
from tofy_core.train.trainer import Trainer

REPO = Path(__file__).resolve().parents[1]
QUERY = "so how have you _ lately? => been"
PHRASES = [
    "so how have you been lately?",
    "how have you been doing these days?",
    "i have been busy with work lately.",
    "we went to the park on sunday.",
    "she likes to read books at night.",
    "do you want to get coffee later?",
    "what did you eat for dinner?",
    "have you been to the new museum?",
]
SIZES = {"dim": 16, "max_seq": 24, "layers": 1, "heads": 2}
SEED_LINE_1 = re.compile(
    r"^  L2 \(unit\): \d\.\d{4}  cosine: -?\d\.\d{4}  \(1\.0 = perfect alignment\)$"
)
SEED_LINE_2 = re.compile(
    r'^  Top-5 nearest: [^ ,]+(, [^ ,]+){4}  \(your answer "been" rank: \d+/\d+ cos: -?\d\.\d{4}\)$'
)


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cli_diff_home")


@pytest.fixture(scope="module")
def run(home) -> runs.RunInfo:
    """A tiny run trained 20 steps: enough to have weights, a vocab and run files."""
    corpus = home / "chat.txt"
    corpus.write_text("\n".join(PHRASES) + "\n", encoding="utf-8")
    config = RunConfig(
        ModelConfig(**SIZES, max_vocab=100),
        TrainConfig(data=str(corpus), steps=20, batch=4, holdout=0.0, device="cpu"),
    ).validate()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("TOFY_HOME", str(home))
            trainer = Trainer(runs.create_run(config, "chat"), config, prepare_data(config))
            assert trainer.fit() == "finished"
    finally:
        torch.set_num_threads(threads)
    return trainer.run


@pytest.fixture
def at_home(home, monkeypatch) -> Path:
    """Run ids resolve against the module's data folder."""
    monkeypatch.setenv("TOFY_HOME", str(home))
    return home


def main(capsys, *argv: str, stdin: str | None = None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def tofy(*args: str, home: Path, stdin: str = "", timeout: float = 120):
    return run_cli(*args, timeout=timeout, stdin=stdin, TOFY_HOME=str(home))


# --- the rich form ---------------------------------------------------------------------------


def test_one_query_prints_cosine_l2_rank_and_neighbours(run, at_home, capsys):
    code, out, err = main(capsys, "diff", "chat", "--query", QUERY)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "so how have you _ lately ?"
    assert lines[1].split() == ["answer", "cosine", "L2", "unit", "rank", "pct"]
    answer, cosine, l2_unit, rank, percentile = lines[2].split()
    assert answer == "been" and -1 <= float(cosine) <= 1 and 0 <= float(l2_unit) <= 2
    assert re.fullmatch(r"\d+/\d+", rank) and 0 <= float(percentile) <= 100
    assert lines[3].startswith("  nearest: ") and len(lines[3].split(", ")) == 5


def test_without_an_answer_the_nearest_words_are_the_model_s_guesses(run, capsys):
    code, out, err = main(capsys, "diff", str(run.path), "-q", "so how have you _ lately?")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "so how have you _ lately ?"
    assert lines[1].startswith("  guesses: ") and len(lines[1].split(", ")) == 5


def test_an_unknown_answer_is_reported_beside_the_others_scores(run, capsys):
    code, out, err = main(capsys, "diff", str(run.path), "-q", f"{QUERY}, beeen, zzzq", "--json")
    assert code == 0, err
    found = json.loads(out)
    assert [r["answer"] for r in found["results"]] == ["been"]
    assert [u["answer"] for u in found["unknown_answers"]] == ["beeen", "zzzq"]
    assert "been" in found["unknown_answers"][0]["close"]
    code, out, _ = main(capsys, "diff", str(run.path), "-q", f"{QUERY}, beeen")
    assert "note: 'beeen' is not in the model's vocabulary (close: been" in out


def test_several_answers_are_ranked_and_notes_explain_the_reading(run, capsys):
    query = "so how have you _ lately? zorp => been, you, lately"
    code, out, _ = main(capsys, "diff", str(run.path), "-q", query, "--top-k", "3")
    assert code == 0
    rows = out.splitlines()[2:5]
    ranks = [int(row.split()[-2].split("/")[0]) for row in rows]
    assert ranks == sorted(ranks) and {row.split()[0] for row in rows} == {"been", "you", "lately"}
    assert out.splitlines()[0] == "so how have _ ? zorp"  # the answers left the phrase
    assert "note: removed from the phrase (equal to the answer): lately, you" in out
    assert "note: unknown words (read as <unk>): zorp" in out
    assert len(out.split("nearest: ")[1].splitlines()[0].split(", ")) == 3


def test_a_pipe_gets_one_answer_per_line_and_a_message_per_bad_line(run, capsys, monkeypatch):
    lines = [
        QUERY,
        "how have you been lately",  # no =>
        "how have you lately => been",  # no mask
        "how _ you _ => been",  # two masks
        " => been",  # empty phrase
        "how have you _ =>",  # no answer: the model's guesses
        "how have you _ => been done",  # two words
        "how have you _ => beeen",  # not in the vocabulary
        "zork blorp _ => been",  # only unknown words: answered
        "",
        "never read => been",
    ]
    code, out, err = main(
        capsys, "diff", str(run.path), stdin="\n".join(lines) + "\n", monkeypatch=monkeypatch
    )
    assert code == 1  # a query failed
    assert out.count("nearest: ") == 2 and out.count("guesses: ") == 1
    assert "note: every word of the phrase is unknown to the model" in out
    errors = err.splitlines()
    assert len(errors) == 6 and all(e.startswith("error: ") for e in errors)
    for fragment in ("no mask", "2 masks", "empty phrase"):
        assert any(fragment in e for e in errors), (fragment, errors)
    assert any("one word" in e for e in errors)
    assert any("'beeen' (close: been" in e for e in errors)
    assert "never read" not in out + err


def test_json_prints_one_object_per_query(run, capsys, monkeypatch):
    stdin = f"{QUERY}\nno mask here\n{QUERY.replace('been', 'been, you')}\n"
    argv = ("diff", str(run.path), "--json")
    code, out, _ = main(capsys, *argv, stdin=stdin, monkeypatch=monkeypatch)
    assert code == 1
    first, bad, several = (json.loads(line) for line in out.splitlines())
    assert first["query"] == QUERY and first["tokens"][first["mask_index"]] == "<mask>"
    (result,) = first["results"]
    assert set(result) == {
        "answer",
        "answer_id",
        "cosine",
        "l2_unit",
        "rank",
        "words",
        "cosine_rank",
    }
    assert result["cosine_rank"] is None  # no word prior (the seed's loss): rank is by cosine
    assert len(first["neighbors"]) == 5 and set(first["neighbors"][0]) == {"word", "cosine"}
    assert bad == {"query": "no mask here", "error": bad["error"]} and "no mask" in bad["error"]
    assert [r["answer"] for r in several["results"]] != [] and several["removed"] == ["you"]


def test_a_bad_single_query_fails_with_one_line(run, capsys):
    code, out, err = main(capsys, "diff", str(run.path), "-q", "no mask here => been")
    assert code == 2 and out == ""
    assert err.strip().startswith("error: no mask in the phrase")


def test_files_that_cannot_be_probed_are_one_error_line(run, capsys, tmp_path):
    junk = tmp_path / "model.safetensors"
    junk.write_bytes(b"\x80\x04not safetensors at all")
    code, _, err = main(capsys, "diff", str(junk), "--vocab", str(run.file(runs.VOCAB_FILE)))
    assert code == 2 and "not a readable safetensors file" in err and "Traceback" not in err
    code, _, err = main(capsys, "diff", "missing-run")
    assert code == 2 and "no run 'missing-run'" in err
    vocab = str(run.file(runs.VOCAB_FILE))
    code, _, err = main(capsys, "diff", str(run.path), vocab, "--vocab", vocab)
    assert code == 2 and "not both" in err


# --- the seed's form -------------------------------------------------------------------------


def seed_files(run: runs.RunInfo, folder: Path) -> tuple[str, str]:
    folder.mkdir(exist_ok=True)
    model, vocab = folder / "model_latent.safetensors", folder / "vocab_latent.txt"
    model.write_bytes(run.file(runs.MODEL_FILE).read_bytes())
    vocab.write_bytes(run.file(runs.VOCAB_FILE).read_bytes())
    return str(model), str(vocab)


def test_the_seed_form_prints_the_seed_s_two_lines(run, home, tmp_path):
    model, vocab = seed_files(run, tmp_path)
    sizes = [str(SIZES[k]) for k in ("dim", "max_seq", "layers", "heads")]
    result = tofy("--diff", model, vocab, *sizes, home=home, stdin=f"{QUERY}\nbad => x\n\n")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Model: ~") and lines[1].startswith("Inference (latent diff)")
    answer = [line for line in lines if line.startswith("  ")]
    assert SEED_LINE_1.match(answer[0]), answer[0]
    assert SEED_LINE_2.match(answer[1]), answer[1]
    assert any(line.startswith("(no mask") for line in lines)
    dashless = tofy("diff", model, vocab, home=home, stdin=f"{QUERY}\n")
    assert dashless.returncode == 0, dashless.stderr
    assert [line for line in dashless.stdout.splitlines() if line.startswith("  ")] == answer


def test_the_seed_form_checks_the_sizes_against_the_file(run, home, tmp_path, capsys):
    model, vocab = seed_files(run, tmp_path)
    code, _, err = main(capsys, "--diff", model, vocab, "32", "24", "1", "2")
    assert code == 2 and "has dim 16, but 32 was given" in err
    code, _, err = main(capsys, "--diff", model, vocab, "16", "24", "1", "4")
    assert code == 2 and "has heads 2, but 4 was given" in err
    code, _, err = main(capsys, "--diff", model, vocab, "16", "x")
    assert code == 2 and "max_seq must be a whole number" in err
    code, _, err = main(capsys, "--diff", model)
    assert code == 2 and "usage: tofy --diff MODEL VOCAB" in err


# --- a terminal ------------------------------------------------------------------------------


def read_until(fd: int, marker: str, timeout: float = 60) -> str:
    seen = b""
    deadline = time.monotonic() + timeout
    while marker.encode() not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"no {marker!r} in {seen!r}"
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
    return seen.decode(errors="replace")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_on_a_terminal_it_is_a_prompt_with_history(run, home):
    import pty

    master, slave = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(REPO), "TOFY_HOME": str(home), "TERM": "dumb"}
    child = subprocess.Popen(
        [sys.executable, "-m", "tofy_core", "diff", str(run.path)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=REPO,
        env=env,
    )
    os.close(slave)
    try:
        assert "step 20" in read_until(master, "diff> ")
        os.write(master, b"no mask => been\n")
        assert "error: no mask" in read_until(master, "diff> ")
        os.write(master, f"{QUERY}\n".encode())
        assert "nearest: " in read_until(master, "diff> ")
        os.write(master, b"\n")
        assert child.wait(timeout=30) == 0
    finally:
        if child.poll() is None:
            child.kill()
        os.close(master)
    history = (home / "data" / "diff_history").read_text(encoding="utf-8")
    assert QUERY in history and "no mask => been" in history
