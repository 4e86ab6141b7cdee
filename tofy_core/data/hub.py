"""`hub:` data sources: a Hugging Face dataset or a local parquet folder, cached as plain text.

A source is converted once into a text file (one phrase per line) under the cache dir, with a
JSON sidecar describing it; later runs read that file and never touch the network. Both files
are written to a temporary name and renamed into place, and the sidecar records the text
file's size, so a torn or foreign file is never used: it is rebuilt instead.

The `datasets` library is imported lazily: importing `tofy_core` must stay fast.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from tofy_core.errors import DataError
from tofy_core.paths import cache_dir

if TYPE_CHECKING:
    import pyarrow as pa
    from datasets import Dataset

HUB_PREFIX = "hub:"
DEFAULT_SPLIT = "train"
ALL_SPLITS = "all"
MAX_CELL_BYTES = 50_000
CACHE_FORMAT = 1
PROGRESS_INTERVAL_S = 0.2
BATCH_ROWS = 1000

Progress = Callable[[int, int | None], None]

_ID_PART = r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}"
_HUB_ID = re.compile(rf"{_ID_PART}(/{_ID_PART})?")
_SPLIT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")
# Every character that could end a line or split a pair in the phrase reader becomes a space.
_BREAKS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")
_PATH_STARTS = ("/", "./", "../", "~", ".\\", "..\\")
# Split keywords recognised in parquet folder and file names, as the Hub does.
_SPLIT_WORDS = {
    "train": "train",
    "training": "train",
    "test": "test",
    "testing": "test",
    "eval": "test",
    "evaluation": "test",
    "validation": "validation",
    "valid": "validation",
    "val": "validation",
    "dev": "validation",
}


@dataclass(frozen=True)
class HubSpec:
    """A parsed `hub:` source: a Hub id or a local folder, and the split to read."""

    kind: str  # "hub" or "folder"
    ident: str  # the Hub id, or the folder's absolute path
    split: str  # a split name, or "all"

    @property
    def spec(self) -> str:
        return f"{HUB_PREFIX}{self.ident}@{self.split}"

    @property
    def key(self) -> str:
        """The cache file stem: safe characters only, and distinct for distinct sources."""
        if self.kind == "hub":
            return f"hub-{self.ident.replace('/', '--')}@{self.split}"
        name = re.sub(r"[^A-Za-z0-9._-]", "_", Path(self.ident).name)[:40] or "root"
        digest = hashlib.sha256(self.ident.encode("utf-8")).hexdigest()[:12]
        return f"dir-{name}-{digest}@{self.split}"


@dataclass(frozen=True)
class HubText:
    """The cached text of a `hub:` source, ready for the phrase reader."""

    path: Path
    lines: int
    from_cache: bool
    spec: str
    rows: int = 0
    skipped: int = 0


@dataclass(frozen=True)
class CachedDataset:
    """One converted dataset in the cache, as `tofy datasets` lists it."""

    key: str
    spec: str
    split: str
    lines: int
    size_bytes: int
    created: str
    path: Path
    valid: bool


@dataclass
class _Counts:
    rows: int = 0
    lines: int = 0
    empty: int = 0
    too_long: int = 0

    @property
    def skipped(self) -> int:
        return self.empty + self.too_long


def is_hub_spec(source: str) -> bool:
    return source.startswith(HUB_PREFIX)


# ---------------------------------------------------------------- parsing


def parse_hub_spec(source: str, split: str | None = None) -> HubSpec:
    """Parse `hub:<id>[@split]` or `hub:<folder>[@split]`; refuse anything that is neither.

    The `hub:` prefix is optional here, for commands whose argument is always a dataset.
    `split` is a split asked for separately (`--split`): it must agree with an `@split`."""
    body = source[len(HUB_PREFIX) :] if is_hub_spec(source) else source
    body = body.strip()
    if not body:
        raise DataError("empty hub: source: write hub:<dataset id> or hub:./parquet_folder")
    target, named = _split_suffix(body)
    if _looks_like_path(target):
        folder = Path(target).expanduser().resolve()
        return HubSpec("folder", str(folder), _chosen_split(named, split, _folder_split))
    if not _valid_hub_id(target):
        raise DataError(
            f"invalid dataset id {target!r}: use name or owner/name (letters, digits, '-', '_', "
            "'.'), or hub:./folder for a local parquet folder"
        )
    return HubSpec("hub", target, _chosen_split(named, split))


def _split_suffix(body: str) -> tuple[str, str | None]:
    """Cut the last `@split`; a path whose `@` belongs to an existing folder keeps it."""
    target, at, split = body.rpartition("@")
    if not at:
        return body, None
    if Path(body).expanduser().is_dir() and not Path(target).expanduser().is_dir():
        return body, None
    if not target:
        raise DataError(f"no dataset before @{split}: write hub:<dataset id>@{split}")
    return target, _checked_split(split)


def _chosen_split(
    named: str | None, asked: str | None, canonical: Callable[[str], str] = str
) -> str:
    """The split asked for, or the one the source names, or train; two must agree."""
    if asked is not None:
        asked = _checked_split(asked)
        if named is not None and canonical(named) != canonical(asked):
            raise DataError(f"the source names split {named!r} but {asked!r} was asked: give one")
    return canonical(asked or named or DEFAULT_SPLIT)


def _checked_split(split: str) -> str:
    if not _SPLIT.fullmatch(split) or ".." in split:
        raise DataError(
            f"invalid split {split!r}: use letters, digits, '_', '-' or '.' "
            "(or @all for every split)"
        )
    return split


def _folder_split(split: str) -> str:
    """The Hub's split aliases (dev, valid, eval, ...) by their canonical name."""
    return _SPLIT_WORDS.get(split.lower(), split)


