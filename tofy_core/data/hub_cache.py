"""The cache of converted `hub:` sources: one text file per source and split (one phrase per
line) beside a JSON sidecar describing it, under `<cache>/hub/`.

Both files are written atomically, the text first; the sidecar records the text's size and the
source files' fingerprint, so a torn, stale or foreign text file is never used: it is rebuilt
instead. `tofy datasets` lists and clears entries through here."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from tofy_core.data.hub_spec import HUB_PREFIX, HubSpec, folder_data_files, parse_hub_spec
from tofy_core.errors import DataError
from tofy_core.fsutil import atomic_text_file, atomic_write_json
from tofy_core.paths import cache_dir

CACHE_FORMAT = 1


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
class ConversionCounts:
    """What a conversion read and wrote; the sidecar keeps lines, rows and skipped."""

    rows: int = 0
    lines: int = 0
    empty: int = 0
    too_long: int = 0

    @property
    def skipped(self) -> int:
        return self.empty + self.too_long


def hub_cache_dir() -> Path:
    path = cache_dir() / "hub"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class CacheEntry:
    """Where one source's text and sidecar live, and the fingerprint they must match."""

    spec: HubSpec
    text_path: Path
    meta_path: Path
    fingerprint: str

    @classmethod
    def of(cls, spec: HubSpec) -> CacheEntry:
        root = hub_cache_dir().resolve()
        text = (root / f"{spec.key}.txt").resolve()
        if text.parent != root:  # the key is built from safe characters; this is a last guard
            raise DataError(f"refusing cache name {spec.key!r}: it would leave the cache folder")
        return cls(spec, text, text.with_suffix(".json"), _fingerprint(spec))

    def read(self) -> HubText | None:
        """The cached text, when its sidecar matches this format, this source's files and the
        text file's size; else None."""
        meta = _read_meta(self.meta_path)
        if meta is None or meta.get("format") != CACHE_FORMAT:
            return None
        if meta.get("fingerprint") != self.fingerprint:
            return None
        counts = [_count(meta, key) for key in ("lines", "rows", "skipped", "bytes")]
        if None in counts or meta.get("lines") is None:
            return None  # a sidecar of the wrong shape vouches for nothing: rebuild
        try:
            if self.text_path.stat().st_size != counts[3]:
                return None
        except OSError:
            return None
        return self._text(counts[0], counts[1], counts[2], True)

    def write(self, convert: Callable[[IO[str]], ConversionCounts]) -> HubText:
        """Replace the entry with the lines `convert` writes, then a sidecar vouching for them;
        an error inside `convert` leaves the old entry as it was."""
        with atomic_text_file(self.text_path) as out:
            counts = convert(out)
            self.meta_path.unlink(missing_ok=True)  # an old sidecar must never vouch for new text
        spec = self.spec
        meta = {
            "format": CACHE_FORMAT,
            "spec": spec.spec,
            "kind": spec.kind,
            "source": spec.ident,
            "split": spec.split,
            "lines": counts.lines,
            "rows": counts.rows,
            "skipped": counts.skipped,
            "bytes": self.text_path.stat().st_size,
            "fingerprint": self.fingerprint,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        atomic_write_json(self.meta_path, meta, sort_keys=False)
        return self._text(counts.lines, counts.rows, counts.skipped, False)

    def _text(self, lines: int, rows: int, skipped: int, from_cache: bool) -> HubText:
        return HubText(self.text_path, lines, from_cache, self.spec.spec, rows, skipped)


def _fingerprint(spec: HubSpec) -> str:
    """What the cache must match: the files' names, sizes and times for a folder."""
    if spec.kind == "hub":
        return "hub"
    digest = hashlib.sha256()
    for split, paths in sorted(folder_data_files(spec).items()):
        for name in paths:
            stat = os.stat(name)
            digest.update(f"{split}\0{name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def _count(meta: dict[str, Any], key: str) -> int | None:
    """A sidecar's count: a whole number ≥ 0 (absent: 0), else None."""
    value = meta.get(key, 0)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def _read_meta(meta_path: Path) -> dict[str, Any] | None:
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


# ---------------------------------------------------------------- listing and clearing


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
    lines = _count(meta, "lines")
    valid = text_path.exists() and meta.get("bytes") == text_path.stat().st_size
    return CachedDataset(
        key=stem,
        spec=str(meta.get("spec", f"(incomplete) {stem}")),
        split=str(meta.get("split", "?")),
        lines=lines or 0,
        size_bytes=size,
        created=str(meta.get("created", "")),
        path=text_path,
        valid=valid and lines is not None,
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
