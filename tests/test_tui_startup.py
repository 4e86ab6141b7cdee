"""Start-up stays light: mounting the app and visiting every screen imports no torch (nor
`datasets`/pyarrow), so the first frame comes fast; the Train form takes keys before the
monitor's plots (plotext) are imported, which wait for the first run shown. Checked in a fresh
interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

MOUNT_AND_VISIT = """
import asyncio, sys, time
from tofy_tui.app import TofyApp

async def main():
    app = TofyApp()
    async with app.run_test(size=(120, 40)) as pilot:
        while not app.screen.ready:
            await pilot.pause(0.05)
        await pilot.pause()  # drawn: a click lands where the field is on screen
        await pilot.click("#field-data")
        await pilot.press("7")  # the form takes keys...
        assert app.screen.form.values()["data"] == "7", app.screen.form.values()["data"]
        await pilot.pause(0.5)
        print("plots:", sorted(m for m in ("plotext", "textual_plotext") if m in sys.modules))
        await pilot.press("backspace", "escape")  # the built-in corpus again; out of the field
        for key in ("2", "3", "1"):
            await pilot.press(key)
        note = app.screen.query_one("#row-data .field-note")
        deadline = time.monotonic() + 20
        while "built-in corpus" not in str(note.render()):  # the data worker has run
            assert time.monotonic() < deadline, "no data hint"
            await pilot.pause(0.1)

asyncio.run(main())
print("heavy:", sorted(m for m in ("torch", "datasets", "pyarrow") if m in sys.modules))
"""


def test_mounting_the_app_imports_no_torch(tofy_home):
    env = {**os.environ, "PYTHONPATH": str(REPO), "TOFY_HOME": str(tofy_home)}
    result = subprocess.run(
        [sys.executable, "-c", MOUNT_AND_VISIT],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    assert "heavy: []" in result.stdout, result.stdout
    assert "plots: []" in result.stdout, result.stdout  # ...with no plotting library loaded
