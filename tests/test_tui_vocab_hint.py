"""The form's vocabulary size is the one training builds: counted on the training side of the
same split (duplicates dropped, held-out phrases left out), with the form's settings; and the
hint's line is there from the first frame, so nothing below it moves when it lands."""

from __future__ import annotations

import re

from form_pilot import ready
from tui_pilot import SIZE, wait_until

from tofy_core.data.split import prepare_data
from tofy_tui.app import TofyApp


async def test_the_forms_vocab_on_the_built_in_corpus_is_what_training_builds():
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        assert screen.form.values()["data"] == ""  # the built-in corpus
        counted = lambda: "(from the data)" in str(screen.summary.render())  # noqa: E731
        await wait_until(pilot, counted, "the vocabulary counted")
        text = str(screen.summary.render())
        config = screen.form.check.config
    shown = re.search(r"vocab ([\d,]+) \(from the data\)", text)
    assert shown is not None, text
    built = prepare_data(config).vocab  # as the run started from this form reads the data
    assert int(shown.group(1).replace(",", "")) == len(built.tokens), text


async def test_the_form_does_not_move_under_the_pointer_when_the_data_hint_lands():
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        device = screen.query_one("#row-device")
        before = device.region
        data_note = lambda: screen.query_one("#row-data").note_text  # noqa: E731
        await wait_until(pilot, lambda: "built-in corpus" in data_note(), "the data hint")
        await pilot.pause()
        assert device.region == before  # a click aimed at Device a moment ago still lands
