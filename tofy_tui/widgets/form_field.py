"""One setting of the Train form: a label, a value and, once there is something to say, a note
under them that shows the field's error or a hint.

Start-up is mostly the cost of widgets (each is styled, laid out twice and drawn), and the form
has ~30 fields, so a field is one widget that draws its label, value and note itself until it
is first focused or clicked. Then its editor is built in place: a label, an Input (or a Select
for a choice) and a note widget, laid out as a grid. A field may also be built from the start
(the Data field, which has a browse button and suggestions)."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Console
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.geometry import Size
from textual.suggester import Suggester
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static

from tofy_tui.form_settings import Field
from tofy_tui.widgets.first_input import FirstInput

LABEL_WIDTH = 13  # the label column (tofy_form.tcss says the same for a built field)
ARROW = " ▼ "  # how a compact Select ends its value


class FormField(Widget):
    """A labelled value whose note line shows errors literally (no markup); an editor is
    built when the user first comes to it."""

    can_focus = True  # until built: then the editor is the field's tab stop
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "form-field--label",
        "form-field--value",
        "form-field--placeholder",
        "form-field--note",
    }

    def __init__(
        self,
        spec: Field,
        value: str,
        *,
        choices: tuple[str, ...] = (),
        suggester: Suggester | None = None,
        extra: Widget | None = None,
        placeholder: str = "",
        built: bool = False,
    ) -> None:
        classes = "form-field -extra" if extra is not None else "form-field"
        super().__init__(id=f"row-{spec.name}", classes=classes + (" -built" if built else ""))
        self.spec = spec
        self._value = value  # what the field holds until its editor is mounted
        self._choices = choices
        self._suggester = suggester
        self._extra = extra
        self._placeholder = placeholder or (spec.help if spec.kind in ("data", "text") else "")
        self._shown: tuple[str, str, bool] = ("", "", False)
        self._note: Static | None = None
        self._typed = ""  # printable keys that came before the editor had focus
        self.control: Input | Select[str] | None = self._make_control() if built else None
        if built:
            self.can_focus = False
        else:
            self.tooltip = spec.help

    @property
    def built(self) -> bool:
        return self.control is not None

    def _make_control(self) -> Input | Select[str]:
        """The editor, with the classes Textual would give it (compact; valid or not) given
        up front: each class added later restyled it before it was even mounted."""
        invalid = " -invalid" if self._shown[0] else ""
        if self._choices:
            return Select(
                [(choice, choice) for choice in self._choices],
                value=self._value,
                allow_blank=False,
                compact=True,
                id=f"field-{self.spec.name}",
                classes="-textual-compact" + invalid,
                tooltip=self.spec.help,
            )
        editor = FirstInput if self.spec.name == "data" else Input
        return editor(
            self._value,
            placeholder=self._placeholder,
            compact=True,
            suggester=self._suggester,
            id=f"field-{self.spec.name}",
            classes="-valid -textual-compact" + invalid,
            tooltip=self.spec.help,
        )

    def compose(self) -> ComposeResult:
        if self.control is None:
            return
        yield Label(self.spec.label, classes="field-label")
        yield self.control
        if self._extra is not None:
            yield self._extra

    def on_mount(self) -> None:
        if self.built:
            self._show_note()  # a note decided before the field was built

    @property
    def value(self) -> str:
        if self.control is None or not self.control.is_mounted:
            return self._value
        return str(self.control.value)

    def set_value(self, value: str) -> bool:
        """Put `value` in the field; True when its editor reports the change itself (an
        Input or Select posts Changed), False when the caller must recheck the form."""
        self._value = value
        if self.control is None:
            self.refresh()
            return False
        self.control.value = value
        return True

    def set_placeholder(self, text: str) -> None:
        """What an empty field shows (a loss field: the chosen recipe's value)."""
        self._placeholder = text
        if isinstance(self.control, Input):
            self.control.placeholder = text
        elif self.control is None:
            self.refresh()

    def show(self, error: str = "", hint: str = "", warn: bool = False) -> None:
        """An error wins over a hint; an empty note takes no room."""
        shown = (error, hint, warn)
        if shown == self._shown:
            return
        self._shown = shown
        self.set_class(bool(error), "-error")
        self.set_class(bool(hint) and not error and warn, "-warn")
        if self.control is None:
            self.refresh(layout=True)  # the note is drawn by the row
            return
        self.control.set_class(bool(error), "-invalid")
        if self.is_mounted:
            self._show_note()

    def _show_note(self) -> None:
        text = self.note_text
        if self._note is None:
            if not text:
                return  # nothing to say yet: no widget either
            self._note = Static(Text(text), classes="field-note", markup=False)
            self.mount(self._note)
        else:
            self._note.update(Text(text))
        self._note.display = bool(text)

    @property
    def note_text(self) -> str:
        error, hint, _ = self._shown
        return error or hint

    # ------------------------------------------------------------- built on first use

    async def build(self, focus: bool = True) -> Input | Select[str]:
        """Mount the editor in place of the drawn row (once), and give it the focus the row
        had, with any keys typed meanwhile."""
        if self.control is None:
            self.control = self._make_control()
            self.can_focus = False
            self.add_class("-built")
            await self.mount(Label(self.spec.label, classes="field-label"), self.control)
            self._show_note()
        if focus and self.screen.focused in (self, None):
            self.control.focus(scroll_visible=False)
            typed, self._typed = self._typed, ""
            for character in typed:  # after the Focus the editor was just sent
                self.control.post_message(events.Key(character, character))
        return self.control

    async def on_focus(self, event: events.Focus) -> None:
        if self.control is None:
            await self.build()

    async def on_click(self, event: events.Click) -> None:
        """A click on the drawn row (the editor may be built by now, from the focus the
        press gave the row) goes on as a click on the editor: a choice opens its list."""
        if event.widget is not self:
            return  # a built field's editor and label take their own clicks
        control = await self.build()
        if isinstance(control, Select):
            # once the focus the build gave the editor has landed: a later focus change
            # would take the focus off the open list, which closes it again
            self.call_after_refresh(self._open_list, control)

    @staticmethod
    def _open_list(control: Select[str]) -> None:
        if not control.expanded:
            control.action_show_overlay()

    def check_consume_key(self, key: str, character: str | None) -> bool:
        """A text field takes printable keys (as its Input will): single-letter app keys
        must not fire while the user types into it. Once built, its editor says."""
        if self.control is not None:
            return self.control.check_consume_key(key, character)
        return not self._choices and character is not None and character.isprintable()

    def on_key(self, event: events.Key) -> None:
        """Keys sent to the row while its editor is built (the row waits for the build
        before it reads them) are passed on to the editor, in order."""
        if not self.check_consume_key(event.key, event.character):
            return
        event.stop()
        event.prevent_default()
        if self.control is None:
            self._typed += event.character or ""
        elif self.screen.focused is self.control:
            self.control.post_message(events.Key(event.key, event.character))

    # ------------------------------------------------------------- drawn by the row

    def render(self) -> Text:
        if self.control is not None:
            return Text()
        return Text("\n").join(self._lines(self.size.width))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if self.control is not None:
            return super().get_content_height(container, viewport, width)
        return 1 + len(self._note_lines(width))

    def _lines(self, width: int) -> list[Text]:
        """The label and value on the first line, then the note wrapped under the value."""
        room = max(width - LABEL_WIDTH, 1)
        line = Text(self.spec.label.ljust(LABEL_WIDTH)[:LABEL_WIDTH], no_wrap=True)
        line.stylize(self.get_component_rich_style("form-field--label"))
        if self._value or not self._placeholder:
            shown, style = self._value, "form-field--value"
        else:
            shown, style = self._placeholder, "form-field--placeholder"
        if self._choices:
            shown = shown[: max(room - len(ARROW), 0)].ljust(room - len(ARROW)) + ARROW
        line.append(shown[:room].ljust(room), self.get_component_rich_style(style))
        notes = self._note_lines(width)
        if notes:
            style = self.get_component_rich_style("form-field--note")
            for note in notes:
                note.stylize(style)
        return [line, *notes]

    def _note_lines(self, width: int) -> list[Text]:
        """The note wrapped to the value's column (none: the row is one line)."""
        note = self.note_text
        if not note:
            return []
        console: Console = self.app.console
        lines = list(Text(note).wrap(console, max(width - LABEL_WIDTH, 1)))
        for line in lines:
            line.pad_left(LABEL_WIDTH)
        return lines
