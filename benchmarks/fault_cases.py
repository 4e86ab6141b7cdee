"""The fault probe's cases (run by faults.py): damaged run files (fault_files.py), destructive
commands given odd references, bad inputs and bad environments. Each case says the exit
status, the words naming the problem and the state of the disk afterwards; `fast=True`
marks the subset CI runs (tests/test_faults.py)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from fault_files import event_cases, file_cases
from faults import TINY, Probe, Result, both, cli, process, unchanged


def run_all(probe: Probe, work: Path) -> None:
    from faults import PHRASES

    from tofy_core import paths

    data = work / "data.txt"
    data.write_text(PHRASES + "\n")
    trained = cli("train", str(data), *TINY, "--run-id", "good")
    assert trained.code == 0, trained.err
    template = work / "template"
    shutil.copytree(paths.runs_dir() / "good", template)
    file_cases(probe, template, work)
    event_cases(probe, template, work)
    delete_cases(probe, template, work)
    reference_cases(probe, template, work)
    input_cases(probe, data, work)
    environment_cases(probe, data, work)
    if not probe.fast:
        hub_cases(probe, work)


def gone(path: Path) -> Callable[[Result], str]:
    return lambda _: f"{path} is still there" if path.exists() or path.is_symlink() else ""


def there(path: Path) -> Callable[[Result], str]:
    return lambda _: "" if path.exists() else f"{path} is gone"


@contextlib.contextmanager
def home(folder: Path) -> Iterator[None]:
    """TOFY_HOME moved to `folder` for the block."""
    old = os.environ["TOFY_HOME"]
    os.environ["TOFY_HOME"] = str(folder)
    try:
        yield
    finally:
        os.environ["TOFY_HOME"] = old


def in_folder(folder: Path) -> Callable[..., Result]:
    """A runner: `cli` with the current directory at `folder`."""

    def run(*argv: str, **options) -> Result:
        cwd = os.getcwd()
        os.chdir(folder)
        try:
            return cli(*argv, **options)
        finally:
            os.chdir(cwd)

    return run


def delete_cases(probe: Probe, good: Path, work: Path) -> None:
    from tofy_core import paths

    outside = work / "outside"
    outside.mkdir()
    (outside / "run.json").write_text('{"status": "finished"}')
    probe.case("delete a folder outside the home", "delete", str(outside), "--yes",
               says="not a run folder inside", then=there(outside / "run.json"),
               fast=True)  # fmt: skip
    shutil.copytree(good, paths.runs_dir() / "myrun")
    shadow = work / "myrun"
    shadow.mkdir()
    (shadow / "run.json").write_text('{"status": "finished"}')
    probe.case("delete myrun with ./myrun in the current folder", "delete", "myrun", "--yes",
               code=0, says="deleted myrun", run=in_folder(work),
               then=both(there(shadow / "run.json"), gone(paths.runs_dir() / "myrun")),
               fast=True)  # fmt: skip
    target = work / "precious"
    shutil.copytree(good, target)
    link = paths.runs_dir() / "linked"
    link.symlink_to(target, target_is_directory=True)
    probe.case("delete a symlinked run folder", "delete", "linked", "--yes", code=0,
               then=both(there(target / "run.json"), gone(link)), fast=True)  # fmt: skip
    probe.case("delete ../", "delete", "../", "--yes", says="not a run folder",
               then=unchanged(paths.runs_dir()), fast=True)  # fmt: skip
    shutil.copytree(good, paths.runs_dir() / "sentinel-long-id")
    probe.case("delete by an id prefix with --yes", "delete", "sentinel-lo", "--yes",
               says="sentinel-long-id", then=there(paths.runs_dir() / "sentinel-long-id"),
               fast=True)  # fmt: skip
    shutil.rmtree(paths.runs_dir() / "sentinel-long-id", ignore_errors=True)
    with home(work / "one-run-home"):  # item: an empty reference is a prefix of every id
        only = paths.runs_dir() / "only"
        shutil.copytree(good, only)
        for ref in ("", "  "):
            probe.case(f"delete {ref!r} in a home with one run", "delete", ref, "--yes",
                       says="run id", then=there(only / "run.json"), fast=True)  # fmt: skip
    stale = paths.runs_dir() / "stale"  # running, a live pid, no start time recorded
    shutil.copytree(good, stale)
    info = json.loads((stale / "run.json").read_text())
    info.update(status="running", pid=os.getpid())
    info.pop("pid_started", None)
    (stale / "run.json").write_text(json.dumps(info))
    probe.case("a running run with no start time: show", "show", "stale", code=0,
               says="interrupted", fast=True)  # fmt: skip
    probe.case("a running run with no start time: delete", "delete", "stale", "--yes", code=0,
               then=gone(stale), fast=True)  # fmt: skip


def reference_cases(probe: Probe, good: Path, work: Path) -> None:
    """Names that could mean two things: the run always wins, and export never writes into
    the runs folder."""
    from tofy_core import paths

    named = paths.runs_dir() / "named"
    shutil.copytree(good, named)
    info = json.loads((named / "run.json").read_text())
    (named / "run.json").write_text(json.dumps({**info, "name": "sentinel"}))
    (work / "sentinel").mkdir()  # a folder of that name in the current directory
    probe.case("diff NAME with ./NAME in the current folder", "diff", "sentinel", "--query",
               "we _ to => went", code=0, says="went", run=in_folder(work), fast=True)  # fmt: skip
    probe.case("export into the runs folder", "export", "good", str(paths.runs_dir()),
               says="runs", then=unchanged(paths.runs_dir()), fast=True)  # fmt: skip
    for name in ("model_latent.safetensors", "vocab_latent.txt"):  # what a wrong export left
        (paths.runs_dir() / name).unlink(missing_ok=True)
    twin = ("train", str(work / "data.txt"), *TINY, "--name", "sentinel")
    probe.case("train --name of another run", *twin, says="sentinel",
               then=unchanged(paths.runs_dir()), fast=True)  # fmt: skip
    escape = paths.runs_dir() / "escape"
    shutil.copytree(good, escape)
    info = json.loads((escape / "run.json").read_text())
    (escape / "run.json").write_text(json.dumps({**info, "name": "\x1b[2Jgone\nline"}))
    probe.case("a name with escapes is not printed raw", "runs", code=0, says="escape",
               then=_no_control_characters, fast=True)  # fmt: skip
    shutil.rmtree(escape)
    shutil.rmtree(named)


def _no_control_characters(result: Result) -> str:
    raw = [c for c in result.out + result.err if ord(c) < 32 and c not in "\n"]
    return f"prints {len(raw)} control characters raw" if raw else ""


def input_cases(probe: Probe, data: Path, work: Path) -> None:
    from tofy_core import paths

    runs_folder = paths.runs_dir()
    train = ("train", str(data), *TINY)
    for label, value in (("a newline", "two\nlines"), ("an escape", "\x1b[2Jclear")):
        probe.case(f"train --name with {label}", *train, "--name", value,
                   says="one line|control|escape|newline",
                   then=unchanged(runs_folder), fast=True)  # fmt: skip
    probe.case("--max-vocab 4", *train, "--max-vocab", "4", says="max.vocab",
               then=unchanged(runs_folder), fast=True)  # fmt: skip
    probe.case("--negatives 1000000000", *train, "--negatives", "1000000000",
               says="negatives", then=both(unchanged(runs_folder), _not_says("--dim")),
               fast=True)  # fmt: skip
    for value in ("2147483648", str(2**70)):
        probe.case(f"--max-seq {value}", *train, "--max-seq", value, says="max.seq",
                   then=unchanged(runs_folder), fast=True)  # fmt: skip
    probe.case("seed beyond 64 bits", *train, "--seed", str(2**70), says="64-bit",
               then=unchanged(runs_folder), fast=True)  # fmt: skip
    probe.case("masks-per-seq > max_seq", *train, "--max-seq", "8", "--masks-per-seq", "50",
               says="max_seq", then=unchanged(runs_folder))  # fmt: skip
    big = ("--dim", "65536", "--layers", "64", "--heads", "64", "--steps", "2", "--batch", "4")
    probe.case("a model too large for memory", "train", str(data), *big, says="needs about",
               then=unchanged(runs_folder))  # fmt: skip
    probe.case("data file missing", "train", str(work / "none.txt"), *TINY,
               says="none.txt", then=unchanged(runs_folder), fast=True)  # fmt: skip
    binary = work / "binary.txt"
    binary.write_bytes(b"\x00\x01\x02" * 20)
    probe.case("data file binary", "train", str(binary), *TINY, says="binary",
               then=unchanged(runs_folder))  # fmt: skip
    fifo = work / "fifo.txt"
    os.mkfifo(fifo)
    probe.case("data file a FIFO", "train", str(fifo), *TINY, run=process,
               says="fifo|pipe|not a (regular )?file", then=unchanged(runs_folder),
               fast=True)  # fmt: skip
    for label, stdin in (("a bad byte", b"we _ to => went\n\xff\xfe not text\n"),
                         ("latin-1", "we _ to => caf\xe9\n".encode("latin-1"))):  # fmt: skip
        probe.case(f"diff stdin with {label}", "diff", "good", run=process, stdin=stdin,
                   says="UTF-8", fast=label == "a bad byte")  # fmt: skip
    probe.case("resume a run that does not exist", "resume", "nope", says="no run 'nope'",
               fast=True)  # fmt: skip
    prepared = work / "prepared.txt"
    prepared.write_text("keep me\n")
    columns = ("--question-col", "text", "--answer-col", "b")
    probe.case("prepare --output over an existing file", "prepare", str(parquet(work)),
               *columns, "--output", str(prepared), says="--force",
               then=_holds(prepared, "keep me\n"), fast=True)  # fmt: skip


def parquet(work: Path) -> Path:
    """A folder of one parquet file (made once), a local stand-in for a hub dataset."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = work / "pq"
    if not folder.exists():
        folder.mkdir()
        table = pa.table({"text": ["one line here", "two lines here"], "b": ["x y", "y z"]})
        pq.write_table(table, folder / "train.parquet")
    return folder


