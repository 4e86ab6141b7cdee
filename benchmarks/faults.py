"""Fault probe, run by hand: bad files, bad inputs and bad environments thrown at the CLI,
each outcome sorted into clean error (one line, non-zero exit), correct result, traceback or
wrong result (a success that should not be, or a good run hidden or lost).

    python benchmarks/faults.py            # the table; --verbose prints every case
    python benchmarks/sigkill.py --tries 15  # the SIGKILL half

Cases run in this process through `tofy_core.cli.main` (an uncaught exception is a
traceback), each on a fresh copy of one trained run, under a throwaway TOFY_HOME."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import struct
import sys
import tempfile
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

TINY = ["--dim", "16", "--layers", "1", "--heads", "2", "--batch", "4", "--steps", "6"]
PHRASES = "\n".join(
    f"{w} went to the {p} on {d}."
    for w in ("we", "they", "she", "he")
    for p in ("park", "store", "beach")
    for d in ("sunday", "monday")
)


def cli(*argv: str, stdin: str | bytes = "") -> tuple[int | None, str, str]:
    """Exit code (None: an exception escaped), stdout, stderr (the traceback when one did)."""
    from tofy_core.cli import main

    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    if isinstance(stdin, bytes):  # a strict UTF-8 pipe, as a terminal or `<` gives
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8", errors="strict")
    else:
        sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(argv))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 2
    except BaseException:
        return None, out.getvalue(), traceback.format_exc()
    finally:
        sys.stdin = old_stdin
    return code, out.getvalue(), err.getvalue()


def clean_error(code, out, err) -> bool:
    return code not in (0, None) and "Traceback" not in err and err.strip().count("\n") <= 2


class Probe:
    """Runs cases and counts their outcomes."""

    def __init__(self, home: Path, verbose: bool) -> None:
        self.home, self.verbose = home, verbose
        self.counts: Counter[str] = Counter()
        self.bad: list[str] = []

    def record(self, name: str, outcome: str, detail: str = "") -> None:
        self.counts[outcome] += 1
        if outcome in ("traceback", "wrong"):
            self.bad.append(f"{outcome:<9} {name}: {detail.strip().splitlines()[-1:]}")
        if self.verbose:
            print(f"{outcome:<12} {name}")

    def expect_error(self, name: str, *argv: str, stdin: str | bytes = "") -> None:
        code, out, err = cli(*argv, stdin=stdin)
        if code is None:
            self.record(name, "traceback", err)
        elif clean_error(code, out, err):
            self.record(name, "clean error")
        else:
            self.record(name, "wrong", f"exit {code}: {out[-200:]} {err[-200:]}")

    def expect(self, name: str, check: Callable[[int, str, str], bool], *argv: str) -> None:
        code, out, err = cli(*argv)
        try:
            good = code is not None and check(code, out, err)
        except Exception as exc:  # the state after the command is not what it should be
            good, err = False, f"{err} / check: {exc}"
        if code is None:
            self.record(name, "traceback", err)
        elif good:
            self.record(name, "correct")
        else:
            self.record(name, "wrong", f"exit {code}: {out[-200:]} {err[-200:]}")


def safetensors(header: dict, body: bytes = b"") -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + body


def tensors_with(path: Path, change: Callable[[dict], None], meta: dict | None = None) -> None:
    from safetensors.torch import load_file, save_file

    from tofy_core.runs.checkpoint import read_safetensors

    tensors = load_file(path)
    _, metadata = read_safetensors(path)
    change(tensors)
    save_file(tensors, path, metadata={**metadata, **(meta or {})})


def file_cases(probe: Probe, good: Path, data: Path) -> None:
    """Each bad file in a copy of a trained run: listing stays whole, the rest is one line."""
    import torch

    def embed_1d(t):
        t["encoder.embed.weight"] = t["encoder.embed.weight"][0].clone()

    def embed_3d(t):
        t["encoder.embed.weight"] = t["encoder.embed.weight"][None].clone()

    def q_wrong(t):
        t["encoder.block_0.attn.q_proj.weight"] = torch.zeros(3, 5)

    def nan(t):
        t["encoder.embed.weight"][3, 0] = float("nan")

    cases: list[tuple[str, Callable[[Path], None]]] = [
        ("run.json torn", lambda f: (f / "run.json").write_text('{"status": "fin')),
        ("run.json step abc", lambda f: _json_edit(f / "run.json", step="abc")),
        ("run.json pid abc", lambda f: _json_edit(f / "run.json", pid="abc")),
        ("run.json a list", lambda f: (f / "run.json").write_text("[1, 2]")),
        ("run.json status odd", lambda f: _json_edit(f / "run.json", status=7)),
        ("config torn", lambda f: (f / "config.json").write_text("{")),
        ("config model list", lambda f: (f / "config.json").write_text('{"model": [1, 2]}')),
        ("config dim text", lambda f: _json_edit(f / "config.json", model={"dim": "x"})),
        ("config missing", lambda f: (f / "config.json").unlink()),
        ("model truncated", lambda f: _truncate(f / "model.safetensors")),
        ("model random", lambda f: (f / "model.safetensors").write_bytes(os.urandom(300))),
        ("model no tensors", lambda f: (f / "model.safetensors").write_bytes(safetensors({}))),
        ("model embed 1-D", lambda f: tensors_with(f / "model.safetensors", embed_1d)),
        ("model embed 3-D", lambda f: tensors_with(f / "model.safetensors", embed_3d)),
        ("model q_proj shape", lambda f: tensors_with(f / "model.safetensors", q_wrong)),
        ("model NaN", lambda f: tensors_with(f / "model.safetensors", nan)),
        ("model step abc", lambda f: tensors_with(f / "model.safetensors", id, {"step": "abc"})),
        (
            "model config types",
            lambda f: tensors_with(f / "model.safetensors", id, {"config": '{"dim": "x"}'}),
        ),
        ("state truncated", lambda f: _truncate(f / "state.safetensors")),
        ("state random", lambda f: (f / "state.safetensors").write_bytes(os.urandom(300))),
        ("state embed 3-D", lambda f: _state_edit(f, embed_3d)),
        ("state NaN", lambda f: _state_edit(f, nan)),
        ("vocab foreign", lambda f: (f / "vocab.txt").write_text("a\nb\n")),
        ("vocab binary", lambda f: (f / "vocab.txt").write_bytes(b"\xff\xfe\x00")),
    ]
    from tofy_core import paths

    for label, damage in cases:
        folder = paths.runs_dir() / "victim"
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(good, folder)
        try:
            damage(folder)
        except KeyError:  # the file format has no such part (state files before weights)
            continue
        probe.expect(f"{label}: runs", _lists_both, "runs")
        probe.expect(f"{label}: runs --json", _lists_both_json, "runs", "--json")
        probe.expect(f"{label}: show", _says_damaged, "show", "victim")
        query = ("diff", "victim", "--query", "we _ to => went")
        if label.startswith(("run.json", "config", "state")):
            # diff reads the weights and vocabulary only: those are whole here
            probe.expect(f"{label}: diff", _ok, *query)
        else:
            probe.expect_error(f"{label}: diff", *query)
        resume = ("resume", "victim", "--steps", "8")
        if label.startswith(("run.json", "model")):
            # run.json is rewritten and the model file re-exported from the checkpoint
            probe.expect(f"{label}: resume repairs", _repaired, *resume)
        else:
            probe.expect_error(f"{label}: resume", *resume)
    shutil.rmtree(paths.runs_dir() / "victim", ignore_errors=True)

    metrics = paths.runs_dir() / "good" / "metrics.jsonl"
    with metrics.open("a") as handle:
        handle.write('{"event": "step"}\n{"event": "step", "step": "x", "loss": "y"}\n[1]\n')
        handle.write('{"event": "eval", "step": 3, "top10": "abc"}\n')
    probe.expect("metrics bad lines: show", _ok, "show", "good")
    probe.expect("metrics bad lines: runs", _ok, "runs")


def _json_edit(path: Path, **changes) -> None:
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _state_edit(folder: Path, change: Callable[[dict], None]) -> None:
    def prefixed(tensors: dict) -> None:
        inner = {k[len("weights.") :]: v for k, v in tensors.items() if k.startswith("weights.")}
        change(inner)
        tensors.update({f"weights.{k}": v for k, v in inner.items()})

    tensors_with(folder / "state.safetensors", prefixed)


def _ok(code, out, err) -> bool:
    return code == 0


def _lists_both(code, out, err) -> bool:
    return code == 0 and "good" in out and "victim" in out


def _lists_both_json(code, out, err) -> bool:
    if code != 0:
        return False
    listed = {entry["id"]: entry for entry in json.loads(out)}
    return {"good", "victim"} <= listed.keys() and listed["good"]["status"] == "finished"


def _says_damaged(code, out, err) -> bool:
    return "damaged" in out + err or clean_error(code, out, err)


def _repaired(code, out, err) -> bool:
    from tofy_core import paths
    from tofy_core.runs import checkpoint
    from tofy_core.runs import folders as runs

    folder = paths.runs_dir() / "victim"
    info = runs.read_info(folder)
    model = checkpoint.load_weights(folder / runs.MODEL_FILE)
    return code == 0 and info.status == "finished" and model.step == 8


def delete_cases(probe: Probe, good: Path, work: Path) -> None:
    from tofy_core import paths

    outside = work / "outside"
    outside.mkdir()
    (outside / "run.json").write_text('{"status": "finished"}')
    probe.expect_error("delete a folder outside the home", "delete", str(outside), "--yes")
    probe.expect("… and it is still there", lambda *_: (outside / "run.json").exists(), "runs")

    shutil.copytree(good, paths.runs_dir() / "myrun")
    shadow = work / "myrun"
    shadow.mkdir()
    (shadow / "run.json").write_text('{"status": "finished"}')
    cwd = os.getcwd()
    os.chdir(work)
    try:
        probe.expect(
            "delete myrun with ./myrun in the current folder",
            lambda code, *_: (
                code == 0 and shadow.exists() and not (paths.runs_dir() / "myrun").exists()
            ),
            "delete",
            "myrun",
            "--yes",
        )
    finally:
        os.chdir(cwd)
    target = work / "precious"
    shutil.copytree(good, target)
    (paths.runs_dir() / "linked").symlink_to(target, target_is_directory=True)
    probe.expect(
        "delete a symlinked run folder",
        lambda code, *_: code == 0 and (target / "run.json").exists(),
        "delete",
        "linked",
        "--yes",
    )
    probe.expect_error("delete ../", "delete", "../", "--yes")


def environment_cases(probe: Probe, data: Path, work: Path) -> None:
    home = os.environ["TOFY_HOME"]
    as_file = work / "home-file"
    as_file.write_text("x")
    os.environ["TOFY_HOME"] = str(as_file)
    try:
        for argv in (("runs",), ("show", "x"), ("train", str(data), *TINY), ("datasets",)):
            probe.expect_error(f"TOFY_HOME is a file: {argv[0]}", *argv)
    finally:
        os.environ["TOFY_HOME"] = home
    probe.expect_error("hub:/", "train", "hub:/", *TINY)
    probe.expect_error("seed beyond 64 bits", "train", str(data), *TINY, "--seed", str(2**70))
    probe.expect_error(
        "masks-per-seq > max_seq", "train", str(data), *TINY, "--max-seq", "8",
        "--masks-per-seq", "50",
    )  # fmt: skip
    probe.expect_error(
        "a model too large for memory", "train", str(data), "--dim", "65536", "--layers", "64",
        "--heads", "64", "--steps", "2", "--batch", "4",
    )  # fmt: skip
    probe.expect_error("resume a run that does not exist", "resume", "nope")
    bad_text = b"we _ to => went\n\xff\xfe not text\n"
    probe.expect_error("diff stdin not UTF-8", "diff", "good", stdin=bad_text)
    probe.expect_error("data file missing", "train", str(work / "none.txt"), *TINY)
    binary = work / "binary.txt"
    binary.write_bytes(b"\x00\x01\x02" * 20)
    probe.expect_error("data file binary", "train", str(binary), *TINY)


def hub_cases(probe: Probe, work: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = work / "pq"
    folder.mkdir()
    pq.write_table(
        pa.table({"text": ["one line here", "two lines here"]}), folder / "train.parquet"
    )
    probe.expect("hub folder converts", _ok, "train", f"hub:{folder}", *TINY, "--run-id", "h1")
    from tofy_core.data.hub_cache import hub_cache_dir

    for sidecar in hub_cache_dir().glob("*.json"):
        _json_edit(sidecar, lines="abc")
    probe.expect("hub sidecar lines abc", _ok, "train", f"hub:{folder}", *TINY, "--run-id", "h2")
    probe.expect("datasets lists a bad sidecar", _ok, "datasets")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="print every case")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        os.environ["TOFY_HOME"] = str(work / "home")
        data = work / "data.txt"
        data.write_text(PHRASES + "\n")
        code, _, err = cli("train", str(data), *TINY, "--run-id", "good")
        assert code == 0, err
        from tofy_core import paths

        good = paths.runs_dir() / "good"
        template = work / "template"
        shutil.copytree(good, template)
        probe = Probe(work, args.verbose)
        file_cases(probe, template, data)
        delete_cases(probe, template, work)
        environment_cases(probe, data, work)
        hub_cases(probe, work)
    total = sum(probe.counts.values())
    print(f"cases tried              {total}")
    for outcome in ("clean error", "correct", "traceback", "wrong"):
        print(f"{outcome:<24} {probe.counts[outcome]}")
    for line in probe.bad:
        print("  " + line)


if __name__ == "__main__":
    main()