def _looks_like_path(target: str) -> bool:
    """A path prefix, or an existing folder: `datasets` itself prefers a local folder too."""
    if target in (".", "..") or target.startswith(_PATH_STARTS):
        return True
    return Path(target).expanduser().is_dir()


def _valid_hub_id(target: str) -> bool:
    return bool(_HUB_ID.fullmatch(target)) and ".." not in target and "--" not in target


# ---------------------------------------------------------------- cache files


def hub_cache_dir() -> Path:
    path = cache_dir() / "hub"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _cache_paths(spec: HubSpec) -> tuple[Path, Path]:
    root = hub_cache_dir().resolve()
    text = (root / f"{spec.key}.txt").resolve()
    if text.parent != root:  # the key is built from safe characters; this is a last guard
        raise DataError(f"refusing cache name {spec.key!r}: it would leave the cache folder")
    return text, text.with_suffix(".json")


def _read_meta(meta_path: Path) -> dict[str, Any] | None:
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def _cache_is_valid(meta: dict[str, Any] | None, text_path: Path, fingerprint: str) -> bool:
    """The sidecar must match this format, this source's files, and the text file's size."""
    if meta is None or meta.get("format") != CACHE_FORMAT:
        return False
    if meta.get("fingerprint") != fingerprint:
        return False
    try:
        return text_path.stat().st_size == meta.get("bytes")
    except OSError:
        return False


