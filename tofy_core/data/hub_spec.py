"""What a `hub:` source names: a Hugging Face dataset id or a local parquet folder, the split
to read, the cache file name it gets, and (for a folder) which parquet files that split holds.

Pure parsing plus a folder listing: no network, no `datasets`, cheap enough for a form to call
as the user types."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tofy_core import paths
from tofy_core.errors import DataError, TofyError

HUB_PREFIX = "hub:"
DEFAULT_SPLIT = "train"
ALL_SPLITS = "all"

_ID_PART = r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}"
_HUB_ID = re.compile(rf"{_ID_PART}(/{_ID_PART})?")
_SPLIT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")
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
        import hashlib  # here: its OpenSSL load is not for the app's start-up

        digest = hashlib.sha256(self.ident.encode("utf-8")).hexdigest()[:12]
        return f"dir-{name}-{digest}@{self.split}"


def is_hub_spec(source: str) -> bool:
    """A data source the hub loader reads (`hub:` prefix), not a text file."""
    return source.startswith(HUB_PREFIX)


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
        expanded = _expanded(target)
        if expanded is None:
            raise DataError(
                f"cannot expand {target!r}: no such user's home folder; write the folder's "
                "full path after hub:"
            )
        folder = expanded.resolve()
        return HubSpec("folder", str(folder), _chosen_split(named, split, _folder_split))
    if not _valid_hub_id(target):
        raise DataError(
            f"invalid dataset id {target!r}: use name or owner/name (letters, digits, '-', '_', "
            "'.'), or hub:./folder for a local parquet folder"
        )
    return HubSpec("hub", target, _chosen_split(named, split))


def _expanded(text: str) -> Path | None:
    """`text` as a path with `~` or `~user` expanded; None when there is no such home."""
    try:
        return paths.user_path(text)
    except TofyError:  # `~name` of a user this system does not have
        return None


def _split_suffix(body: str) -> tuple[str, str | None]:
    """Cut the last `@split`; a path whose `@` belongs to an existing folder keeps it."""
    target, at, split = body.rpartition("@")
    if not at:
        return body, None
    whole, before = _expanded(body), _expanded(target)
    if whole is not None and whole.is_dir() and not (before is not None and before.is_dir()):
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


# ---------------------------------------------------------------- local folders


def check_folder(spec: HubSpec) -> None:
    """A local parquet folder exists and holds parquet files of the asked split: the cheap
    checks a form or `tofy train` makes before anything is converted."""
    if spec.kind == "folder":
        folder_data_files(spec)


def folder_data_files(spec: HubSpec) -> dict[str, list[str]]:
    """The parquet files of a folder source's split (every split for @all), by split name."""
    splits = _folder_splits(spec)
    if spec.split == ALL_SPLITS:
        return {name: [str(p) for p in paths] for name, paths in splits.items()}
    split = spec.split
    if split not in splits:
        have = ", ".join(sorted(splits))
        raise DataError(f"{spec.ident} has no {spec.split!r} split; it has: {have} (or @all)")
    return {split: [str(p) for p in splits[split]]}


FOLDER_DEPTH = 4  # a Hub dataset's layout: <config>/<split>/file.parquet at most, and room


def _parquet_files(folder: Path) -> list[Path]:
    """The .parquet files up to FOLDER_DEPTH below `folder`, hidden folders skipped: a wrong
    folder (a home, a disk) costs a bounded walk, never the whole tree."""
    found = []
    for root, dirs, names in os.walk(folder):
        depth = len(Path(root).relative_to(folder).parts)
        dirs[:] = [] if depth >= FOLDER_DEPTH else [d for d in dirs if not d.startswith(".")]
        found += [Path(root) / n for n in names if n.endswith(".parquet") and not n.startswith(".")]
    return [path for path in found if path.is_file()]


def _folder_splits(spec: HubSpec) -> dict[str, list[Path]]:
    """The folder's parquet files grouped by split, named the way the Hub names them."""
    folder = Path(spec.ident)
    if not folder.is_dir():
        raise DataError(f"parquet folder {folder} does not exist")
    if folder == Path(folder.anchor) or folder == Path.home():
        raise DataError(
            f"{folder} is not a dataset folder: give the folder holding the .parquet files"
        )
    files = sorted(_parquet_files(folder))
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
