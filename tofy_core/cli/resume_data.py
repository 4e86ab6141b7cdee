"""Whether a run may resume on the data it is given: the source still there (or `--data`
naming where it moved), and its text the text the run began on (size and sha256, the token
cache's fingerprint). Kept apart from `cli/train.py`, which starts and resumes the trainer."""

from __future__ import annotations

import sys

from tofy_core import paths
from tofy_core.config import TrainConfig
from tofy_core.errors import DataError
from tofy_core.runs import folders as runs
from tofy_core.train.preflight import absolute_source, check_data_source, fingerprint_file


def data_fingerprint(corpus) -> tuple[int, str]:
    """Size and sha256 of the text read: the token cache's (hashed once per file state)."""
    if hasattr(corpus, "data_sha256"):
        return corpus.data_bytes, corpus.data_sha256
    return fingerprint_file(corpus.path)


def resumable_source(info: runs.RunInfo, recorded: str, given: str | None) -> str:
    """The data source to resume on, checked; a recorded file that is gone names --data."""
    source = recorded if given is None else given
    try:
        check_data_source(source)
    except DataError as exc:
        if given is None and source:
            raise DataError(
                f"{exc}; if the data moved: tofy resume {info.run_id} --data NEW_PATH"
            ) from None
        raise
    return absolute_source(source)


def check_same_data(info: runs.RunInfo, train: TrainConfig, corpus, moved_on: bool = False) -> None:
    """The text read now is the text the run began on; older runs, which recorded no
    fingerprint, and an imported run given its data (`moved_on`), start recording one. A
    changed embedded corpus (another Tofy version) is only a warning: there is no other
    copy to point at."""
    size, digest = data_fingerprint(corpus)
    recorded = train.data_sha256
    train.data_bytes, train.data_sha256 = size, digest
    if not recorded or recorded == digest or moved_on:
        return
    if not train.data:
        print(
            "warning: the embedded default corpus changed since this run began (another Tofy "
            "version): training continues on the current one, not exactly as before",
            file=sys.stderr,
        )
        return
    raise changed_data(info, corpus.source)


def changed_data(info: runs.RunInfo, source: str) -> DataError:
    return DataError(
        f"{source} is not the data run {info.run_id} was trained on (its size or sha256 "
        f"changed): restore it, or point at the original with "
        f"`tofy resume {info.run_id} --data PATH`"
    )


def refuse_changed_file(info: runs.RunInfo, train: TrainConfig, moved_on: bool) -> None:
    """A data file whose text changed is refused before any tokenizing, in one line (its
    hash is the token cache's, remembered by path, size and modification time)."""
    from tofy_core.data.hub_spec import is_hub_spec
    from tofy_core.data.token_cache import fingerprint

    if moved_on or not train.data or not train.data_sha256 or is_hub_spec(train.data):
        return
    if fingerprint(paths.user_path(train.data))[1] != train.data_sha256:
        raise changed_data(info, train.data)
