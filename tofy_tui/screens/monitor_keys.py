"""The monitor's keys on the Train screen: which plots, how smooth, the x axis, the selected
chart's log scale, the system panel, the step lines of the log. A base class of TrainScreen,
so the help lists them with the screen's own; the monitor does the work (nothing here imports
it: the first frame stays light)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.css.query import NoMatches
from textual.screen import Screen

if TYPE_CHECKING:
    from tofy_tui.widgets.run_monitor import RunMonitor


class MonitorKeys(Screen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m", "plots(1)", "More plots", show=False, id="train.plots-next"),
        Binding("M", "plots(-1)", "Previous plots", show=False, id="train.plots-previous"),
        Binding("e", "smoothing", "Smoothing", show=False, id="train.smoothing"),
        Binding("t", "x_axis", "X axis", show=False, id="train.x-axis"),
        Binding("c", "next_chart", "Select chart", show=False, id="train.select-chart"),
        Binding("Y", "log_y", "Log scale", show=False, id="train.log-y"),
        Binding("y", "system", "System panel", show=False, id="train.system"),
        Binding("v", "step_lines", "Step lines in the log", show=False, id="train.step-lines"),
    ]

    def _monitor(self) -> RunMonitor | None:
        try:
            return self.query_one("#monitor")  # type: ignore[return-value]
        except NoMatches:  # a key before the monitor is mounted (right after the first frame)
            return None

    def action_plots(self, step: int) -> None:
        """The line above the plots names the set shown."""
        if (monitor := self._monitor()) is not None:
            monitor.next_plots(step)

    def action_smoothing(self) -> None:
        if (monitor := self._monitor()) is not None:
            monitor.cycle_smoothing()

    def action_x_axis(self) -> None:
        """The line above the plots names the axis."""
        if (monitor := self._monitor()) is not None:
            monitor.plot_grid.cycle_x()

    def action_next_chart(self) -> None:
        if (monitor := self._monitor()) is not None:
            title = monitor.plot_grid.select_next()
            self.notify(f"Selected: {title} (Y: log scale)", timeout=2, markup=False)

    def action_log_y(self) -> None:
        if (monitor := self._monitor()) is not None:
            title, on = monitor.plot_grid.toggle_log()
            if title:
                scale = "log" if on else "linear"
                self.notify(f"{title.split(' · ')[0]}: {scale} scale", timeout=2, markup=False)

    def action_system(self) -> None:
        if (monitor := self._monitor()) is not None:
            monitor.toggle_system()

    def action_step_lines(self) -> None:
        if (monitor := self._monitor()) is not None:
            shown = monitor.toggle_steps()
            self.notify("Step lines shown" if shown else "Step lines hidden", timeout=2)
