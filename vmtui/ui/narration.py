"""NarrationPane: what this step did and why, in the chosen language."""

from __future__ import annotations

from rich.text import Text

from vmtui.scenario.loader import pick
from vmtui.ui.i18n import t
from vmtui.ui.lines_view import LinesView
from vmtui.ui.snapshot import Snapshot


class NarrationPane(LinesView):
    """The step's command, its result (coloured by outcome), the scenario's `say`, and
    the text a `show` command printed. In predict mode the result waits for a key."""

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
    hidden_result: bool = False
    """Predict mode: the step ran but its outcome is not shown yet."""

    def build(self, snap: Snapshot) -> None:
        lang = self.lang
        self.border_title = t("narration", lang)
        lines: list[Text] = []
        st = self.style
        title = pick(snap.title, lang)
        if snap.position == 0:
            lines.append(Text(f"{title}", st("narr--head")))
            summary = ""
            lines.append(Text(summary, st("narr--say"))) if summary else None
            lines.append(Text(t("start", lang), st("narr--say")))
        else:
            head = f"{t('step', lang)} {snap.position}/{snap.total}"
            stitle = pick(snap.step_title, lang) if snap.step_title else ""
            lines.append(Text(head + (f" · {stitle}" if stitle else ""), st("narr--head")))
            line = Text("$ ", st("narr--out"))
            line.append(snap.do, st("narr--cmd"))
            lines.append(line)
            if self.hidden_result:
                lines.append(Text(t("predict", lang), st("narr--predict")))
                self.set_lines(lines)
                return
            ok = snap.result_kind == "ok"
            res = Text("→ ", st("narr--out"))
            res.append(snap.result, st("narr--ok" if ok else "narr--fail"))
            if snap.expect is not None:
                mark = " ✓ as expected" if snap.expect_ok else f" ✗ expected {snap.expect}"
                res.append(mark, st("narr--ok" if snap.expect_ok else "narr--fail"))
            lines.append(res)
            say = pick(snap.say, lang) if snap.say else ""
            if say:
                lines.extend(Text(p, st("narr--say")) for p in say.split("\n"))
        if snap.error:
            lines.extend(Text(p, st("narr--fail")) for p in snap.error.split("\n"))
        for out in snap.texts:
            lines.extend(Text(p, st("narr--out")) for p in out.rstrip("\n").split("\n"))
        if snap.next_do:
            nxt = Text(f"{t('press_next', lang)}: ", st("narr--next"))
            nxt.append(snap.next_do, st("narr--cmd"))
            lines.append(nxt)
        elif snap.position and snap.position >= snap.total:
            lines.append(Text(t("end", lang), st("narr--next")))
        self.set_lines(lines)