@contextlib.contextmanager
def _temporary(path: Path) -> Iterator[Path]:
    """A temporary file name beside `path`, removed unless it was renamed into place."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(name)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(name)


def _write_synced(path: Path, write: Callable[[Any], None]) -> None:
    """Write a text file and flush it to disk, so a rename after it never exposes a torn file."""
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        write(handle)
        handle.flush()
        os.fsync(handle.fileno())


def _write_meta(meta_path: Path, meta: dict[str, Any]) -> None:
    with _temporary(meta_path) as tmp:
        _write_synced(tmp, lambda handle: handle.write(json.dumps(meta, indent=2) + "\n"))
        os.replace(tmp, meta_path)


# ---------------------------------------------------------------- public API


def resolve_hub(source: str, *, refresh: bool = False, progress: Progress | None = None) -> HubText:
    """The cached text file of a `hub:` source, converting it first if needed (or asked)."""
    spec = parse_hub_spec(source)
    text_path, meta_path = _cache_paths(spec)
    fingerprint = _fingerprint(spec)
    meta = _read_meta(meta_path)
    if not refresh and _cache_is_valid(meta, text_path, fingerprint):
        assert meta is not None
        return HubText(
            path=text_path,
            lines=int(meta["lines"]),
            from_cache=True,
            spec=spec.spec,
            rows=int(meta.get("rows", 0)),
            skipped=int(meta.get("skipped", 0)),
        )
    with _temporary(text_path) as tmp:
        counts = _convert(spec, tmp, progress)
        meta = {
            "format": CACHE_FORMAT,
            "spec": spec.spec,
            "kind": spec.kind,
            "source": spec.ident,
            "split": spec.split,
            "lines": counts.lines,
            "rows": counts.rows,
            "skipped": counts.skipped,
            "bytes": tmp.stat().st_size,
            "fingerprint": fingerprint,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        meta_path.unlink(missing_ok=True)  # an old sidecar must never vouch for new text
        os.replace(tmp, text_path)
    _write_meta(meta_path, meta)
    return HubText(
        path=text_path,
        lines=counts.lines,
        from_cache=False,
        spec=spec.spec,
        rows=counts.rows,
        skipped=counts.skipped,
    )


def list_cached() -> list[CachedDataset]:
    """Every converted dataset in the cache, complete or not, sorted by source."""
    root = hub_cache_dir()
    stems = {p.stem for p in root.iterdir() if p.suffix in (".txt", ".json")}
    found = [_cached_entry(root, stem) for stem in stems if not stem.startswith(".")]
    return sorted(found, key=lambda entry: entry.spec)


def _cached_entry(root: Path, stem: str) -> CachedDataset:
    text_path, meta_path = root / f"{stem}.txt", root / f"{stem}.json"
    meta = _read_meta(meta_path) or {}
    size = sum(p.stat().st_size for p in (text_path, meta_path) if p.exists())
    valid = text_path.exists() and meta.get("bytes") == text_path.stat().st_size
    return CachedDataset(
        key=stem,
        spec=str(meta.get("spec", f"(incomplete) {stem}")),
        split=str(meta.get("split", "?")),
        lines=int(meta.get("lines", 0)),
        size_bytes=size,
        created=str(meta.get("created", "")),
        path=text_path,
        valid=valid,
    )


def clear_cached(ident: str) -> Path:
    """Remove one cached dataset, named by its key, its `hub:` spec, or its id or folder."""
    entries = list_cached()
    matches = [e for e in entries if ident in (e.key, e.spec, e.spec.removeprefix(HUB_PREFIX))]
    if not matches:
        matches = _matches_by_source(ident, entries)
    if not matches:
        raise DataError(f"no cached dataset matches {ident!r}: `tofy datasets` lists them")
    if len(matches) > 1:
        names = ", ".join(e.spec for e in matches)
        raise DataError(f"{ident!r} matches several cached datasets: give one of {names}")
    entry = matches[0]
    for path in (entry.path, entry.path.with_suffix(".json")):
        path.unlink(missing_ok=True)
    return entry.path


def _matches_by_source(ident: str, entries: list[CachedDataset]) -> list[CachedDataset]:
    """Entries of the source `ident` names: its exact split if given, else any split."""
    try:
        spec = parse_hub_spec(ident)
    except DataError:
        return []
    exact = [e for e in entries if e.key == spec.key]
    if exact or "@" in ident:
        return exact
    prefix = spec.key.rpartition("@")[0] + "@"
    return [e for e in entries if e.key.startswith(prefix)]


# ---------------------------------------------------------------- local folders


def _folder_splits(spec: HubSpec) -> dict[str, list[Path]]:
    """The folder's parquet files grouped by split, named the way the Hub names them."""
    folder = Path(spec.ident)
    if not folder.is_dir():
        raise DataError(f"parquet folder {folder} does not exist")
    files = sorted(
        path
        for path in folder.rglob("*.parquet")
        if path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )
    if not files:
        raise DataError(f"{folder} holds no .parquet files")
    splits: dict[str, list[Path]] = {}
    for path in files:
        splits.setdefault(_split_of(path.relative_to(folder)), []).append(path)
    return splits


def _split_of(relative: Path) -> str:
    """A split keyword in the folders (outermost first), then in the file name; else train."""
    for part in relative.parts[:-1]:
        if part.lower() in _SPLIT_WORDS:
            return _SPLIT_WORDS[part.lower()]
    for word in re.split(r"[-_. ]", relative.stem.lower()):
        if word in _SPLIT_WORDS:
            return _SPLIT_WORDS[word]
    return DEFAULT_SPLIT


def check_folder(spec: HubSpec) -> None:
    """A local parquet folder exists and holds parquet files of the asked split: the cheap
    checks a form or `tofy train` makes before anything is converted."""
    if spec.kind == "folder":
        _folder_data_files(spec)


def _folder_data_files(spec: HubSpec) -> dict[str, list[str]]:
    splits = _folder_splits(spec)
    if spec.split == ALL_SPLITS:
        return {name: [str(p) for p in paths] for name, paths in splits.items()}
    split = spec.split
    if split not in splits:
        have = ", ".join(sorted(splits))
        raise DataError(f"{spec.ident} has no {spec.split!r} split; it has: {have} (or @all)")
    return {split: [str(p) for p in splits[split]]}


