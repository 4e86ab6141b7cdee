"""The command palette's Tofy commands: every app action, searchable by name."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("Train screen", "set up, start and watch training", "switch_mode('train')"),
    ("Models screen", "runs on disk", "switch_mode('models')"),
    ("Diff screen", "probe a trained model", "switch_mode('diff')"),
    ("Start training", "train with the Train form's settings", "train('start')"),
    ("Stop training", "the trainer saves and ends as stopped", "train('stop')"),
    ("Watch a running run", "attach the monitor to a run started anywhere", "train('watch')"),
    ("Pick a data file", "the built-in corpus, recent sources, or a file", "train('browse')"),
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
