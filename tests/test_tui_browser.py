"""`tofy-tui --serve` in a real browser: headless Chromium (the system's package, driven by
Playwright; no browser download) opens the served page, starts a tiny run from the Train
form, sees its loss, then probes the trained model on Models and Diff, all through keys typed
into the page. Skipped, saying why, where Chromium or Playwright is missing; `.ci/run`
installs both.

The page draws the app with xterm.js on a canvas: the test reads the terminal's own buffer
(the rows the page shows), found through a hook installed before the page's scripts run."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from conftest import free_port, run_cli
from tui_pilot import REPO, TINY

pytest.importorskip("textual_serve", reason="the serve extra is not installed")
playwright = pytest.importorskip(
    "playwright.sync_api", reason="Playwright is not installed (pip install playwright)"
)
CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser")) if p is not None), None
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium)"
)

# xterm.js's Terminal is kept in a closure; the page's code assigns it to `this.terminal`,
# which this setter (on every object's prototype) notes before the page's scripts run.
HOOK = """
Object.defineProperty(Object.prototype, "terminal", {
  configurable: true,
  set(value) {
    Object.defineProperty(this, "terminal", {value, writable: true, configurable: true});
    if (value && value.buffer) window.tofyTerminal = value;
  },
});
"""
# The rows the terminal shows, as text.
SCREEN = """() => {
  const terminal = window.tofyTerminal;
  if (!terminal) return "";
  const buffer = terminal.buffer.active, rows = [];
  for (let y = 0; y < terminal.rows; y++) {
    const line = buffer.getLine(buffer.viewportY + y);
    rows.push(line ? line.translateToString(true) : "");
  }
  return rows.join("\\n");
}"""
STEPS = 40
QUERY = "how have you been _ => doing"


@dataclass
class Served:
    url: str
    home: Path
    process: subprocess.Popen
    log: Path

    def stop(self) -> str:
        """Ctrl+C (SIGINT), as in the terminal that runs it; what it printed."""
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError("Ctrl+C did not stop the server") from None
        return self.log.read_text()


@pytest.fixture
def server(tmp_path, tiny_corpus) -> Iterator[Served]:
    """`tofy-tui --serve` on a free port, its TOFY_HOME remembering a tiny form (as after a
    user's earlier session)."""
    home = tmp_path / "home"
    form = {**TINY, "data": str(tiny_corpus), "steps": str(STEPS), "eval_every": "20"}
    (home / "config").mkdir(parents=True)
    (home / "config" / "tui.json").write_text(json.dumps({"form": form}), encoding="utf-8")
    port = free_port()
    env = {**os.environ, "TOFY_HOME": str(home), "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    log = tmp_path / "serve.log"  # a file, not a pipe: the server logs every request
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tofy_tui", "--serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    served = Served(f"http://127.0.0.1:{port}/", home, process, log)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(served.url, timeout=2) as answer:
                    assert answer.status == 200
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"the server did not start:\n{log.read_text()}") from None
                time.sleep(0.2)
        yield served
    finally:
        if process.poll() is None:
            served.stop()


def wait_for(page, what: str, found: Callable[[str], bool], timeout: float = 60) -> str:
    """The page's screen once `found` holds for it; fails showing the last screen."""
    deadline = time.monotonic() + timeout
    while True:
        screen = page.evaluate(SCREEN)
        if found(screen):
            return screen
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; the page shows:\n{screen}")
        time.sleep(0.2)


def test_a_run_trained_and_probed_in_the_browser(server):
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.add_init_script(HOOK)
            page.goto(server.url, wait_until="domcontentloaded")
            wait_for(page, "the Train form", lambda s: "Tofy — Train" in s and "Start" in s)
            page.focus(".xterm-helper-textarea")  # where xterm.js takes the keys typed
            page.keyboard.press("s")  # the form's first field lets the screen's keys pass
            loss = re.compile(r"loss\s+(\d+\.\d+)")
            shown = wait_for(page, "the run's loss", lambda s: loss.search(s) is not None)
            assert float(loss.search(shown).group(1)) > 0
            wait_for(page, "the run to finish", lambda s: "finished" in s)
            page.keyboard.press("2")
            wait_for(page, "the run on Models", lambda s: "Models" in s and "finished" in s)
            page.keyboard.press("Enter")
            wait_for(page, "the Diff screen", lambda s: "Tofy — Diff" in s)
            page.keyboard.type(QUERY)
            page.keyboard.press("Enter")
            cosine = re.compile(r"│ cosine .* (-?\d\.\d{4})\s*│")
            shown = wait_for(page, "the answer's cosine", lambda s: cosine.search(s) is not None)
            # Ctrl+C with the page open: the page's app ends with the server, the page says so.
            apps = psutil.Process(server.process.pid).children(recursive=True)
            assert [" ".join(app.cmdline()[-2:]) for app in apps] == ["-m tofy_tui"]
            output = server.stop()
            assert server.process.returncode == 0, output
            assert "warning" not in output and "Traceback" not in output, output
            assert not any(app.is_running() and app.status() != "zombie" for app in apps)
            page.get_by_text("Session ended.").wait_for(timeout=10_000)
        finally:
            browser.close()
    # The page showed what `tofy diff` answers for the same model and query.
    run_id = re.search(r"\d{8}-\d{6}-[0-9a-f]{4}", shown).group(0)
    answer = run_cli("diff", run_id, "--json", "-q", QUERY, TOFY_HOME=str(server.home))
    assert answer.returncode == 0, answer.stderr
    expected = json.loads(answer.stdout)["results"][0]["cosine"]
    assert float(cosine.search(shown).group(1)) == pytest.approx(expected, abs=1e-4)