def _fingerprint(spec: HubSpec) -> str:
    """What the cache must match: the files' names, sizes and times for a folder."""
    if spec.kind == "hub":
        return "hub"
    digest = hashlib.sha256()
    for split, paths in sorted(_folder_data_files(spec).items()):
        for name in paths:
            stat = os.stat(name)
            digest.update(f"{split}\0{name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


# ---------------------------------------------------------------- loading


@contextlib.contextmanager
def loaded_source(spec: HubSpec) -> Iterator[list[Dataset]]:
    """The source's splits as `datasets` tables, valid inside the block only: for a local
    folder they live in a scratch folder under the cache dir, removed afterwards."""
    work_root = cache_dir() / "work"
    work_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work_root, ignore_cleanup_errors=True) as work:
        yield _load_rows(spec, Path(work))


def _load_rows(spec: HubSpec, work_dir: Path) -> list[Dataset]:
    """The loader boundary: every `datasets` call for a source happens here, once."""
    import datasets

    if spec.kind == "folder":
        # One load per split: splits of a folder may hold different columns.
        parts = []
        with _quiet_datasets():
            for split, files in _folder_data_files(spec).items():
                loaded = _call_loader(
                    spec,
                    lambda split=split, files=files: datasets.load_dataset(
                        "parquet",
                        data_files={split: files},
                        split=split,
                        cache_dir=str(work_dir / "hf"),
                    ),
                )
                parts.append(loaded)
        return parts
    _check_hub_reachable(spec)
    split = None if spec.split == ALL_SPLITS else spec.split
    loaded = _call_loader(spec, lambda: datasets.load_dataset(spec.ident, split=split))
    return list(loaded.values()) if split is None else [loaded]


def _call_loader(spec: HubSpec, load: Callable[[], Any]) -> Any:
    """Run a `datasets` load, turning the errors a user can cause into one-line DataErrors."""
    from datasets.exceptions import DatasetNotFoundError, DatasetsError

    try:
        return load()
    except ConnectionError:
        raise DataError(_offline_message(spec)) from None
    except DatasetNotFoundError:
        raise DataError(
            f"dataset {spec.ident!r} was not found on the Hugging Face Hub: check the id "
            "(gated or private datasets need `hf auth login`)"
        ) from None
    except (DatasetsError, ValueError, OSError) as exc:
        raise DataError(f"could not load {spec.spec}: {_root_cause(exc)}") from None


def _root_cause(exc: BaseException) -> str:
    """The first line of the innermost cause: `datasets` wraps the useful message."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _offline_message(spec: HubSpec) -> str:
    return (
        f"dataset {spec.ident!r} could not be downloaded (no network?) and is not cached; "
        "to work offline, put its parquet files in a folder and use hub:./folder"
    )


def _check_hub_reachable(spec: HubSpec) -> None:
    """Fail in seconds, not after the Hub client's minute of retries, when there is no network.

    Skipped in offline mode (the loader then only looks in the local Hugging Face cache) and
    behind a proxy (a direct connection proves nothing there)."""
    env = os.environ
    offline = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE")
    if any(env.get(name, "").upper() in ("1", "ON", "YES", "TRUE") for name in offline):
        return
    if any(env.get(name) for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")):
        return
    url = urlparse(env.get("HF_ENDPOINT", "https://huggingface.co"))
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname or "huggingface.co", port), timeout=5):
            return
    except OSError:
        raise DataError(_offline_message(spec)) from None


@contextlib.contextmanager
def _quiet_datasets() -> Iterator[None]:
    """Hide `datasets`' own bars and logs for local folders: Tofy shows its own progress."""
    from datasets.utils import logging as ds_logging

    enabled = ds_logging.is_progress_bar_enabled()
    verbosity = ds_logging.get_verbosity()
    ds_logging.disable_progress_bar()
    ds_logging.set_verbosity(ds_logging.CRITICAL)  # its errors come back as a DataError
    try:
        yield
    finally:
        ds_logging.set_verbosity(verbosity)
        if enabled:
            ds_logging.enable_progress_bar()


# ---------------------------------------------------------------- conversion


def one_line(cell: str) -> str:
    """A cell as one line: line breaks, tabs and control characters become spaces."""
    return _BREAKS.sub(" ", cell).strip()


