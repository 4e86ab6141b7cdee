"""What the Models screen does to a run: open it in Diff, resume, watch, stop, rename,
delete, export, import. Each asks what it must (a dialog), then calls the engine
(tofy_core.runs: folders, ops) — slow calls in a worker — or hands over to the Train screen."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tofy_core import paths
from tofy_core.errors import TofyError
from tofy_core.format import format_bytes
from tofy_core.runs import folders as runs
from tofy_core.runs import ops as run_ops
from tofy_tui.run_list import ActionDone
from tofy_tui.screens.models_dialogs import AskScreen, ConfirmScreen

if TYPE_CHECKING:
    from tofy_core.runs.summary import RunSummary

ACTIONS: tuple[tuple[str, str, str], ...] = (
    ("Open run in Diff", "probe the selected run's model (Enter)", "open_diff"),
    ("Resume run", "continue the selected run; the Train monitor shows it (r)", "resume"),
    ("Watch run", "follow the selected running run on the Train monitor (w)", "watch"),
    ("Stop run", "the selected run's trainer saves and ends (x)", "stop"),
    ("Rename run", "give the selected run a new name (n)", "rename"),
    ("Delete run", "remove the selected run's folder (d)", "delete"),
    ("Export run", "write model_latent.safetensors + vocab_latent.txt to a folder (e)", "export"),
    ("Import checkpoint", "a seed-format .safetensors + vocab as a new run (i)", "import"),
    ("Compare marked runs", "overlay the marked runs' curves (c)", "compare"),
    ("Save comparison as CSV", "the compared runs' series, to a file (ctrl+s)", "save_compare"),
    ("Filter runs", "show the runs whose name, id, status or data match (/)", "filter"),
    ("Sort runs", "cycle the sort column (s)", "sort"),
)


class ModelsCommands(Provider):
    """The Models screen's actions in the command palette."""

    def _runner(self, action: str):
        return partial(self.screen.run_action, action)

    async def discover(self) -> Hits:
        for title, help_text, action in ACTIONS:
            yield DiscoveryHit(title, self._runner(action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, action in ACTIONS:
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), self._runner(action), help=help_text)


