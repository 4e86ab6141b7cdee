"""The hint under the form's Data field: what the source is (a file's size, cached,
reachable) and how many distinct words it has, for the summary's vocab size. Describing a
hub: id may take seconds (a network check), so it is found in a worker, never on the UI
thread; this module is loaded with the Train screen, the engine's probes when first used."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from textual.message import Message
from textual.worker import get_current_worker

from tofy_tui.messages import DataDescribed, VocabSettings

SETTLE_S = 0.3  # typing goes on: only a value left this long is worth the work
# The form's first value waits longer: counting the built-in corpus's words (~40 ms of the
# interpreter's time) would otherwise land on the app's first keys and clicks.
FIRST_SETTLE_S = 1.0


@dataclass
class DataHint:
    """The source the form's hint is about, the settings its words were counted with
    (lowercase, held-out share, seed), and its distinct words once counted."""

    source: str | None = None
    words: int | None = None
    settings: VocabSettings | None = None
    said: tuple[str, bool] | None = None  # the worker's line about it, and whether an error

    def changed(self, source: str, settings: VocabSettings | None = None) -> bool:
        """True when `source` or the settings are new: the words are unknown until it is
        described again."""
        if (source, settings) == (self.source, self.settings):
            return False
        self.source, self.settings, self.words, self.said = source, settings, None, None
        return True

    def took(self, message: DataDescribed) -> bool:
        """Keep a worker's answer; False when the form has moved on to another source."""
        if (message.source, message.settings) != (self.source, self.settings):
            return False
        self.words, self.said = message.words, (message.message, message.error)
        return True


def describe_source(
    source: str,
    settings: VocabSettings,
    post: Callable[[Message], object],
    settle: float = SETTLE_S,
) -> None:
    """A worker's body: describe `source`, count the words its vocabulary is built from with
    `settings`, and post `DataDescribed`, unless the worker was
    cancelled meanwhile (a newer value replaced it)."""
    from tofy_tui.data_probe import describe_data, distinct_words  # not for the first frame

    time.sleep(settle)
    worker = get_current_worker()
    if worker.is_cancelled:
        return
    info = describe_data(source)
    words = distinct_words(info.text_path, settings) if info.text_path else None
    if not worker.is_cancelled:
        post(DataDescribed(source, info.message, info.error, words, settings))
