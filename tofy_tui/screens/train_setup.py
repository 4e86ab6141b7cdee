"""The Train screen's setup half: the form (restored from the last session, filled from a
run's settings or reset), the checks behind it (the form's own, the data and device workers'),
and Start. TrainScreen (train.py) adds the monitor of the watched run."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.screen import Screen
from textual.widgets import Button

from tofy_core.errors import TofyError
from tofy_tui.data_hint import (
    FIRST_SETTLE_S,
    SETTLE_S,
    DataHint,
    describe_source,
)
from tofy_tui.device_check import DeviceChecks, check_in_worker
from tofy_tui.messages import DataDescribed, DeviceChecked, VocabSettings

# Imported when first used, after the first frame (the engine's config and checks).
if TYPE_CHECKING:
    from tofy_core.config import RunConfig
    from tofy_tui.form_memory import FormMemory
    from tofy_tui.training import Launcher, TrainingChild
    from tofy_tui.widgets.config_summary import ConfigSummary
    from tofy_tui.widgets.train_form import TrainForm


class TrainSetup(Screen):
    """The form, its checks and Start; the watching is the subclass's (`_watch`)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.hint = DataHint()
        self.devices = DeviceChecks()
        self.memory: FormMemory | None = None  # the form's values kept for the next session

    @property
    def training_here(self) -> bool:
        return False

    def _watch(self, run_id: str, child: TrainingChild | None, how: str, data: str = "") -> None:
        raise NotImplementedError

    def note(self, text: str) -> None:
        """A line in the watched run's log (the subclass's monitor)."""
        raise NotImplementedError

    @property
    def launcher(self) -> Launcher:
        return self.app.launcher  # type: ignore[attr-defined]

    @property
    def ready(self) -> bool:
        """The form is mounted (right after the first frame; the monitor comes with the
        first run shown)."""
        return bool(self.query("#form"))

    @property
    def form(self) -> TrainForm:
        return self.query_one("#form")  # type: ignore[return-value]

    @property
    def summary(self) -> ConfigSummary:
        return self.query_one("#summary")  # type: ignore[return-value]

    def action_start(self) -> None:
        if not self.ready:
            return  # a key pressed before the form is there: nothing is filled in yet
        if self.training_here:
            self.notify("A run is already training: stop it first (x).", severity="warning")
            return
        # The same checks `tofy train` makes before it creates a run, made again now: a file
        # may have changed since it was typed.
        check = self.form.check_now()
        if check.config is not None and check.ok:
            self._check_device(check.config.train.device)
        problems = self.form.problems()
        if problems or check.config is None:
            text = self.form.problems_text()
            self.notify(text, title="Fix the form first", severity="error", markup=False)
            return
        if self.devices.known(check.config.train.device) is None:
            self.devices.start_when_checked = True  # the device worker starts the run
            self.notify("Checking for a CUDA GPU before starting…", title="Start")
            return
        try:
            child = self.launcher.start_training(
                check.config, check.processes, check.run_id, check.refresh
            )
        except TofyError as exc:
            self.notify(str(exc), title="Could not start", severity="error", markup=False)
            return
        self._watch(child.run_id, child, "Training", check.config.train.data)
        self.note(f"$ {child.pasteable}")
        self.note(f"log: {child.log_path}")
        name = check.config.train.name
        if name:  # the next run must not repeat it by accident
            self.form.set_value("name", "")
            self.note(f"Run name {name!r} is this run's: the field is cleared for the next run")

    def action_browse(self) -> None:
        from tofy_tui.screens.data_picker import DataPicker

        self.app.load_panes_css()  # type: ignore[attr-defined]
        self.app.push_screen(DataPicker(), self._data_chosen)

    def _data_chosen(self, source: str | None) -> None:
        if source is not None and self.ready:
            self.form.set_value("data", source)

    def action_load_settings(self) -> None:
        """Pick a run; its config.json fills the form."""
        from tofy_tui.screens.run_settings import RunSettingsPicker

        if self.ready:
            self.app.load_panes_css()  # type: ignore[attr-defined]
            self.app.push_screen(RunSettingsPicker(), self._settings_chosen)

    def _settings_chosen(self, run_id: str | None) -> None:
        from tofy_tui.screens.run_settings import run_settings

        if not run_id or not self.ready:
            return
        try:
            config = run_settings(run_id)
        except TofyError as exc:
            self.notify(str(exc), title="Cannot load settings", severity="error", markup=False)
            return
        self.fill_form(config)
        self.notify(f"The form holds run {run_id}'s settings.", title="Settings loaded")

    def fill_form(self, config: RunConfig | None = None) -> None:
        """The form set to a run's settings, or to the defaults (None)."""
        from tofy_tui.form_settings import DEFAULTS, run_values

        if self.ready:
            current = self.form.values()
            self.form.set_values(DEFAULTS if config is None else run_values(config, current))

    def action_reset_form(self) -> None:
        self.fill_form(None)

    def action_leave_field(self) -> None:
        """Out of a field, onto the first usable button: single-key shortcuts work again."""
        for button in self.query("#form-buttons FormButton").results(Button):
            if not button.disabled:
                button.focus()
                return

    def _update_start(self) -> None:
        """Start and the summary under the form follow every problem found (the form's
        checks, the data and device workers'): the count shown is the count Start reports."""
        problems = self.form.problems()
        ready = self.form.check.ok and not problems
        self.query_one("#start", Button).disabled = self.training_here or not ready
        from tofy_tui.form_settings import FormCheck

        check = FormCheck(None, problems) if problems else self.form.check
        self.summary.show(check, self.hint.words)

    def _remember_form(self) -> None:
        problem = self.memory.flush() if self.memory is not None else ""
        if problem:
            self.notify(problem, title="Form not saved", severity="warning", markup=False)

    def on_unmount(self) -> None:
        self._remember_form()  # the app is closing: the last edits are kept too

    def on_train_form_checked(self, message: TrainForm.Checked) -> None:
        source = message.values.get("data", "").strip()
        settle = FIRST_SETTLE_S if self.hint.source is None else SETTLE_S
        config = message.check.config
        settings = (  # what the vocabulary depends on; an invalid form keeps the last
            VocabSettings(config.model.lowercase, config.train.holdout, config.train.seed)
            if config is not None
            else self.hint.settings or VocabSettings()
        )
        if self.hint.changed(source, settings) and "data" not in message.check.errors:
            work = partial(describe_source, source, settings, self.post_message, settle)
            self.run_worker(
                work, thread=True, exclusive=True, group="describe", exit_on_error=False
            )
        elif self.hint.said is not None:  # the same source typed again: its line comes back
            self.form.show_data_hint(*self.hint.said)
        self._check_device(message.values.get("device", ""))
        if self.memory is not None:
            self.memory.note(message.values)
        self._update_start()

    def on_data_described(self, message: DataDescribed) -> None:
        if not self.hint.took(message):
            return
        self.form.show_data_hint(message.message, message.error)
        self._update_start()

    def _check_device(self, device: str) -> None:
        """The engine's device check: answered at once when it can be, else in a worker."""
        problem = self.devices.known(device)
        if problem is None:
            work = partial(check_in_worker, device, self.post_message)
            self.run_worker(work, thread=True, exclusive=True, group="device", exit_on_error=False)
        else:
            self.form.show_late_error("device", problem)

    def on_device_checked(self, message: DeviceChecked) -> None:
        self.devices.took(message)
        if not self.ready or self.form.values().get("device") != message.device:
            self.devices.start_when_checked = False  # the device changed since Start
            return
        self.form.show_late_error("device", message.problem)
        self._update_start()
        if self.devices.start_when_checked:
            self.devices.start_when_checked = False
            self.action_start()  # says what is wrong, or starts the run