class ModelsActions:
    """Mixed into ModelsScreen; `selected`, `poll` and `run_later` come from it."""

    selected: RunSummary | None

    def _pick(self, what: str) -> RunSummary | None:
        summary = self.selected
        if summary is None:
            self.notify(f"No run selected to {what}.", severity="warning")  # type: ignore[attr-defined]
        return summary

    def _say(self, text: str, error: bool = False) -> None:
        self.notify(text, severity="error" if error else "information", markup=False)  # type: ignore[attr-defined]

    # ---------------------------------------------------------------- open, resume, watch, stop

    def action_open_diff(self) -> None:
        summary = self._pick("open")
        if summary is None:
            return
        if "model.safetensors" not in summary.files or summary.status == "damaged":
            self._say(f"Run {summary.name} has no usable weights to probe yet.", error=True)
            return
        opener = getattr(self.app, "open_in_diff", None)  # type: ignore[attr-defined]
        if opener is None:
            self._say(f"Probe it from the shell: tofy diff {summary.run_id}")
            return
        opener(summary.run_id)

    def action_resume(self) -> None:
        summary = self._pick("resume")
        if summary is None:
            return
        if summary.live or summary.status == "damaged":
            self._say(f"Run {summary.name} cannot resume: it is {summary.status}.", error=True)
            return
        busy = self.app.launcher.running()  # type: ignore[attr-defined]
        if busy:
            self._say(f"Run {busy[0].run_id} is training here: stop it first.", error=True)
            return
        start = max(summary.steps, summary.step + 1)
        note = f"It is at step {summary.step:,} of {summary.steps:,}."
        fields = [("steps", "New step total (the planned total continues exactly)", str(start))]
        done = partial(self._resume_with, summary)
        self.app.push_screen(AskScreen(f"Resume run {summary.name}", fields, note), done)  # type: ignore[attr-defined]

    def _resume_with(self, summary: RunSummary, answer: dict[str, str] | None) -> None:
        if answer is None:
            return
        text = answer["steps"].strip().replace(",", "").replace("_", "")
        if not text.isdigit() or int(text) <= summary.step:
            self._say(f"The step total must be a whole number above {summary.step:,}.", True)
            return
        steps = int(text)
        try:
            child = self.app.launcher.resume(  # type: ignore[attr-defined]
                summary.run_id, None if steps == summary.steps else steps
            )
        except TofyError as exc:
            self._say(str(exc), error=True)
            return
        self.app.run_worker(self._show_on_train(summary.run_id, child))  # type: ignore[attr-defined]

    async def _show_on_train(self, run_id: str, child=None) -> None:
        await self.app.switch_mode("train")  # type: ignore[attr-defined]
        self.app.screen.watch_run(run_id, child)  # type: ignore[attr-defined]

    def action_watch(self) -> None:
        summary = self._pick("watch")
        if summary is None:
            return
        if not summary.live:
            self._say(f"Run {summary.name} is not training ({summary.status}).", error=True)
            return
        self.app.run_worker(self._show_on_train(summary.run_id))  # type: ignore[attr-defined]

    def action_stop(self) -> None:
        from tofy_tui.training import signal_run

        summary = self._pick("stop")
        if summary is None or summary.info is None:
            return
        if not summary.live:
            self._say(f"Run {summary.name} is not training ({summary.status}).", error=True)
            return
        ours = [c for c in self.app.launcher.children if c.run_id == summary.run_id]  # type: ignore[attr-defined]
        info = summary.info

        def stop(yes: bool = True) -> None:
            if not yes:
                return
            sent = ours[-1].stop() if ours else signal_run(info)
            self._say(
                f"Stopping {summary.name}: it saves and ends as stopped."
                if sent
                else f"Run {summary.name}'s trainer is gone.",
                error=not sent,
            )

        if ours:
            stop()
            return
        question = (  # started elsewhere: someone else may be counting on it
            f"Run {summary.name} was started elsewhere, not from this window. Stop it? Its "
            "trainer finishes the step, saves and ends as stopped (resume it later)."
        )
        self.app.push_screen(ConfirmScreen(question, "Stop it"), stop)  # type: ignore[attr-defined]

    # ---------------------------------------------------------------- rename, delete

    def action_rename(self) -> None:
        summary = self._pick("rename")
        if summary is None:
            return
        fields = [("name", "New name", summary.name)]
        done = partial(self._rename_to, summary)
        self.app.push_screen(AskScreen(f"Rename run {summary.run_id}", fields), done)  # type: ignore[attr-defined]

    def _rename_to(self, summary: RunSummary, answer: dict[str, str] | None) -> None:
        if answer is None:
            return
        try:
            info = run_ops.rename_run(summary.run_id, answer["name"])
        except TofyError as exc:
            self._say(str(exc), error=True)
            return
        self._say(f"Run {info.run_id} is now called {info.name}.")
        self.poll()  # type: ignore[attr-defined]

    def action_delete(self) -> None:
        summary = self._pick("delete")
        if summary is None:
            return
        if summary.live:
            self._say(
                f"Run {summary.name} is still training (pid {summary.pid}): stop it first (x).",
                error=True,
            )
            return
        question = (
            f"Delete run {summary.name} ({summary.run_id})?\n"
            f"Its folder and {len(summary.files)} files, {format_bytes(summary.size)}, are "
            "removed for good."
        )
        done = partial(self._delete_confirmed, summary)
        self.app.push_screen(ConfirmScreen(question, "Delete"), done)  # type: ignore[attr-defined]

    def _delete_confirmed(self, summary: RunSummary, yes: bool | None) -> None:
        if yes:
            self.run_later(_delete, summary.run_id, summary.name, self.post_message)  # type: ignore[attr-defined]

    # ---------------------------------------------------------------- export, import

    def action_export(self) -> None:
        summary = self._pick("export")
        if summary is None:
            return
        fields = [("folder", "Folder to write model_latent.safetensors and vocab_latent.txt", ".")]
        done = partial(self._export_to, summary)
        self.app.push_screen(AskScreen(f"Export run {summary.name}", fields), done)  # type: ignore[attr-defined]

    def _export_to(self, summary: RunSummary, answer: dict[str, str] | None) -> None:
        if answer is None or not answer["folder"].strip():
            return
        try:
            folder = paths.user_path(answer["folder"].strip()).absolute()
        except TofyError as exc:
            self.notify(str(exc), title="Export", severity="error", markup=False)  # type: ignore[attr-defined]
            return
        targets = run_ops.export_targets(folder)
        existing = [p.name for p in (targets.model, targets.vocab) if p.exists()]
        go = partial(self._export_confirmed, summary, folder)
        if existing:
            question = f"{folder} already holds {' and '.join(existing)}. Overwrite?"
            self.app.push_screen(ConfirmScreen(question, "Overwrite"), go)  # type: ignore[attr-defined]
        else:
            go(False)

    def _export_confirmed(self, summary: RunSummary, folder: Path, overwrite: bool | None) -> None:
        targets = run_ops.export_targets(folder)
        if not overwrite and (targets.model.exists() or targets.vocab.exists()):
            return  # said no
        self.run_later(_export, summary.run_id, folder, self.post_message)  # type: ignore[attr-defined]

    def action_import(self, note: str = "", values: dict[str, str] | None = None) -> None:
        values = values or {}
        fields = [
            ("model", "Weights file (.safetensors)", values.get("model", "")),
            (
                "vocab",
                "Vocabulary file (empty: the one beside the weights)",
                values.get("vocab", ""),
            ),
            ("heads", "Attention heads (empty: the file's own)", values.get("heads", "")),
            ("name", "Name of the new run", values.get("name", "")),
        ]
        screen = AskScreen("Import a checkpoint as a new run", fields, note, ok="Import")
        self.app.push_screen(screen, self._import_answered)  # type: ignore[attr-defined]

    def _import_answered(self, answer: dict[str, str] | None) -> None:
        if answer is None or not answer["model"].strip():
            return
        heads = answer["heads"].strip()
        if heads and not heads.isdigit():
            self.action_import("Heads must be a whole number.", answer)
            return
        ask_again = partial(self.app.call_from_thread, self._heads_needed)  # type: ignore[attr-defined]
        self.run_later(_import, answer, self.post_message, ask_again)  # type: ignore[attr-defined]

    def _heads_needed(self, message: str, answer: dict[str, str]) -> None:
        self.action_import(message, answer)


