"""PickerScreen: choose a built-in scenario (returns its name)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from vmtui.scenario.loader import builtin_names, load_scenario, pick


def scenario_titles(lang: str) -> list[tuple[str, str]]:
    """(name, title) of every built-in scenario; a file that fails to load says so."""
    out = []
    for name in builtin_names():
        try:
            sc = load_scenario(name)
            out.append((name, pick(sc.title, lang)))
        except Exception as e:  # noqa: BLE001 - a broken file must not break the picker
            out.append((name, f"(cannot load: {str(e)[:60]})"))
    return out


class PickerScreen(ModalScreen[str]):
    """A list of the built-in scenarios with their titles; Enter opens one."""

    DEFAULT_CSS = """
    PickerScreen { align: center middle; }
    PickerScreen > Vertical {
        width: 80%;
        max-width: 100;
        height: 80%;
        border: thick $accent;
        background: $surface;
        padding: 0 1;
    }
    PickerScreen Label { text-style: bold; padding: 0 0 1 0; }
    PickerScreen OptionList { height: 1fr; }
    """
    BINDINGS = [Binding("escape", "dismiss_none", "Close")]

    def __init__(self, lang: str = "en", current: str = "") -> None:
        super().__init__()
        self.lang = lang
        self.current = current

    def compose(self) -> ComposeResult:
        items = scenario_titles(self.lang)
        with Vertical():
            yield Label("Open a scenario (Enter) · Esc closes" if self.lang != "zh"
                        else "打开场景（回车）· Esc 关闭")
            if items:
                ol = OptionList(*[Option(f"{name:<24} {title}", id=name)
                                  for name, title in items], id="picker-list")
            else:
                ol = OptionList(Option("(no built-in scenarios are installed)", id="",
                                       disabled=True), id="picker-list")
            yield ol

    def on_mount(self) -> None:
        ol = self.query_one(OptionList)
        for i, opt in enumerate(ol.options):
            if opt.id == self.current:
                ol.highlighted = i
        ol.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.dismiss(event.option.id)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
