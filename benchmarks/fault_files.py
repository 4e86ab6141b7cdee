"""The fault probe's damaged run files (run by faults.py through fault_cases.py): each run
file damaged in many ways under every command that reads it, and damaged event logs. Each
case says the exit status, the words naming the problem and the state of the disk after;
`fast=True` marks the subset CI runs (tests/test_faults.py)."""

from __future__ import annotations

import json
import math
import os
import shutil
import struct
from collections.abc import Callable
from pathlib import Path

from faults import Probe, Result, both, empty_or_absent, unchanged

QUERY = ("--query", "we _ to => went")


# ---------------------------------------------------------------- damaged run files


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


def _json_edit(path: Path, **changes) -> None:
    data = json.loads(path.read_text())
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key].update(value)
        else:
            data[key] = value
    path.write_text(json.dumps(data))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _state_edit(folder: Path, change: Callable[[dict], None]) -> None:
    def prefixed(tensors: dict) -> None:
        inner = {k[len("weights.") :]: v for k, v in tensors.items() if k.startswith("weights.")}
        change(inner)
        tensors.update({f"weights.{k}": v for k, v in inner.items()})

    tensors_with(folder / "state.safetensors", prefixed)


def embed_1d(t):
    t["encoder.embed.weight"] = t["encoder.embed.weight"][0].clone()


def embed_3d(t):
    t["encoder.embed.weight"] = t["encoder.embed.weight"][None].clone()


def q_wrong(t):
    import torch

    t["encoder.block_0.attn.q_proj.weight"] = torch.zeros(3, 5)


def nan(t):
    t["encoder.embed.weight"][3, 0] = float("nan")


def duplicate_word(folder: Path) -> None:
    lines = (folder / "vocab.txt").read_text().split("\n")
    lines[4] = lines[3]  # two ids for one word: the file is not one the trainer wrote
    (folder / "vocab.txt").write_text("\n".join(lines))


def symlink_out(folder: Path, name: str) -> None:
    outside = folder.parent.parent.parent / f"outside-{name}"  # beside the home
    outside.write_bytes((folder / name).read_bytes())
    (folder / name).unlink()
    (folder / name).symlink_to(outside)


def write(name: str, content: str | bytes) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        if isinstance(content, bytes):
            (folder / name).write_bytes(content)
        else:
            (folder / name).write_text(content)

    return damage


def edit(name: str, **changes) -> Callable[[Path], None]:
    return lambda folder: _json_edit(folder / name, **changes)


def tensors(change: Callable[[dict], None], meta: dict | None = None) -> Callable[[Path], None]:
    return lambda folder: tensors_with(folder / "model.safetensors", change, meta)