# ---------------------------------------------------------------- the workers' engine calls


def _delete(run_id: str, name: str, post) -> None:
    try:
        runs.delete_run(run_id)
    except (TofyError, OSError) as exc:
        post(ActionDone(f"Could not delete {name}: {exc}", error=True))
        return
    post(ActionDone(f"Deleted run {name} ({run_id})."))


def _export(run_id: str, folder: Path, post) -> None:
    try:
        out = run_ops.export_run(run_id, folder, overwrite=True)
    except TofyError as exc:
        post(ActionDone(f"Export failed: {exc}", error=True))
        return
    post(ActionDone(f"Wrote {out.model} and {out.vocab}."))


def _import(answer: dict[str, str], post, ask_again) -> None:
    from tofy_core.runs.seed_format import vocab_beside

    vocab_text = answer["vocab"].strip()
    heads = int(answer["heads"]) if answer["heads"].strip() else None
    try:
        model = paths.user_path(answer["model"].strip())
        vocab = paths.user_path(vocab_text) if vocab_text else vocab_beside(model)
        if vocab is None:
            raise TofyError(f"no vocabulary beside {model}: give the vocab file")
        info = run_ops.import_checkpoint(model, vocab, heads=heads, name=answer["name"])
    except run_ops.HeadsNeededError as exc:
        post(ActionDone(str(exc), error=True))
        ask_again(str(exc), answer)
        return
    except TofyError as exc:
        post(ActionDone(f"Import failed: {exc}", error=True))
        return
    post(ActionDone(f"Imported as run {info.name} ({info.run_id}).", run_id=info.run_id))
