"""The token cache: a corpus tokenized once, kept as flat arrays under `<cache dir>/tokens/`.

An entry is a folder named by a hash of everything that changes its contents: the data's
sha256, the tokenizer's version, lowercasing, the held-out fraction and the seed. It holds
the training and held-out sides (`*.i32` token ids, `*.off` int64 phrase offsets), the words
in vocabulary order (`words.txt`) and their training counts (`counts.i64`), and
`manifest.json`, written last: an entry is built in a temporary folder and renamed into place,
so a reader sees a whole entry or none. The vocabulary cap and `max_seq` are applied when an
entry is opened (ids are vocabulary ranks), so runs differing only in those share an entry.

A data file's sha256 is remembered by path, size and modification time (`sources/`), so a
warm start does not read the whole file again."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tofy_core import paths
from tofy_core.data.text import read_data_bytes
from tofy_core.errors import DataError, TofyError
from tofy_core.fsutil import atomic_write_text

FORMAT = 1
TOKENIZER = "tofy-words-1"  # bump when text.tokenize or the line rules change
MANIFEST = "manifest.json"
SIDES = ("train", "heldout")
_COUNTS = ("phrases", "tokens", "longest")
_FIELDS = {
    "format": int,
    "key": str,
    "source": str,
    "data_path": str,
    "data_bytes": int,
    "data_sha256": str,
    "lowercase": bool,
    "holdout": float,
    "seed": int,
    "tokenizer": str,
    "created": float,
    "skipped": int,
    "duplicates": int,
    "words": int,
    "train_words": int,
    "build_seconds": float,
}


def tokens_dir() -> Path:
    path = paths.cache_dir() / "tokens"
    path.mkdir(parents=True, exist_ok=True)
    return path


def entry_key(sha256: str, lowercase: bool, holdout: float, seed: int) -> str:
    """The entry name for one data content and the settings that change its tokens."""
    text = json.dumps([FORMAT, TOKENIZER, sha256, lowercase, float(holdout), int(seed)])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


@dataclass
class Entry:
    """An entry's folder and its validated manifest."""

    folder: Path
    manifest: dict

    def side(self, name: str) -> dict:
        return self.manifest["sides"][name]

    @property
    def size(self) -> int:
        return sum(p.stat().st_size for p in self.folder.iterdir() if p.is_file())


class Damaged(Exception):
    """An entry that cannot be used: why, in a few words."""


def read_entry(folder: Path) -> Entry:
    """An entry whose manifest and files agree; `Damaged` otherwise."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise Damaged("no manifest") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        raise Damaged("unreadable manifest") from None
    if not isinstance(manifest, dict):
        raise Damaged("manifest is not an object")
    for name, kind in _FIELDS.items():
        value = manifest.get(name)
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = manifest[name] = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise Damaged(f"manifest field {name} missing or wrong")
    if manifest["format"] != FORMAT or manifest["tokenizer"] != TOKENIZER:
        raise Damaged("made by another version")
    if manifest["key"] != folder.name:
        raise Damaged("manifest of another entry")
    sides = manifest.get("sides")
    if not isinstance(sides, dict):
        raise Damaged("manifest field sides missing")
    for name in SIDES:
        side = sides.get(name)
        if not isinstance(side, dict) or not all(
            isinstance(side.get(c), int) and side[c] >= 0 for c in _COUNTS
        ):
            raise Damaged(f"manifest side {name} missing or wrong")
        _check_size(folder / f"{name}.i32", 4 * side["tokens"])
        _check_size(folder / f"{name}.off", 8 * (side["phrases"] + 1))
    _check_size(folder / "counts.i64", 8 * manifest["words"])
    try:
        lines = (folder / "words.txt").read_bytes().count(b"\n")
    except OSError:
        raise Damaged("words.txt missing") from None
    if lines != manifest["words"]:
        raise Damaged(f"words.txt has {lines} words, not {manifest['words']}")
    return Entry(folder, manifest)


def _check_size(path: Path, size: int) -> None:
    try:
        actual = path.stat().st_size
    except OSError:
        raise Damaged(f"{path.name} missing") from None
    if actual != size:
        raise Damaged(f"{path.name} is {actual} bytes, not {size}")


@dataclass
class Lookup:
    """An entry found or built, and how: `cached` (found), the seconds it took, and the one
    line a user was told when a damaged entry was rebuilt."""

    entry: Entry
    cached: bool
    seconds: float
    rebuilt_because: str = ""


def find_or_build(
    data: Path,
    source: str,
    lowercase: bool,
    holdout: float,
    seed: int,
    report: Callable[[int, int], None] | None = None,
) -> Lookup:
    """The entry for `data` under these settings, built (and published atomically) when
    missing or damaged. `report(bytes read, total)` follows a build's first pass."""
    from tofy_core.data.first_pass import first_pass
    from tofy_core.data.token_build import build_sides

    began = time.perf_counter()
    read_data_bytes(data, 0)  # the refusals of any read (missing, a folder, unreadable) first
    size, digest = fingerprint(data)
    key = entry_key(digest, lowercase, holdout, seed)
    folder = tokens_dir() / key
    reason = ""
    if folder.exists():
        try:
            entry = read_entry(folder)
            return Lookup(entry, True, time.perf_counter() - began)
        except Damaged as exc:
            reason = str(exc)
            shutil.rmtree(folder, ignore_errors=True)
    building = tokens_dir() / f".building-{key}-{time.time_ns()}"
    try:
        building.mkdir()
        tick = None if report is None else (lambda done: report(done, size))
        result = first_pass(data, lowercase, building / "pass.tmp", tick)
        if not len(result.lengths):
            raise DataError(
                f"{source} has no usable line: each phrase needs at least 2 tokens "
                "(one phrase per line, optionally `context<TAB>response`)"
            )
        sides, duplicates, train_words = build_sides(result, building, holdout, seed)
        (building / "pass.tmp").unlink()
        manifest = {
            "format": FORMAT,
            "key": key,
            "source": source,
            "data_path": str(data),
            "data_bytes": size,
            "data_sha256": digest,
            "lowercase": lowercase,
            "holdout": float(holdout),
            "seed": int(seed),
            "tokenizer": TOKENIZER,
            "created": time.time(),
            "skipped": result.skipped,
            "duplicates": duplicates,
            "words": len(result.words),
            "train_words": train_words,
            "build_seconds": time.perf_counter() - began,
            "sides": {name: vars(side) for name, side in sides.items()},
        }
        atomic_write_text(building / MANIFEST, json.dumps(manifest, indent=1) + "\n")
        try:
            building.rename(folder)
        except OSError:  # another process published the same entry first: use theirs
            shutil.rmtree(building, ignore_errors=True)
        entry = read_entry(folder)
    except OSError as exc:  # the cache folder, not the data: the data was read above
        shutil.rmtree(building, ignore_errors=True)
        raise TofyError(
            f"cannot write the token cache in {tokens_dir()}: {exc.strerror or exc}; free some "
            "space there (tofy cache clear --all) or point TOFY_HOME elsewhere"
        ) from None
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return Lookup(entry, False, time.perf_counter() - began, reason)


