"""NarrationPane: what this step did and why, in the chosen language."""

from __future__ import annotations

from rich.text import Text

from vmtui.scenario.loader import pick
from vmtui.ui.lines_view import LinesView
from vmtui.view.i18n import t, tr, translate_result, translate_text
from vmtui.view.snapshot import Snapshot

LONG_COMMAND = 240
"""A step's command longer than this (a bulk step of thousands of commands) is cut."""


def short(text: str, limit: int = LONG_COMMAND, lang: str = "en") -> str:
    """`text` cut to `limit` characters, saying how many commands the rest holds."""
    if len(text) <= limit:
        return text
    more = text[limit:].count(";")
    return text[:limit].rstrip() + " … " + t("more_commands", lang).format(n=more) \
        if more else text[:limit] + " …"


class NarrationPane(LinesView):
    """The step's command and its result (coloured by outcome) on one line, the
    scenario's `say`, and the text a `show` command printed; before the first step, the
    scenario's summary. The next command waits in the border (`n → …`). In predict mode
    the result waits for a key."""

    MIN_WIDTH = 28
    MIN_HEIGHT = 3
    DEFAULT_CSS = """
    NarrationPane > .narr--head { text-style: bold; color: $text; }
    NarrationPane > .narr--cmd { color: $accent; text-style: bold; }
    NarrationPane > .narr--ok { color: $success; text-style: bold; }
    NarrationPane > .narr--fail { color: $error; text-style: bold; }
    NarrationPane > .narr--say { color: $text; }
    NarrationPane > .narr--out { color: $text-muted; }
    NarrationPane > .narr--next { color: $text-muted; }
    NarrationPane > .narr--predict { color: $warning; text-style: bold; }
    """
    COMPONENT_CLASSES = LinesView.COMPONENT_CLASSES | {
        "narr--head", "narr--cmd", "narr--ok", "narr--fail", "narr--say", "narr--out",
        "narr--next", "narr--predict"}
    wrap = True
    localize = False  # the command stays as typed; /proc text stays as the kernel prints it
    hidden_result: bool = False
    """Predict mode: the step ran but its outcome is not shown yet."""

    def build_state(self) -> tuple[object, ...]:
        return (*super().build_state(), self.hidden_result)

    def build(self, snap: Snapshot) -> None:
        lang = self.lang
        self.border_title = t("narration", lang)
        lines: list[Text] = []
        st = self.style
        if snap.next_do:
            self.border_subtitle = f"n → {short(snap.next_do, 60, lang)}"
        elif snap.position and snap.position >= snap.total:
            self.border_subtitle = t("end_short", lang)
        else:
            self.border_subtitle = ""
        if snap.position == 0:
            lines.append(Text(pick(snap.title, lang), st("narr--head")))
            summary = pick(snap.summary, lang) if snap.summary else ""
            if summary:
                lines.append(Text(summary, st("narr--say")))
            lines.append(Text(t("start", lang), st("narr--next")))
        else:
            head = f"{t('step', lang)} {snap.position}/{snap.total}"
            stitle = pick(snap.step_title, lang) if snap.step_title else ""
            lines.append(Text(head + (f" · {stitle}" if stitle else ""), st("narr--head")))
            line = Text("$ ", st("narr--out"))
            line.append(short(snap.do, lang=lang), st("narr--cmd"))
            if self.hidden_result:
                lines.append(line)
                lines.append(Text(t("predict", lang), st("narr--predict")))
                self.set_lines(lines)
                return
            ok = snap.result_kind == "ok"
            line.append("  → ", st("narr--out"))
            line.append(translate_result(snap.result, lang),
                        st("narr--ok" if ok else "narr--fail"))
            if snap.expect is not None:
                mark = (" " + tr("✓ as expected", lang) if snap.expect_ok else
                        f" {tr('✗ expected', lang)} {snap.expect}")
                line.append(mark, st("narr--ok" if snap.expect_ok else "narr--fail"))
            lines.append(line)
            say = pick(snap.say, lang) if snap.say else ""
            if say:
                lines.extend(Text(p, st("narr--say")) for p in say.split("\n"))
        if snap.error:
            lines.extend(Text(translate_text(p, lang, words=False), st("narr--fail"))
                         for p in snap.error.split("\n"))
        for out in snap.texts:
            # vmtui's own views (walk, segment, show layout...) in the chosen language; a
            # tool's or /proc's text matches no template and stays as the kernel prints it
            lines.extend(Text(translate_text(p, lang, words=False), st("narr--out"))
                         for p in out.rstrip("\n").split("\n"))
        if snap.position and snap.position >= snap.total and not snap.next_do:
            lines.append(Text(t("end", lang), st("narr--next")))
        self.set_lines(lines)