RUN, CONFIG = r"run\.json", r"config\.json"
MODEL, STATE, VOCAB = r"model\.safetensors", r"state\.safetensors", r"vocab"
EMBED = r"encoder\.embed"
# label, damage, the words naming it, fast (CI)
DAMAGES: list[tuple[str, Callable[[Path], None], str, bool]] = [
    ("run.json torn", write("run.json", '{"status": "fin'), RUN, True),
    ("run.json step abc", edit("run.json", step="abc"), RUN, False),
    ("run.json pid abc", edit("run.json", pid="abc"), RUN, False),
    ("run.json a list", write("run.json", "[1, 2]"), RUN, False),
    ("run.json status odd", edit("run.json", status=7), RUN, False),
    ("config torn", write("config.json", "{"), CONFIG, True),
    ("config model list", write("config.json", '{"model": [1, 2]}'), CONFIG, False),
    ("config dim text", edit("config.json", model={"dim": "x"}), CONFIG, False),
    ("config dim 2^40", edit("config.json", model={"dim": 2**40}), CONFIG, True),
    ("config temperature NaN", edit("config.json", train={"temperature": math.nan}), CONFIG, True),
    ("config missing", lambda f: (f / "config.json").unlink(), CONFIG, False),
    ("model truncated", lambda f: _truncate(f / "model.safetensors"), MODEL, True),
    ("model random", write("model.safetensors", os.urandom(300)), MODEL, False),
    ("model no tensors", write("model.safetensors", safetensors({})), MODEL, False),
    ("model embed 1-D", tensors(embed_1d), EMBED, False),
    ("model embed 3-D", tensors(embed_3d), EMBED, False),
    ("model q_proj shape", tensors(q_wrong), "q_proj", True),
    ("model NaN", tensors(nan), "NaN", True),
    ("model step abc", tensors(id, {"step": "abc"}), MODEL, False),
    ("model config types", tensors(id, {"config": '{"dim": "x"}'}), MODEL, False),
    ("model a symlink out", lambda f: symlink_out(f, "model.safetensors"), MODEL, True),
    ("state truncated", lambda f: _truncate(f / "state.safetensors"), STATE, True),
    ("state random", write("state.safetensors", os.urandom(300)), STATE, False),
    ("state embed 3-D", lambda f: _state_edit(f, embed_3d), EMBED, False),
    ("state NaN", lambda f: _state_edit(f, nan), "NaN", False),
    ("state missing", lambda f: (f / "state.safetensors").unlink(), STATE, True),
    ("vocab foreign", write("vocab.txt", "a\nb\n"), VOCAB, False),
    ("vocab binary", write("vocab.txt", b"\xff\xfe\x00"), VOCAB, True),
    ("vocab duplicated word", duplicate_word, VOCAB, True),
    ("vocab a symlink out", lambda f: symlink_out(f, "vocab.txt"), VOCAB, False),
]
# Damage the list cannot see from headers alone (it reads no tensors): `show` loads them.
# Nor a model too large to build (the list never builds one), nor the sizes inside the
# weights' own metadata (diff, show and export read them).
LISTED_AS_IS = ("model NaN", "state NaN", "model q_proj shape", "state embed 3-D")
LISTED_AS_IS += ("config dim 2^40", "model config types")
# What diff, export and resume read of a run: diff and export the weights and vocabulary
# (the weights record their own sizes), resume everything but the model file, which it
# rewrites from the state (so a bad model file or run.json is repaired, not refused).
DIFF_READS = ("model", "vocab")
RESUME_REPAIRS = ("run.json", "model")


def file_cases(probe: Probe, good: Path, work: Path) -> None:
    """Each damage in a fresh copy of a trained run, under every command that reads it."""
    from tofy_core import paths

    folder = paths.runs_dir() / "victim"
    for label, damage, names, fast in DAMAGES:
        if probe.fast and not fast:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(good, folder)
        damage(folder)
        part = label.split()[0]
        if "symlink" in label:  # read through, harmlessly, except by export (see below)
            out = work / f"export-{label.replace(' ', '-')}"
            probe.case(f"{label}: runs", "runs", code=0, then=_lists_both, fast=fast)
            probe.case(f"{label}: export", "export", "victim", str(out), says="symbolic link",
                       then=both(empty_or_absent(out), unchanged(folder)), fast=fast)  # fmt: skip
            continue
        if label in LISTED_AS_IS:
            probe.case(f"{label}: runs", "runs", code=0, then=_lists_both, fast=fast)
        else:
            probe.case(f"{label}: runs", "runs", code=0, says=f"damaged victim: .*{names}",
                       then=_lists_both, fast=fast)  # fmt: skip
            probe.case(f"{label}: runs --json", "runs", "--json", code=0,
                       then=_damaged_in_json(names), fast=fast)  # fmt: skip
        probe.case(f"{label}: show", "show", "victim", code=(0, 2),
                   says=f"damaged.*{names}|{names}", then=unchanged(folder), fast=fast)  # fmt: skip
        if part in DIFF_READS:
            probe.case(f"{label}: diff", "diff", "victim", *QUERY, says=names,
                       then=unchanged(folder), fast=fast)  # fmt: skip
            out = work / f"export-{label.replace(' ', '-')}"
            probe.case(f"{label}: export", "export", "victim", str(out), says=names,
                       then=both(empty_or_absent(out), unchanged(folder)), fast=fast)  # fmt: skip
        else:
            probe.case(f"{label}: diff", "diff", "victim", *QUERY, code=0, says="went",
                       fast=fast)  # fmt: skip
            out = work / f"export-{label.replace(' ', '-')}"
            probe.case(f"{label}: export", "export", "victim", str(out), code=0,
                       then=_exported(out), fast=fast)  # fmt: skip
        resume = ("resume", "victim", "--steps", "8")
        if part in RESUME_REPAIRS and "symlink" not in label:
            probe.case(f"{label}: resume repairs", *resume, code=0, then=_repaired, fast=fast)
        else:
            says = "no saved state" if label == "state missing" else names
            probe.case(f"{label}: resume", *resume, says=says, then=unchanged(folder), fast=fast)
    shutil.rmtree(folder, ignore_errors=True)


