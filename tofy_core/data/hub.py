"""`hub:` data sources read through `datasets`: the cached text of a source (converted on first
use), and the loading and conversion behind it.

A Hugging Face dataset or a local parquet folder (hub_spec) is loaded once, each row turned
into lines (the first string column, else the items of the first list-of-strings column), and
the lines stored in the cache (hub_cache); later runs read the cache and never touch the
network. The `datasets` library is imported lazily: importing `tofy_core` must stay fast.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlparse

from tofy_core.data.hub_cache import CacheEntry, ConversionCounts, HubText
from tofy_core.data.hub_spec import ALL_SPLITS, HubSpec, folder_data_files, parse_hub_spec
from tofy_core.errors import DataError
from tofy_core.paths import cache_dir
from tofy_core.progress import Progress, throttled

if TYPE_CHECKING:
    import pyarrow as pa
    from datasets import Dataset

MAX_CELL_BYTES = 50_000
BATCH_ROWS = 1000

# Every character that could end a line or split a pair in the phrase reader becomes a space.
_BREAKS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


def resolve_hub(source: str, *, refresh: bool = False, progress: Progress | None = None) -> HubText:
    """The cached text file of a `hub:` source, converting it first if needed (or asked)."""
    spec = parse_hub_spec(source)
    entry = CacheEntry.of(spec)
    cached = None if refresh else entry.read()
    return cached or entry.write(lambda out: _convert(spec, out, progress))


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
            for split, files in folder_data_files(spec).items():
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
    check_hub_reachable(spec)
    split = None if spec.split == ALL_SPLITS else spec.split
    downloads = str(cache_dir() / "hub-downloads")  # under the Tofy home, not ~/.cache
    loaded = _call_loader(
        spec, lambda: datasets.load_dataset(spec.ident, split=split, cache_dir=downloads)
    )
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


def check_hub_reachable(spec: HubSpec) -> None:
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


def _convert(spec: HubSpec, out: IO[str], progress: Progress | None) -> ConversionCounts:
    """Load the source and write its lines to `out`; refuse an empty result."""
    with loaded_source(spec) as parts:
        columns = [_columns_or_fail(spec, part) for part in parts]
        counts = ConversionCounts()
        report = throttled(progress, sum(len(part) for part in parts))
        for part, (string, strings) in zip(parts, columns, strict=True):
            for line in _part_lines(part, string, strings, counts, report):
                out.write(line + "\n")
                counts.lines += 1
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


def _empty_message(spec: HubSpec, counts: ConversionCounts) -> str:
    return (
        f"{spec.spec} gave no text lines: {counts.rows} rows read, {counts.empty} empty, "
        f"{counts.too_long} with cells over {MAX_CELL_BYTES:,} bytes"
    )


def _part_lines(
    part: Dataset,
    string: str | None,
    strings: str | None,
    counts: ConversionCounts,
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


def _row_lines(
    cell: str | None, items: list[str] | None, counts: ConversionCounts
) -> Iterator[str]:
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
