"""The Train form's Processes field: several processes launch the child through torchrun."""

from __future__ import annotations

from tui_pilot import wait_until

from tofy_tui.app import TofyApp
from tofy_tui.form_settings import DEFAULTS, check_form
from tofy_tui.screens.train import TrainScreen
from tofy_tui.training import shell_command, train_command


def test_processes_launch_the_training_child_through_torchrun():
    check = check_form({**DEFAULTS, "processes": "2"})
    assert check.ok and check.config is not None and check.processes == 2
    command = train_command(check.config, "rid", check.processes)
    assert command[1:6] == ["-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2"]
    assert command[6:9] == ["-m", "tofy_core", "train"]
    assert "torch.distributed.run --standalone --nproc-per-node 2 -m tofy_core train" in (
        shell_command(command)
    )
    single = check_form(DEFAULTS)
    assert single.processes == 1 and DEFAULTS["processes"] == "1"
    assert train_command(single.config, "rid", single.processes)[1:4] == [
        "-m",
        "tofy_core",
        "train",
    ]
    for bad in ("0", "-2", "999"):
        assert (
            check_form({**DEFAULTS, "processes": bad})
            .errors["processes"]
            .startswith("processes must be 1 to 256")
        )
    assert "not a whole number" in check_form({**DEFAULTS, "processes": "two"}).errors["processes"]


async def test_the_processes_field_is_on_the_form_at_120_by_40():
    app = TofyApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, TrainScreen), "the Train screen")
        screen = app.screen
        await wait_until(pilot, lambda: screen.query("#row-processes"), "the form")
        await pilot.pause()  # laid out: the rows are mounted before the frame that draws them
        row = screen.query_one("#row-processes")
        name = screen.query_one("#row-name")
        assert row.region.height > 0 and row.region.bottom <= 40  # seen without scrolling
        assert row.region.y > name.region.y  # the last row, under the run's name
