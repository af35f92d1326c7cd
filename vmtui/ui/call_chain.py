"""CallChainPane: the kernel functions this step went through, indented by call depth."""

from __future__ import annotations

from rich.text import Text

from vmtui.ui.lines_view import LinesView
from vmtui.view.i18n import t, tr, translate_text
from vmtui.view.snapshot import Snapshot

MAX_EVENTS = 500


class CallChainPane(LinesView):
    """Each engine event as `fn (file)` and what it did; deeper calls further right."""

    MIN_WIDTH = 28
    MIN_HEIGHT = 3
    DEFAULT_CSS = """
    CallChainPane > .calls--fn { color: $accent; text-style: bold; }
    CallChainPane > .calls--file { color: $text-muted; }
    CallChainPane > .calls--text { color: $text; }
    CallChainPane > .calls--tree { color: $text-muted; }
    """
    COMPONENT_CLASSES = LinesView.COMPONENT_CLASSES | {
        "calls--fn", "calls--file", "calls--text", "calls--tree"}
    wrap = True
    localize = False  # events are translated whole, kernel function names kept
    hidden_result = False

    def build_state(self) -> tuple[object, ...]:
        return (*super().build_state(), self.hidden_result)

    def build(self, snap: Snapshot) -> None:
        self.border_title = t("calls", self.lang)
        if self.hidden_result:
            self.set_lines([], t("predict", self.lang))
            return
        st = self.style
        lines = []
        for ev in snap.events[:MAX_EVENTS]:
            line = Text("  " * ev.depth, st("calls--tree"))
            if ev.depth:
                line.append("└ ", st("calls--tree"))
            lang = self.lang
            if ev.file:
                # "segment checks (CPU: ...)": a step of the CPU's, not a kernel function
                fn = translate_text(ev.fn, lang) if " " in ev.fn else ev.fn
                where = translate_text(ev.file, lang) if " " in ev.file else ev.file
                line.append(fn, st("calls--fn"))
                line.append(f" ({where}) ", st("calls--file"))
            line.append(translate_text(ev.text, lang), st("calls--text"))
            lines.append(line)
        if len(snap.events) > MAX_EVENTS:
            lines.append(Text(f"... {len(snap.events) - MAX_EVENTS} "
                              f"{tr('more events', self.lang)}",
                              st("lines--dim")))
        self.border_subtitle = (f"{len(snap.events)} {tr('events', self.lang)}"
                                if snap.events else "")
        self.set_lines(lines, t("no_events", self.lang))
