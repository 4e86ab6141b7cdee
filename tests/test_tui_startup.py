"""Start-up stays light: mounting the app and visiting every screen imports no torch (nor
`datasets`/pyarrow), so the first frame comes fast. Checked in a fresh interpreter."""

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
