"""The Diff screen: ask a trained model `phrase with _ => answer` and see what it saw (the
phrase as chips), how close it came (gauges, rank) and what it thought (the nearest words).

Everything is computed by `tofy_core.diff.Prober`, the code `tofy diff` uses; this screen only
renders. The model loads in a worker (the first load imports torch); queries take milliseconds
and run on the UI thread once it is loaded."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Header, Input, Static
from textual.worker import Worker, WorkerState

from tofy_core.errors import TofyError
from tofy_core.probe.query import DiffAnswer, TokenView, parse_query
from tofy_core.runs import folders as runs
from tofy_tui.focus import keep_focus_shown
from tofy_tui.messages import ModelFailed, ModelLoaded
from tofy_tui.screens.diff_keys import DiffKeys
from tofy_tui.widgets.answer_card import AnswerCard
from tofy_tui.widgets.diff_history import HistoryEntry, HistoryPanel
from tofy_tui.widgets.key_footer import KeyFooter
from tofy_tui.widgets.masked_phrase import MaskedPhrase
from tofy_tui.widgets.model_header import ModelHeader
from tofy_tui.widgets.neighbour_list import NeighbourList
from tofy_tui.widgets.query_input import QueryInput

TOP_K_STEPS = (5, 10, 20, 50)
NARROW = 100  # columns: at this width or less the history is a pane shown on demand
HIDDEN_EXTRA = 32  # asked beyond k when words of the phrase are hidden from the neighbours
PLACEHOLDER = "phrase with _ => answer   (several: a, b · none: the model's guesses)"


def default_model() -> str | None:
    """The most recent finished run with saved weights, else None."""
    for info in runs.list_runs():
        if info.status == "finished" and info.file(runs.MODEL_FILE).is_file():
            return info.run_id
    return None


class DiffScreen(DiffKeys, Screen):
    SUB_TITLE = "Diff"
    # In the footer's order, most used first: what does not fit its width stays in the help
    # and the palette. No single letter: every printable key is the query's (DiffKeys).
    FOOTER_ORDER: ClassVar[tuple[str, ...]] = (
        "diff.recall",
        "diff.leave",
        "diff.model",
        "diff.export",
        "app.quit",
        "app.quit-any",
        "app.help",
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave_input", "Words", id="diff.leave"),
        Binding("up", "recall(-1)", "Recall", show=False, id="diff.earlier"),  # QueryInput's
        Binding("down", "recall(1)", "Later", show=False, id="diff.later"),
        Binding("ctrl+o", "pick_model", "Model", id="diff.model"),
        Binding("ctrl+s", "export", "Export", id="diff.export"),
        Binding("ctrl+n", "more_neighbours", "Top-k", id="diff.top-k"),
        Binding("ctrl+r", "compare", "Re-ask all", id="diff.compare"),
        Binding("ctrl+b", "toggle_hidden", "Hide phrase words", id="diff.hide"),
        Binding("ctrl+g", "toggle_history", "History pane", id="diff.history"),
    ]
    DEFAULT_CSS = """
    #diff-main { width: 1fr; padding: 0 1; }
    #diff-input { margin-top: 1; }
    #diff-phrase { height: auto; min-height: 1; padding: 0 1; }
    #diff-hint { height: auto; padding: 0 1; color: $text-muted; }
    #diff-hint.-error { color: $error; }
    #diff-cards { height: auto; }
    .answer-card { width: 1fr; height: auto; border: round $panel-lighten-2; padding: 0 1; }
    #diff-notes { height: auto; padding: 0 1; color: $warning; }
    #diff-neighbours-title { height: 1; padding: 0 1; color: $text-muted; }
    #diff-neighbours { height: 1fr; min-height: 5; }
    #diff-side { width: 44; border-left: vkey $panel-lighten-2; }
    #diff-history { height: 1fr; }
    DiffScreen.-narrow #diff-side { width: 34; }
    DiffScreen.-narrow #diff-cards { layout: vertical; max-height: 9; overflow-y: auto; }
    DiffScreen.-narrow .answer-card { border: none; padding: 0; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.prober: Any = None
        self.loading_ref: str | None = None
        self.wanted: str | None = None
        self.pending: str | None = None  # Enter pressed while loading: asked once loaded
        self.entries: list[HistoryEntry] = []
        self.recall_at = 0
        self.top_k = TOP_K_STEPS[0]
        self.hide_phrase_words = False
        self.last: DiffAnswer | None = None
        self.history_shown: bool | None = None  # None: by the width (hidden when narrow)

    def compose(self) -> ComposeResult:
        yield Header()
        yield ModelHeader(id="diff-model")
        with Horizontal():
            with Vertical(id="diff-main"):
                yield QueryInput(placeholder=PLACEHOLDER, id="diff-input")
                yield MaskedPhrase(id="diff-phrase")
                yield Static("", id="diff-hint")
                yield Horizontal(id="diff-cards")
                yield Static("", id="diff-notes")
                yield Static("", id="diff-neighbours-title")
                yield NeighbourList(id="diff-neighbours")
            with Vertical(id="diff-side"):
                yield Static(Text("History (Enter: ask again)", style="dim"))
                yield HistoryPanel(id="diff-history")
        yield KeyFooter()

    def on_resize(self, event: events.Resize) -> None:
        self._lay_out(event.size.width)

    def _lay_out(self, width: int) -> None:
        """At NARROW columns or fewer the answer cards stack one per row and the history is
        a pane Ctrl+G shows, so the phrase and the neighbours keep their room."""
        narrow = width <= NARROW
        self.set_class(narrow, "-narrow")
        side = self.query_one("#diff-side")
        side.display = not narrow if self.history_shown is None else self.history_shown
        keep_focus_shown(self, self.query_one("#diff-input"))

    def action_toggle_history(self) -> None:
        self.history_shown = not self.query_one("#diff-side").display
        self._lay_out(self.app.size.width)

    def on_mount(self) -> None:
        self._lay_out(self.app.size.width)
        self.query_one("#diff-input", Input).focus()
        ref = self.wanted or default_model()
        if ref is None:
            self.query_one(ModelHeader).no_model()
        else:  # once the screen is drawn: importing torch holds the GIL for seconds
            self.call_after_refresh(self._start_load, ref)

    # --- the model ---------------------------------------------------------------------------

    def open_model(self, ref: str) -> None:
        """Load `ref` (a run id, folder or weights file) in the background; the model loaded
        before stays usable until the new one is ready."""
        if not self.is_mounted:
            self.wanted = ref
            return
        self._start_load(ref)

    def _start_load(self, ref: str) -> None:
        self.loading_ref = ref
        self.query_one(ModelHeader).loading(ref)
        self._load(ref)

    @work(thread=True, exclusive=True, exit_on_error=False, group="diff-load")
    def _load(self, ref: str) -> None:
        from tofy_core.probe.prober import Prober

        try:
            prober = Prober.load(ref)
            prober.warm_up()
        except TofyError as exc:
            self.post_message(ModelFailed(ref, str(exc)))
            return
        self.post_message(ModelLoaded(ref, prober))

    def on_model_loaded(self, event: ModelLoaded) -> None:
        if event.ref != self.loading_ref:
            return
        self.loading_ref = None
        self.prober = event.prober
        self._clear_answer()  # the last model's cards are not this one's
        self.query_one(ModelHeader).loaded(self.prober)
        self._preview(self.query_one("#diff-input", Input).value)
        if self.pending is not None:
            text, self.pending = self.pending, None
            self.ask(text)

    def on_model_failed(self, event: ModelFailed) -> None:
        if event.ref == self.loading_ref:
            self._failed(event.ref, event.problem)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A bug in loading (not a user's mistake) still ends in a line, never a traceback."""
        failed = event.worker.group == "diff-load" and event.state == WorkerState.ERROR
        if failed and self.loading_ref is not None:
            error = event.worker.error
            self._failed(self.loading_ref, f"{type(error).__name__}: {error}")

    def _failed(self, ref: str, problem: str) -> None:
        self.loading_ref = None
        self.pending = None
        still = self.prober.label if self.prober is not None else ""
        self.query_one(ModelHeader).failed(ref, problem, still)

    def action_pick_model(self) -> None:
        from tofy_tui.screens.model_picker import ModelPicker

        def chosen(ref: str | None) -> None:
            if ref:
                self.open_model(ref)

        self.app.push_screen(ModelPicker(), chosen)

    # --- typing ------------------------------------------------------------------------------

    @on(Input.Changed, "#diff-input")
    def _typed(self, event: Input.Changed) -> None:
        self._preview(event.value)

    def _preview(self, text: str) -> None:
        """Show the phrase as the model will read it, and what would make the query invalid."""
        phrase = self.query_one(MaskedPhrase)
        if not text.strip():  # cleared after a query: the phrase the answer is about
            phrase.show(self._phrase_of(self.last.query) if self.last is not None else [])
            self._hint("")
            return
        try:
            if self.prober is not None:
                views = self.prober.preview(text)
            else:
                query = parse_query(text)
                views = [
                    TokenView(t, "mask" if i == query.mask_index else "word")
                    for i, t in enumerate(query.tokens)
                ]
        except TofyError as exc:
            self._hint(str(exc), error=True)
            return
        phrase.show(views)
        if "=>" not in text or not text.partition("=>")[2].strip():
            self._hint("no answer: Enter shows the model's guesses for the blank")
        elif self.prober is not None:
            unknown = [
                a
                for a in parse_query(text, self.prober.config.lowercase).answers
                if not self.prober.known(a)
            ]
            self._hint(f"not in the vocabulary: {', '.join(unknown)}" if unknown else "")
        else:
            self._hint("")

    def _hint(self, text: str, error: bool = False) -> None:
        hint = self.query_one("#diff-hint", Static)
        hint.set_class(error, "-error")
        hint.update(Text(text))

    # --- asking ------------------------------------------------------------------------------

    @on(Input.Submitted, "#diff-input")
    def _entered(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.ask(event.value)

    def ask(self, text: str, record: bool = True) -> DiffAnswer | None:
        """Ask the loaded model; the engine's message under the input when it refuses."""
        if self.prober is None:
            if self.loading_ref is not None:
                self.pending = text
                self._hint("the model is still loading: the query runs when it is ready")
            else:
                self._hint("no model loaded: Ctrl+O picks one", error=True)
            return None
        try:
            answer = self.prober.ask(
                text, self.top_k + (HIDDEN_EXTRA if self.hide_phrase_words else 0)
            )
        except TofyError as exc:
            self._clear_answer()  # no card of an earlier query under this one's error
            self._hint(str(exc), error=True)
            return None
        self._hint("")
        self.last = answer
        self._show_answer(answer)
        if record:
            self.entries.append(HistoryEntry(text.strip(), self.prober.label, answer))
            self.recall_at = len(self.entries)
            self.query_one(HistoryPanel).add(self.entries)
            self.query_one("#diff-input", Input).value = ""  # the next query; ↑ recalls this
        return answer

    def _phrase_of(self, text: str) -> list[TokenView]:
        try:
            return self.prober.preview(text) if self.prober is not None else []
        except TofyError:
            return []

    def _clear_answer(self) -> None:
        """No answer shown: cards, notes and neighbours of an earlier query go."""
        self.last = None
        for card in self.query(AnswerCard):  # hidden, not removed: the next answer reuses them
            card.display = False
        self.query_one("#diff-notes", Static).update("")
        self.query_one(NeighbourList).show([], set())
        self.query_one("#diff-neighbours-title", Static).update("")
        self.query_one(MaskedPhrase).show([])

    def _show_answer(self, answer: DiffAnswer) -> None:
        cards = self.query_one("#diff-cards")
        shown = list(cards.query(AnswerCard))
        for card, result in zip(shown, answer.results, strict=False):
            card.show(result)  # in place: far cheaper than mounting new widgets
            card.display = True
        if len(shown) > len(answer.results):
            cards.remove_children(shown[len(answer.results) :])
        elif len(answer.results) > len(shown):
            cards.mount_all([AnswerCard(r) for r in answer.results[len(shown) :]])
        self.query_one("#diff-notes", Static).update(Text("\n".join(answer.notes())))
        hidden = set(answer.tokens) if self.hide_phrase_words else set()
        neighbours = self.query_one(NeighbourList)
        neighbours.show(answer.neighbors, hidden)
        if len(neighbours.words) > self.top_k:
            neighbours.show(neighbours.words[: self.top_k], set())
        what = "The model's guesses" if answer.is_guess else "Nearest words"
        extra = " (words of the phrase hidden)" if self.hide_phrase_words else ""
        self.query_one("#diff-neighbours-title", Static).update(
            Text(f"{what}, top {self.top_k}{extra} — Enter asks with that word as the answer")
        )

    @on(NeighbourList.OptionSelected, "#diff-neighbours")
    def _neighbour_chosen(self, event: NeighbourList.OptionSelected) -> None:
        if self.last is None:
            return
        word = self.query_one(NeighbourList).word_at(event.option_index)
        phrase = self.last.query.partition("=>")[0].strip()
        text = f"{phrase} => {word}"
        self.query_one("#diff-input", Input).value = text
        self.ask(text)

    @on(HistoryPanel.OptionSelected, "#diff-history")
    def _history_chosen(self, event: HistoryPanel.OptionSelected) -> None:
        text = self.entries[event.option_index].text
        self.query_one("#diff-input", Input).value = text
        self.ask(text)

    def action_more_neighbours(self) -> None:
        at = TOP_K_STEPS.index(self.top_k) if self.top_k in TOP_K_STEPS else -1
        self.top_k = TOP_K_STEPS[(at + 1) % len(TOP_K_STEPS)]
        self._reask_last()

    def action_toggle_hidden(self) -> None:
        self.hide_phrase_words = not self.hide_phrase_words
        self._reask_last()

    def _reask_last(self) -> None:
        if self.last is not None:
            self.ask(self.last.query, record=False)
