"""StatusBar: scenario, step, process, and what the engine is doing right now."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from vmtui.scenario.loader import pick
from vmtui.view.i18n import t, translate_text
from vmtui.view.snapshot import Snapshot


class StatusBar(Widget):
    """One line: the scenario's title, step n/total, the process shown, the modes, and a
    progress bar with live free memory while a long step runs."""

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        background: $primary;
        color: $text;
    }
    StatusBar > .status--busy { color: $warning; text-style: bold; }
    StatusBar > .status--mode { color: $text; text-style: bold reverse; }
    """
    COMPONENT_CLASSES = {"status--busy", "status--mode"}

    busy: reactive[str] = reactive("")
    """What the engine is doing ("" when idle)."""
    modes: reactive[str] = reactive("")
    """Modes to show: playing, predict."""

    def __init__(self, **kw) -> None:  # type: ignore[no-untyped-def]
        super().__init__(**kw)
        self.snapshot: Snapshot | None = None
        self.lang = "en"
        self.progress: tuple[int, int, int] | None = None

    def show(self, snap: Snapshot, lang: str) -> None:
        self.snapshot = snap
        self.lang = lang
        self.progress = None
        self.refresh()

    def set_progress(self, done: int, total: int, free: int) -> None:
        self.progress = (done, total, free)
        self.refresh()

    def render(self) -> Text:
        snap = self.snapshot
        out = Text(" vmtui ", "bold")
        if snap is not None:
            title = pick(snap.title, self.lang)
            if snap.host:
                out.append(f"· {t('real_process', self.lang)}", "bold")
            else:
                out.append(f"· {snap.scenario}: {title} · ")
                out.append(f"{t('step', self.lang)} {snap.position}/{snap.total}", "bold")
                if snap.kernel:
                    out.append(f" · Linux {snap.kernel}")
            comm = next((c for p, c, _s in snap.pids if p == snap.pid), "")
            if snap.pid:
                out.append(f" · pid {snap.pid} {comm}")
            else:
                out.append(f" · {t('no_live', self.lang)}")
                if snap.gone:
                    last, how = snap.gone[-1]
                    out.append(f" (pid {last}: {translate_text(how, self.lang)})")
            if snap.mark is not None:
                out.append(f" · {t('mark_short', self.lang)} {snap.mark[0]}", "bold")
            live = [p for p, _c, s in snap.pids if s == "R"]
            if len(live) > 1:
                out.append(" " + t("processes_v", self.lang).format(n=len(live)))
        if self.modes:
            out.append(" ")
            out.append(f" {self.modes} ", self.get_component_rich_style("status--mode"))
        if self.busy:
            out.append("  ")
            out.append(f"⏳ {translate_text(self.busy, self.lang)}",
                       self.get_component_rich_style("status--busy"))
            if self.progress is not None:
                done, total, free = self.progress
                pct = done * 100 // max(1, total)
                bar = "█" * (pct // 10) + "░" * (10 - pct // 10)
                out.append(" " + t("progress_free", self.lang).format(bar=bar, pct=pct,
                                                                      free=free),
                           self.get_component_rich_style("status--busy"))
        return out
