"""The Train form: every `tofy train` option, checked as you type with the engine's rules; the
common ones in view, the rest in a collapsed Advanced section that opens itself when one of
its fields needs fixing. The Advanced fields are built when the section first opens (start-up
is mostly the cost of widgets): until then their values live in the form's own dict."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widgets import Collapsible, Input, Select

from tofy_core.recipes import RECIPE_OPTIONS, RECIPES
from tofy_core.threads import default_threads
from tofy_tui.form_settings import (
    ADVANCED,
    DEFAULTS,
    FIELD_NAMES,
    FIELDS,
    LABELS,
    Field,
    FormCheck,
    check_form,
    field_hints,
    preset_values,
)
from tofy_tui.recent_data import recent_data
from tofy_tui.widgets.form_button import FormButton
from tofy_tui.widgets.form_field import FormField

# The Data field's note until a worker has described the source: the note's line is there
# from the first frame, so the rows below never move under the pointer when the hint lands.
CHECKING = "checking the data…"


class AdvancedSection(Collapsible):
    """A Collapsible whose contents box is mounted with its fields, when it first opens."""

    def compose(self) -> ComposeResult:
        # Collapsible composes its title first, then its contents box: take the title alone
        yield next(iter(super().compose()))


class TrainForm(VerticalScroll):
    """Fields for a training run; posts `Checked` after every change."""

    can_focus = False  # Tab goes from field to field; the pane itself is no stop
    DEFAULT_CSS = """
    #advanced { padding: 0; border-top: none; background: transparent; }
    #advanced Contents { padding: 0; }
    #advanced.-error CollapsibleTitle { color: $error; text-style: bold; }
    """

    class Checked(Message):
        def __init__(self, check: FormCheck, values: dict[str, str]) -> None:
            super().__init__()
            self.check = check
            self.values = values

    def __init__(self, values: dict[str, str] | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        # Every field's value; a built field's widget holds the current one (see `values`).
        self._values = {**DEFAULTS, **(values or {})}
        self._advanced_built = False
        self.check: FormCheck = check_form(self._values)
        self._data_hint: tuple[str, bool] = (CHECKING, False)
        self._late: dict[str, str] = {}  # errors found by workers (the device check)
        self._preset = self._values["preset"]
        self._checked: dict[str, str] | None = None

    def compose(self) -> ComposeResult:
        for spec in FIELDS:
            if not spec.advanced:
                yield self._field(spec)
        # Built with the class it gets on mount: adding it then restyled the section. Its
        # fields are built when it first opens (`_build_advanced`): until then their values
        # live in `_values`, checked like the others.
        yield AdvancedSection(
            title=advanced_title(), collapsed=True, id="advanced", classes="-collapsed"
        )

    def _field(self, spec: Field) -> FormField:
        value = self._values[spec.name]
        if spec.name == "data":
            browse = FormButton("…", id="browse", compact=True, tooltip="pick a data file (o)")
            browse.can_focus = False  # a click or `o` opens it; Tab goes field to field
            suggester = SuggestFromList(recent_data(), case_sensitive=True)
            return FormField(spec, value, suggester=suggester, extra=browse, built=True)
        if spec.choices:
            return FormField(spec, value, choices=spec.choices)
        if spec.name == "threads":
            return FormField(spec, value, placeholder=f"auto ({default_threads()})")
        if spec.name in RECIPE_OPTIONS:  # empty: the recipe's value, shown as the placeholder
            return FormField(spec, value, placeholder=self._recipe_value(spec.name))
        return FormField(spec, value)

    def _recipe_value(self, name: str, recipe: str | None = None) -> str:
        recipe = recipe or self.values().get("recipe", "")
        own = RECIPES[recipe].train if recipe in RECIPES else None
        return f"{own[name]:g} ({recipe}'s)" if own is not None else ""

    def on_mount(self) -> None:
        self.watch(self.query_one("#advanced"), "collapsed", self._advanced_toggled, init=False)
        self._recheck()

    def values(self) -> dict[str, str]:
        values = dict(self._values)
        for field in self.query(FormField):
            values[field.spec.name] = field.value
        return values

    def set_value(self, name: str, value: str) -> None:
        fields = self.query(f"#row-{name}").results(FormField)
        field = next(fields, None)
        if field is None:
            self._values[name] = value  # an Advanced field not made yet
        elif field.set_value(value):
            return  # its editor reports the change (`_changed`)
        if name == "preset":
            self._apply_preset(value)
        elif name == "recipe":
            self._recipe_chosen(value)
        self.call_later(self._recheck)

    def _advanced_toggled(self, collapsed: bool) -> None:
        if not collapsed:
            self._build_advanced()

    def _build_advanced(self) -> None:
        """The Advanced fields, built from the form's values when the section first opens,
        each with its note as it stands."""
        if self._advanced_built:
            return
        self._advanced_built = True
        fields = [self._field(spec) for spec in FIELDS if spec.advanced]
        hints = field_hints(self._checked or {})
        for field in fields:
            field.show(*self._note(field.spec.name, hints))
        self.query_one("#advanced").mount(Collapsible.Contents(*fields))

    def set_values(self, values: dict[str, str]) -> None:
        """Fill several fields at once (a run's settings, the defaults): a preset among them
        is taken as given, never applied over the sizes that come with it."""
        if "preset" in values:
            self._preset = values["preset"]
        for name, value in values.items():
            self.set_value(name, value)

    def show_data_hint(self, message: str, error: bool) -> None:
        """What a worker found out about the data source (cached? reachable? size)."""
        self._data_hint = (message, error)
        self._show_data_note()

    def show_late_error(self, name: str, message: str) -> None:
        """A problem a worker found with a field (the device: is there a CUDA GPU?); empty
        clears it. It blocks Start like any other error until the field changes."""
        if message:
            self._late[name] = message
        else:
            self._late.pop(name, None)
        self._show_notes()

    def problems(self) -> dict[str, str]:
        """Every reason the form cannot start a run now, by field: its checks, the workers'."""
        found = {**self._late, **self.check.errors}
        message, error = self._data_hint
        if error and "data" not in found:
            found["data"] = message
        return found

    def problems_text(self) -> str:
        """What Start says when the form is not ready: how many fields to fix (the count the
        summary under the form shows) and which, by label, each explained under its field."""
        problems = self.problems()
        count = len(problems)
        order = sorted(problems, key=lambda name: FIELD_NAMES.index(name))
        names = ", ".join(
            LABELS[name] + (" (Advanced)" if name in ADVANCED else "") for name in order
        )
        head = f"{count} field{'s' if count != 1 else ''} to fix: {names}"
        if count == 1:
            return f"{head}\n{next(iter(problems.values()))}"
        return f"{head}; each says why under it"

    def _show_data_note(self) -> None:
        row = self.query_one("#row-data", FormField)
        message, error = self._data_hint
        row.show(self.check.errors.get("data", ""), message, warn=error)

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self, event: Input.Changed | Select.Changed) -> None:
        event.stop()
        if event.control.id == "field-data":
            self._data_hint = (CHECKING, False)
        elif event.control.id == "field-preset":
            self._apply_preset(str(event.value))
        elif event.control.id == "field-recipe":
            self._recipe_chosen(str(event.value))
        self._recheck()

    def _recipe_chosen(self, recipe: str) -> None:
        """The empty loss fields show the new recipe's values."""
        for field in self.query(FormField):
            if field.spec.name in RECIPE_OPTIONS:
                field.set_placeholder(self._recipe_value(field.spec.name, recipe))

    def _apply_preset(self, name: str) -> None:
        """Choosing a preset fills the sizes and schedule; the other fields stay as they are."""
        if name == self._preset:
            return  # the choice reporting its value on mount, or no change
        self._preset = name
        for field_name, value in preset_values(name).items():
            self.set_value(field_name, value)

    def check_now(self) -> FormCheck:
        """Check the fields again even if none changed (a data file may have changed since)."""
        self._recheck(force=True)
        return self.check

    def _recheck(self, force: bool = False) -> None:
        values = self.values()
        if values == self._checked and not force:
            return  # inputs report their first value on mount: nothing changed
        if self._checked is not None:
            for name in list(self._late):
                if values.get(name) != self._checked.get(name):
                    del self._late[name]  # the field changed: its worker checks again
        self._checked = values
        self.check = check_form(values)
        self._show_notes()
        self.post_message(self.Checked(self.check, values))

    def _show_notes(self) -> None:
        hints = field_hints(self._checked or {})
        for field in self.query(FormField):
            if field.spec.name != "data":
                field.show(*self._note(field.spec.name, hints))
        self._show_data_note()
        self._show_advanced()

    def _note(self, name: str, hints: dict[str, str]) -> tuple[str, str]:
        """The error, or else the hint, under a field."""
        return self.check.errors.get(name) or self._late.get(name, ""), hints.get(name, "")

    def _show_advanced(self) -> None:
        """The Advanced title counts its fields to fix, and opens: no error stays hidden."""
        advanced = self.query_one("#advanced", Collapsible)
        bad = sum(name in ADVANCED for name in self.problems())
        advanced.title = advanced_title(bad)
        advanced.set_class(bool(bad), "-error")
        if bad:
            advanced.collapsed = False


def advanced_title(bad: int = 0) -> str:
    if bad:
        return f"Advanced: {bad} to fix"
    return f"Advanced ({len(ADVANCED)} more settings)"