def fingerprint(path: Path) -> tuple[int, str]:
    """Size and sha256 of a data file. Remembered per path with its size and modification
    time, so a warm start reads no more than a stat (a changed file is hashed again)."""
    stat = path.stat()
    memo = tokens_dir() / "sources" / (hashlib.sha256(str(path).encode()).hexdigest()[:24])
    stamp = [str(path), stat.st_size, stat.st_mtime_ns]
    try:
        saved = json.loads(memo.read_text(encoding="utf-8"))
        if isinstance(saved, dict) and saved.get("stamp") == stamp:
            digest = saved.get("sha256")
            if isinstance(digest, str) and len(digest) == 64:
                return stat.st_size, digest
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        pass
    with path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    memo.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(memo, json.dumps({"stamp": stamp, "sha256": digest}) + "\n")
    return stat.st_size, digest


@dataclass
class Listed:
    """One folder under the token cache as `tofy cache` shows it (damaged: `why` says so)."""

    folder: Path
    size: int
    source: str
    created: float
    why: str = ""


def list_entries() -> list[Listed]:
    """Every entry, newest first; a damaged or half-written one listed with why."""
    listed = []
    for folder in sorted(tokens_dir().iterdir()):
        if not folder.is_dir() or folder.name == "sources":
            continue
        size = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
        try:
            entry = read_entry(folder)
            manifest = entry.manifest
            listed.append(Listed(folder, size, manifest["source"], manifest["created"]))
        except Damaged as exc:
            why = "unfinished build" if folder.name.startswith(".building-") else str(exc)
            listed.append(Listed(folder, size, "?", folder.stat().st_mtime, why))
    return sorted(listed, key=lambda item: -item.created)


def remove_entry(folder: Path) -> None:
    """Delete one entry folder (only ever a folder directly under the token cache)."""
    if folder.parent != tokens_dir() or folder.is_symlink():
        raise TofyError(f"{folder} is not a token cache entry")
    shutil.rmtree(folder)


def in_use_by_a_build(item: Listed, now: float) -> bool:
    """An unfinished build younger than an hour may be another process's, still running."""
    return item.why == "unfinished build" and now - item.created < 3600


def run_entry(config: dict | None) -> str:
    """For a run's config (as saved): the entry it trained from and whether it is still
    there, e.g. `3f2a… (in the token cache)`; "" for a run that recorded no data hash."""
    if not isinstance(config, dict):
        return ""
    train, model = config.get("train"), config.get("model")
    if not isinstance(train, dict) or not isinstance(model, dict):
        return ""
    digest = train.get("data_sha256")
    if not isinstance(digest, str) or len(digest) != 64:
        return ""
    try:
        holdout, seed = float(train.get("holdout", 0.02)), int(train.get("seed", 0))
    except (TypeError, ValueError):
        return ""
    key = entry_key(digest, bool(model.get("lowercase", True)), holdout, seed)
    there = (paths.cache_dir() / "tokens" / key / MANIFEST).is_file()
    return f"{key} ({'in the token cache' if there else 'not cached: the next start builds it'})"
