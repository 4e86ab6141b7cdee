"""Shared fixtures: every test gets its own TOFY_HOME, and small corpora to train on."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

REPO = Path(__file__).resolve().parents[1]

# Property tests (tests/test_properties.py): CI (CI=true) runs the same examples every time;
# by hand, `HYPOTHESIS_PROFILE=nightly` draws many more, at random. Locally: random, few.
settings.register_profile("ci", max_examples=60, derandomize=True, print_blob=True)
settings.register_profile("nightly", max_examples=2000)
settings.register_profile("dev", max_examples=60)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE")
    or ("ci" if os.environ.get("CI", "").lower() in ("true", "1") else "dev")
)

TINY_PHRASES = [
    "so how have you been lately?",
    "how have you been doing these days?",
    "i have been busy with work lately.",
    "we went to the park on sunday.",
    "she likes to read books at night.",
    "the weather is nice today.",
    "do you want to get coffee later?",
    "i am going to the store now.",
    "my brother plays guitar every day.",
    "what did you eat for dinner?",
    "we watched a movie last night.",
    "the dog is sleeping on the couch.",
    "can you call me tomorrow morning?",
    "i think it will rain later.",
    "they are moving to a new city.",
    "how was your trip to the beach?",
    "i have been feeling tired lately.",
    "let us meet at the cafe at noon.",
    "he has been working on his car.",
    "have you been to the new museum?",
]


@pytest.fixture(autouse=True)
def tofy_home(tmp_path_factory, monkeypatch) -> Path:
    home = tmp_path_factory.mktemp("tofy_home")
    monkeypatch.setenv("TOFY_HOME", str(home))
    return home


@pytest.fixture
def tiny_corpus(tmp_path) -> Path:
    path = tmp_path / "tiny.txt"
    path.write_text("\n".join(f"{p}\tok." for p in TINY_PHRASES) + "\n", encoding="utf-8")
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 free right now, for a server a test starts."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_cli(
    *args: str, cwd: Path | None = None, timeout: float = 120, stdin: str | None = None, **env: str
):
    """`python -m tofy_core ARGS` in a subprocess with the test's TOFY_HOME (or `env`'s),
    fed `stdin` as a pipe when given."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **env}
    return subprocess.run(
        [sys.executable, "-m", "tofy_core", *args],
        capture_output=True,
        text=True,
        cwd=cwd or REPO,
        env=full_env,
        timeout=timeout,
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
    )


TINY_MODEL_ARGS = ("--dim", "16", "--layers", "1", "--heads", "2", "--batch", "4")


# ---------------------------------------------------------------- hub: tests (test_hub*.py)


@pytest.fixture
def hub_isolated(tmp_path, monkeypatch) -> Path:
    """Own TOFY_HOME and Hugging Face home, offline, and a working folder to write data in."""
    monkeypatch.setenv("TOFY_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def loads(monkeypatch) -> list[str]:
    """Every call to the loader boundary, by spec: proves when the cache was used instead."""
    from tofy_core.data import hub

    calls: list[str] = []
    real = hub._load_rows

    def counting(spec, work_dir):
        calls.append(spec.spec)
        return real(spec, work_dir)

    monkeypatch.setattr(hub, "_load_rows", counting)
    return calls


@pytest.fixture
def split_folder(hub_isolated) -> Path:
    from hub_helpers import write_parquet

    folder = Path("splits")
    write_parquet(folder / "data" / "train-00000-of-00002.parquet", {"text": ["train one a"]})
    write_parquet(folder / "data" / "train-00001-of-00002.parquet", {"text": ["train two b"]})
    write_parquet(folder / "test.parquet", {"text": ["test only c"], "label": [1]})
    write_parquet(folder / "dev" / "part.parquet", {"dialog": [["dev turn d"]]})
    return folder