def _not_says(words: str) -> Callable[[Result], str]:
    return lambda r: f"blames {words}" if words in r.err else ""


def _holds(path: Path, text: str) -> Callable[[Result], str]:
    return lambda _: "" if path.read_text() == text else f"{path.name} was overwritten"


def environment_cases(probe: Probe, data: Path, work: Path) -> None:
    as_file = work / "home-file"
    as_file.write_text("x")
    with home(as_file):
        for argv in (("runs",), ("show", "x"), ("train", str(data), *TINY), ("datasets",)):
            probe.case(f"TOFY_HOME is a file: {argv[0]}", *argv, says="TOFY_HOME",
                       then=lambda _: "" if as_file.read_text() == "x" else "changed",
                       fast=argv[0] == "runs")  # fmt: skip
    probe.case("hub:/", "train", "hub:/", *TINY, says="dataset")


def hub_cases(probe: Probe, work: Path) -> None:
    from tofy_core import paths
    from tofy_core.data.hub_cache import hub_cache_dir

    folder = parquet(work)
    probe.case("hub folder converts", "train", f"hub:{folder}", *TINY, "--run-id", "h1",
               code=0, then=there(paths.runs_dir() / "h1" / "model.safetensors"))  # fmt: skip
    for sidecar in hub_cache_dir().glob("*.json"):
        data = json.loads(sidecar.read_text())
        sidecar.write_text(json.dumps({**data, "lines": "abc"}))
    probe.case("hub sidecar lines abc", "train", f"hub:{folder}", *TINY, "--run-id", "h2",
               code=0, then=there(paths.runs_dir() / "h2" / "model.safetensors"))  # fmt: skip
    probe.case("datasets lists a bad sidecar", "datasets", code=0)