def _too_long(cell: str) -> bool:
    if len(cell) > MAX_CELL_BYTES:
        return True
    return len(cell) * 4 > MAX_CELL_BYTES and len(cell.encode("utf-8")) > MAX_CELL_BYTES


def _phrase(cell: str) -> str:
    """A cell as a training line; `|||` is spaced out so the reader never cuts it in two."""
    return one_line(cell).replace("|||", "| | |")


def text_columns(schema: pa.Schema) -> tuple[str | None, str | None]:
    """The first string column and the first list-of-strings column, by schema order."""
    import pyarrow as pa

    def is_text(kind: pa.DataType) -> bool:
        return pa.types.is_string(kind) or pa.types.is_large_string(kind) or _is_view(kind)

    def is_text_list(kind: pa.DataType) -> bool:
        lists = (pa.types.is_list, pa.types.is_large_list, pa.types.is_fixed_size_list)
        return any(check(kind) for check in lists) and is_text(kind.value_type)

    string = next((f.name for f in schema if is_text(f.type)), None)
    strings = next((f.name for f in schema if is_text_list(f.type)), None)
    return string, strings


def _is_view(kind: pa.DataType) -> bool:
    import pyarrow as pa

    check = getattr(pa.types, "is_string_view", None)
    return bool(check and check(kind))


def describe_columns(schema: pa.Schema) -> str:
    return ", ".join(f"{f.name} ({f.type})" for f in schema) or "none"


def _convert(spec: HubSpec, out_path: Path, progress: Progress | None) -> _Counts:
    """Load the source and write its lines to `out_path`; refuse an empty result."""
    with loaded_source(spec) as parts:
        columns = [_columns_or_fail(spec, part) for part in parts]
        counts = _Counts()
        report = throttled_progress(progress, sum(len(part) for part in parts))

        def write(out: Any) -> None:
            for part, (string, strings) in zip(parts, columns, strict=True):
                for line in _part_lines(part, string, strings, counts, report):
                    out.write(line + "\n")
                    counts.lines += 1

        _write_synced(out_path, write)
        report(counts.rows, force=True)
    if counts.lines == 0:
        raise DataError(_empty_message(spec, counts))
    return counts


def _columns_or_fail(spec: HubSpec, part: Dataset) -> tuple[str | None, str | None]:
    schema = part.features.arrow_schema
    string, strings = text_columns(schema)
    if string is None and strings is None:
        raise DataError(
            f"{spec.spec} has no text column (string or list of strings); "
            f"its columns: {describe_columns(schema)}"
        )
    return string, strings


def _empty_message(spec: HubSpec, counts: _Counts) -> str:
    return (
        f"{spec.spec} gave no text lines: {counts.rows} rows read, {counts.empty} empty, "
        f"{counts.too_long} with cells over {MAX_CELL_BYTES:,} bytes"
    )


def _part_lines(
    part: Dataset,
    string: str | None,
    strings: str | None,
    counts: _Counts,
    report: Callable[..., None],
) -> Iterator[str]:
    """Lines of one split: the string cell; failing that (missing or blank), the list's items."""
    names = [name for name in (string, strings) if name is not None]
    for batch in part.select_columns(names).iter(batch_size=BATCH_ROWS):
        size = len(batch[names[0]])
        cells = batch[string] if string else [None] * size
        lists = batch[strings] if strings else [None] * size
        for cell, items in zip(cells, lists, strict=True):
            yield from _row_lines(cell, items, counts)
        counts.rows += size
        report(counts.rows)


def _row_lines(cell: str | None, items: list[str] | None, counts: _Counts) -> Iterator[str]:
    if cell is not None and cell.strip():
        if _too_long(cell):
            counts.too_long += 1
        else:
            yield _phrase(cell)
        return
    usable = [item for item in items or () if item is not None and item.strip()]
    if not usable:
        counts.empty += 1
    for item in usable:
        if _too_long(item):
            counts.too_long += 1
        else:
            yield _phrase(item)


def throttled_progress(progress: Progress | None, total: int | None) -> Callable[..., None]:
    """A progress reporter that calls `progress` at most every PROGRESS_INTERVAL_S seconds."""
    last = 0.0

    def report(done: int, force: bool = False) -> None:
        nonlocal last
        now = time.monotonic()
        if progress is not None and (force or now - last >= PROGRESS_INTERVAL_S):
            last = now
            progress(done, total)

    report(0, force=True)
    return report