def _lists_both(result: Result) -> str:
    return "" if "good" in result.out and "victim" in result.out else "a run is not listed"


def _damaged_in_json(names: str) -> Callable[[Result], str]:
    import re

    def check(result: Result) -> str:
        listed = {entry["id"]: entry for entry in json.loads(result.out)}
        if listed.get("good", {}).get("status") != "finished":
            return "the good run is not listed finished"
        victim = listed.get("victim", {})
        if victim.get("status") != "damaged":
            return f"victim listed {victim.get('status')}"
        if not re.search(names, victim.get("reason", ""), re.IGNORECASE):
            return f"victim's reason {victim.get('reason')!r} does not name {names}"
        return ""

    return check


def _exported(out: Path) -> Callable[[Result], str]:
    def check(_: Result) -> str:
        names = sorted(p.name for p in out.iterdir()) if out.exists() else []
        return "" if names == ["model_latent.safetensors", "vocab_latent.txt"] else f"{names}"

    return check


def _repaired(_: Result) -> str:
    from tofy_core import paths
    from tofy_core.runs import checkpoint
    from tofy_core.runs import folders as runs

    folder = paths.runs_dir() / "victim"
    info = runs.read_info(folder)
    model = checkpoint.load_weights(folder / runs.MODEL_FILE)
    if info.status != "finished" or model.step != 8 or runs.checkpoint_step(info) != 8:
        return f"run.json {info.status} step {info.step}, model step {model.step}"
    return ""


def event_cases(probe: Probe, good: Path, work: Path) -> None:
    """A damaged event log marks its own run at most; the other runs list as before."""
    from tofy_core import paths

    folder = paths.runs_dir() / "victim"
    metrics = folder / "metrics.jsonl"
    for label, damage in (
        ("metrics random bytes", lambda: metrics.write_bytes(os.urandom(3000) + b"\n")),
        ("metrics a symlink to a folder", lambda: _link_to_folder(metrics, work)),
        ("metrics bad lines", lambda: _bad_lines(metrics)),
    ):
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(good, folder)
        damage()
        probe.case(f"{label}: runs", "runs", code=0, then=_lists_both, fast=True)
        probe.case(f"{label}: runs --json", "runs", "--json", code=0, then=_good_finished,
                   fast=True)  # fmt: skip
        says = "metrics.jsonl" if "symlink" in label else "victim"
        probe.case(f"{label}: show", "show", "victim", code=0, says=says, fast=True)
    shutil.rmtree(folder, ignore_errors=True)


def _link_to_folder(metrics: Path, work: Path) -> None:
    (work / "a-folder").mkdir(exist_ok=True)
    metrics.unlink()
    metrics.symlink_to(work / "a-folder", target_is_directory=True)


def _bad_lines(metrics: Path) -> None:
    with metrics.open("a") as handle:
        handle.write('{"event": "step"}\n{"event": "step", "step": "x", "loss": "y"}\n[1]\n')
        handle.write('{"event": "eval", "step": 3, "top10": "abc"}\n' + "[" * 100_000 + "\n")


def _good_finished(result: Result) -> str:
    listed = {entry["id"]: entry for entry in json.loads(result.out)}
    if listed.get("good", {}).get("status") != "finished" or "victim" not in listed:
        return f"listed {sorted(listed)}"
    return ""
