"""The command palette's Tofy commands: every app action, searchable by name, and every key of
the screen the palette was opened on (the footer shows only what fits 80 columns)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("Train screen", "set up, start and watch training", "switch_mode('train')"),
    ("Models screen", "runs on disk", "switch_mode('models')"),
    ("Diff screen", "probe a trained model", "switch_mode('diff')"),
    ("Start training", "train with the Train form's settings", "train('start')"),
    ("Stop training", "the trainer saves and ends as stopped", "train('stop')"),
    ("Watch a running run", "attach the monitor to a run started anywhere", "train('watch')"),
    ("Replay a run's curves", "any finished, stopped or failed run's plots", "train('watch')"),
    ("More plots", "the next set of metrics in the monitor (m)", "train('plots(1)')"),
    ("Plot smoothing", "EMA smoothing off, 0.6 or 0.9 (e)", "train('smoothing')"),
    ("System panel", "show or hide the trainer's CPU, memory and GPU (y)", "train('system')"),
    ("Step lines in the log", "show or hide the log's step lines (v)", "train('step_lines')"),
    ("Pick a data file", "the built-in corpus, recent sources, or a file", "train('browse')"),
    ("Show or hide the form", "the Train form beside the monitor (f)", "train('toggle_form')"),
    ("Load settings from run…", "fill the Train form from a run", "train('load_settings')"),
    ("Reset the form", "the Train form back to the defaults", "train('reset_form')"),
    ("Toggle dark/light theme", "switch between textual-dark and textual-light", "toggle_dark"),
    ("Help", "what Tofy does and every key", "help"),
)


class TofyCommands(Provider):
    """Runs app actions; names and help come from `COMMANDS`."""

    def _runner(self, action: str):
        return partial(self.app.run_action, action)

    async def discover(self) -> Hits:
        for title, help_text, action in COMMANDS:
            yield DiscoveryHit(title, self._runner(action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, action in COMMANDS:
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), self._runner(action), help=help_text)


class ScreenKeys(Provider):
    """The keys of the screen the palette was opened on (and the app's), by their names: those
    the footer has no room for stay one search away. Keys `COMMANDS` already offers are left
    out, and so are Textual's own (focus moves, a widget's cursor keys): Tofy's have an id."""

    def _keys(self) -> list[tuple[str, str, Callable[[], object]]]:
        screen = self.screen
        offered = {action for _, _, action in COMMANDS}
        if screen.id == "train":
            offered |= {action[7:-2] for action in offered if action.startswith("train('")}
        found: list[tuple[str, str, Callable[[], object]]] = []
        seen: set[str] = set()
        for node, binding, enabled, _ in screen.active_bindings.values():
            if binding.id is None or (node is not screen and node is not self.app):
                continue
            action = binding.action
            if not enabled or not binding.description or action in offered | seen:
                continue
            seen.add(action)
            key = self.app.get_key_display(binding)
            where = f"{screen.SUB_TITLE} screen" if node is screen else "everywhere"
            run = partial(self.app.run_action, action, node)
            found.append((binding.description, f"key {key} · {where}", run))
        return found

    async def discover(self) -> Hits:
        for title, help_text, run in self._keys():
            yield DiscoveryHit(title, run, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, run in self._keys():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), run, help=help_text)
