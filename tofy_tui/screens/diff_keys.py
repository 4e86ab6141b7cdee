"""The Diff screen's keyboard and its session of queries: every printable key is the query's
(typed on a list, it goes to the query line, so `q` or `e` mid-sentence never quits or
exports), Escape moves between the query and the word list, ↑/↓ recall earlier queries, and
the history can be asked again of another model or exported; `unsaved` says whether quitting
would lose any of it. DiffScreen (diff.py) asks and renders."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events
from textual.screen import Screen
from textual.widgets import Input

from tofy_core import paths
from tofy_core.errors import TofyError
from tofy_tui.widgets.diff_history import HistoryEntry, HistoryPanel
from tofy_tui.widgets.neighbour_list import NeighbourList
from tofy_tui.widgets.query_input import MODE_KEYS

if TYPE_CHECKING:
    from tofy_core.probe.query import DiffAnswer

PASSED = MODE_KEYS | {"question_mark"}  # with an empty query: screens and help, as in it


def model_name(prober: Any) -> str:
    """What the history calls a model: its run's name, followed by the run's id when another
    run has that name too; a model file outside any run, by its label."""
    from tofy_core.runs.folders import list_runs

    run = getattr(prober, "run", None)
    if run is None or not run.name:
        return prober.label
    try:
        twins = sum(1 for other in list_runs() if other.name == run.name) > 1
    except (OSError, TofyError):
        twins = True  # the id, which names it whatever the other runs are
    return f"{run.name} · {run.run_id}" if twins else run.name


class DiffKeys(Screen):
    """Keys and history of a DiffScreen (which sets `entries`, `prober` and `ask`)."""

    entries: list[HistoryEntry]
    recall_at: int
    prober: Any
    top_k: int
    saved = 0  # how many entries the last export wrote

    def ask(self, text: str, record: bool = True) -> DiffAnswer | None:
        raise NotImplementedError

    @property
    def query_line(self) -> Input:
        return self.query_one("#diff-input", Input)

    @property
    def unsaved(self) -> int:
        """Queries asked since the last export: what quitting now would lose."""
        return max(len(self.entries) - self.saved, 0)

    def on_key(self, event: events.Key) -> None:
        """A printable key typed while a list has the focus goes to the query line (on an
        empty line, 1/2/3 and ? still switch screens and open the help)."""
        line = self.query_line
        if self.focused is line or not event.is_printable or event.character is None:
            return
        if not line.value and event.key in PASSED:
            return
        event.stop()
        event.prevent_default()
        line.focus()
        line.cursor_position = len(line.value)
        line.insert_text_at_cursor(event.character)

    def action_leave_input(self) -> None:
        """Escape: from the query line to the word list, and from a list back to the line."""
        if self.focused is self.query_line:
            self.query_one(NeighbourList).focus()
        else:
            self.query_line.focus()

    def action_recall(self, step: int) -> None:
        """Up/down walk the history into the input (below the newest: an empty line)."""
        if not self.entries:
            return
        self.recall_at = min(max(self.recall_at + step, 0), len(self.entries))
        field = self.query_line
        field.value = (
            self.entries[self.recall_at].text if self.recall_at < len(self.entries) else ""
        )
        field.cursor_position = len(field.value)
        field.focus()

    # --- the whole history -------------------------------------------------------------------

    def action_compare(self) -> None:
        """Ask every earlier query of the current model, its score beside the first one's."""
        if self.prober is None or not self.entries:
            self.notify("Nothing to compare: ask something, or load a model first.")
            return
        name = model_name(self.prober)
        for entry in self.entries:
            try:
                entry.other = self.prober.ask(entry.text, self.top_k)
            except TofyError:
                entry.other = None
            entry.other_model, entry.other_name = self.prober.label, name
        self.query_one(HistoryPanel).show(self.entries)
        self.notify(f"History asked again of {name}: scores side by side.", markup=False)

    def action_export(self) -> None:
        from tofy_tui.screens.export_history import ExportHistory

        if not self.entries:
            self.notify("Nothing to export yet: ask something first.")
            return

        def chosen(path: str | None) -> None:
            if not path:
                return
            try:
                self.export(paths.user_path(path))
            except TofyError as exc:
                self.notify(str(exc), title="Export", severity="error", markup=False)

        self.app.push_screen(ExportHistory(), chosen)

    def export(self, path: Path) -> None:
        from tofy_core.probe.export import export_answers

        asked = [(e.model, e.answer) for e in self.entries]
        asked += [(e.other_model, e.other) for e in self.entries if e.other is not None]
        try:
            count = export_answers(path, asked)
        except TofyError as exc:
            self.notify(str(exc), severity="error")
            return
        self.saved = len(self.entries)
        self.notify(f"{count} answers written to {path}")
