"""The Train form's buttons (Start, Stop, Watch…, the data file's …): Textual's Button with
only the styles these use. Button's own stylesheet (every variant, the flat and ANSI-colour
styles, which Tofy does not use) took ~20 ms to read at start-up, on the way to the first
usable form; other screens' buttons keep it, read when they open."""

from __future__ import annotations

from textual.widgets import Button
from textual.widgets.button import ButtonVariant


class FormButton(Button, inherit_css=False):
    """A Button in CSS as `FormButton`: default, primary and error variants, compact or not."""

    DEFAULT_CSS = """
    FormButton {
        width: auto;
        min-width: 16;
        height: auto;
        line-pad: 1;
        text-align: center;
        content-align: center middle;
        pointer: pointer;
        text-style: bold;
        color: $button-foreground;
        background: $surface;
        border: none;
        border-top: tall $surface-lighten-1;
        border-bottom: tall $surface-darken-1;

        &.-textual-compact { border: none !important; }
        &:disabled { text-opacity: 0.6; pointer: not-allowed; }
        &:focus {
            text-style: $button-focus-text-style;
            background-tint: $foreground 5%;
        }
        &:hover { border-top: tall $surface; background: $surface-darken-1; }
        &.-active {
            background: $surface;
            border-bottom: tall $surface-lighten-1;
            border-top: tall $surface-darken-1;
            tint: $background 30%;
        }
        &.-primary {
            color: $button-color-foreground;
            background: $primary;
            border-top: tall $primary-lighten-3;
            border-bottom: tall $primary-darken-3;
            &:hover { background: $primary-darken-2; border-top: tall $primary; }
        }
        &.-error {
            color: $button-color-foreground;
            background: $error;
            border-top: tall $error-lighten-2;
            border-bottom: tall $error-darken-3;
            &:hover { background: $error-darken-1; border-top: tall $error; }
        }
    }
    """

    def __init__(
        self,
        label: str,
        variant: ButtonVariant = "default",
        *,
        compact: bool = False,
        classes: str = "",
        **kwargs,
    ) -> None:
        # The classes Button's watchers would add one by one (each a restyle of the
        # unmounted button), given up front.
        given = [classes, "-style-default"]
        given += [f"-{variant}"] if variant != "default" else []
        given += ["-textual-compact"] if compact else []
        super().__init__(label, variant, compact=compact, classes=" ".join(given).strip(), **kwargs)
