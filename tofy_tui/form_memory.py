"""The Train form's values kept across sessions: restored when the form is built, saved a
moment after the user stops typing and when the app closes, so quitting loses nothing."""

from __future__ import annotations

from tofy_tui import ui_state
from tofy_tui.form_settings import DEFAULTS, remembered, restored


class FormMemory:
    """Saves the form's values when they changed; one write per pause in typing, at most."""

    def __init__(self) -> None:
        self._saved: dict[str, str] | None = None
        self._pending: dict[str, str] | None = None

    def restore(self) -> dict[str, str]:
        """The last session's values the form can show (the rest stay at their defaults)."""
        values = restored(ui_state.read().form)
        self._saved = remembered({**DEFAULTS, **values})  # what the form opens with
        return values

    def note(self, values: dict[str, str]) -> None:
        """The form changed: keep `values` to save at the next `flush`."""
        kept = remembered(values)
        self._pending = None if kept == self._saved else kept

    def flush(self) -> str:
        """Write the fields changed since the last save over what the file holds now (another
        app's changes to other fields stay); the problem writing it ("" when none)."""
        if self._pending is None:
            return ""
        values, self._pending = self._pending, None
        before, self._saved = self._saved or {}, values
        changed = {name: value for name, value in values.items() if before.get(name) != value}
        gone = [name for name in before if name not in values]

        def merge(state: ui_state.UiState) -> None:
            state.form.update(changed)
            for name in gone:
                state.form.pop(name, None)

        return ui_state.change(merge)
