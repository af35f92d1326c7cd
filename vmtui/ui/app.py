"""VmtuiApp: the scenario player's TUI. Keys move the engine; panes draw its snapshots.

The engine never runs on this thread: every request goes to a thread worker
(`_engine`) that moves the Player, builds a frozen Snapshot and posts it back.
Requests made while the engine is busy are queued (pressing `n` five times
runs five steps), and `next`/`back` presses are folded into one target step.
"""

from __future__ import annotations

import dataclasses
import gc
import io
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events, on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.timer import Timer

from vmtui.scenario.loader import Scenario, ScenarioError, load_scenario
from vmtui.ui.command_line import CommandLine
from vmtui.ui.dashboard import PAGES, Dashboard
from vmtui.ui.footer import KeyFooter
from vmtui.ui.lines_view import LinesView
from vmtui.ui.messages import (
    CommandEntered,
    EngineFailed,
    Progress,
    ScenarioLoaded,
    StepReady,
    VmaChosen,
    VmaWindow,
)
from vmtui.ui.status_bar import StatusBar
from vmtui.ui.themes import DARK, LIGHT, PROJECTOR_LIGHT, VMTUI_DARK
from vmtui.view.i18n import t, tr
from vmtui.view.ops import Op
from vmtui.view.snapshot import Snapshot, View

if TYPE_CHECKING:
    # the engine (and the screens a key opens) are imported when first needed: the first
    # frame needs none of them, and the engine comes in on the worker thread (_load)
    from vmtui.view.driver import Driver

FIRST_FRAME_WAIT = 0.5
"""Seconds the first paint waits for the scenario's first snapshot (see on_mount)."""
SPEEDS = (0.25, 0.5, 1.0, 1.5, 2.5, 4.0)
FONT_STACK = ('"Fira Code", "DejaVu Sans Mono", "Noto Sans Mono CJK SC", '
              '"WenQuanYi Zen Hei Mono", "Noto Sans CJK SC", monospace')


class VmtuiApp(App[None]):
    """Step through a scenario; every pane shows the engine's state after the step."""

    TITLE = "vmtui"
    CSS = """
    Screen { layout: vertical; }
    """
    BINDINGS = [
        Binding("n,right,space", "next", "Next", priority=False),
        Binding("b,left", "back", "Back"),
        Binding("question_mark,f1", "help", "Help"),
        Binding("q", "quit", "Quit"),
        Binding("r", "run", "Run/Pause"),
        Binding("plus,equals_sign", "speed(-1)", "Faster", show=False),
        Binding("minus", "speed(1)", "Slower", show=False),
        Binding("g", "goto", "Go to"),
        Binding("R", "restart", "Restart"),
        Binding("o", "pick", "Open"),
        Binding("colon", "command_line", "Command"),
        Binding("m", "mark", "Mark"),
        Binding("d", "diff", "Diff"),
        Binding("k", "kernel", "Other kernel"),
        Binding("p", "predict", "Predict"),
        Binding("L", "lab", "Lab", show=False),
        Binding("z", "zoom", "Zoom"),
        Binding("escape", "unzoom", "Unzoom", show=False),
        Binding("v", "view_process", "Process", show=False),
        Binding("l", "lang", "中/En"),
        Binding("t", "theme", "Theme"),
        Binding("s", "shot", "Shot"),
        *[Binding(str(i + 1), f"page('{key}')", label, show=False)
          for i, (key, label) in enumerate(PAGES)],
    ]

    def __init__(self, scenario: Scenario | None = None, *, lang: str = "en",
                 theme: str = "dark", start_step: int = 0, host_pid: int | None = None,
                 interval: float = 1.0, shots_dir: str | None = None) -> None:
        super().__init__()
        self.shots_dir = shots_dir
        self.improvised = 0  # steps typed at the command line since the scenario opened
        # (widget class, action) -> the English of a binding no BINDINGS names
        self._english_labels: dict[tuple[type, str], str] = {}
        if scenario is None and host_pid is None:
            raise ValueError("VmtuiApp needs a scenario or a host_pid")
        self.scenario: Scenario | None = scenario
        # attach mode: a real process, read from /proc every `interval` seconds; read-only
        self.host_pid = host_pid
        self.interval = interval
        self._host_lost = False
        self.lang = lang
        self.start_step = start_step
        self._theme_name = LIGHT if theme == "light" else DARK
        self.driver: Driver | None = None
        self.snapshot: Snapshot | None = None
        self.held: Snapshot | None = None  # predict mode: ran, not shown yet
        self.predict = False
        self.view_pid: int | None = None
        self.selected: int | None = None
        self.vma_window = (0, 60)
        self._busy = False
        self._rss_asked = False  # an "rss" request is queued or running
        self._queue: list[Op] = []
        self._target: int | None = None
        self._timer: Timer | None = None
        self._speed = 2
        self._painted_theme = ""
        self._laid_out = False  # the screen's first layout is done: panes know their size
        self._first_snapshot: ScenarioLoaded | None = None  # came before that layout
        self._paint_held: Timer | None = None
        self._gc_held = False  # the cyclic GC is off until the first paint (on_load)
        self.register_theme(PROJECTOR_LIGHT)
        self.register_theme(VMTUI_DARK)
        self.theme = self._theme_name  # before the first frame: no repaint in another theme

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        # its first page from the start: set in Dashboard.on_mount, the class would restyle
        # every pane once more (~25 ms at 200x50)
        yield Dashboard(id="dash", classes="-page-map")
        yield CommandLine(id="cmdline")
        yield KeyFooter(compact=True)  # every key at 160 columns; ? and q at 80

    def on_load(self) -> None:
        if self.host_pid is None:
            # the scenario opens on the worker while Textual builds the screen
            self._busy = True
            self._load(self.scenario, self.start_step)
            # and what the start-up allocates (the widgets, their styles, the machine)
            # stays: no cyclic collection until the first paint (~280 of them before,
            # 55-75 ms, one full collection among them); _release_paint turns it back on
            self._gc_held = gc.isenabled()
            gc.disable()

    def on_mount(self) -> None:
        self.dashboard.fit(self.size.width, self.size.height)
        if self.lang != "en":
            self._label_bindings()
        self.status.busy = t("waiting", self.lang)
        if self.host_pid is not None:
            self._host_tick()
            self._timer_host = self.set_interval(self.interval, self._host_tick)
        else:
            # the first frame shows the machine: nothing is painted until the first
            # snapshot is in the panes, unless the scenario takes longer than
            # FIRST_FRAME_WAIT to open: then the panes say "waiting" and the status bar
            # shows the progress
            self._begin_batch()
            self._paint_held = self.set_timer(FIRST_FRAME_WAIT, self._release_paint)
        self.query_one("#vmas", LinesView).focus()

    def on_ready(self) -> None:
        """The first layout is done: a snapshot that came before it is shown now, each pane
        building its lines once, at its size."""
        self._laid_out = True
        if self._first_snapshot is not None:
            self._on_loaded(self._first_snapshot)

    def _release_with_footer(self) -> None:
        """Paint once the footer has its keys too: its first compose is queued (after
        refresh) when on_mount sets the focus, and comes after the snapshot."""
        if self._paint_held is not None and not self.query_one(KeyFooter).children:
            self.call_after_refresh(self._release_with_footer)
            return
        self._release_paint()

    def _release_paint(self) -> None:
        """Paint from now on (the first snapshot is shown, or it is slow to come)."""
        if self._paint_held is None:
            return
        self._paint_held.stop()
        self._paint_held = None
        self._end_batch()
        self.screen.refresh()
        if self._gc_held:
            self._gc_held = False
            gc.enable()
        if not self._laid_out:
            self.on_ready()

    def on_unmount(self) -> None:
        gc.unfreeze()  # what _on_loaded froze can be collected once the app is gone
        if self._gc_held:  # gone before its first paint
            self._gc_held = False
            gc.enable()

    def on_resize(self, event: events.Resize) -> None:
        # the event's size: this handler runs before App._on_resize stores the new one
        self.dashboard.fit(event.size.width, event.size.height)

    @property
    def dashboard(self) -> Dashboard:
        return self.query_one(Dashboard)

    @property
    def status(self) -> StatusBar:
        return self.query_one(StatusBar)

    # ------------------------------------------------------------------ engine thread
    def _view(self) -> View:
        top, rows = self.vma_window
        return View(pid=self.view_pid, vma_top=top, vma_rows=rows + 2, selected=self.selected)

    # a description of our own: by default @work puts repr() of every argument in it,
    # and the repr of a scenario with 60,000 commands takes seconds and gigabytes
    @work(thread=True, exclusive=True, group="engine", description="open a scenario")
    def _load(self, scenario: Scenario, start: int) -> None:
        from vmtui.view.driver import Driver

        driver = Driver(scenario)
        driver.progress = self._post_progress
        snap = driver.run(Op("goto", start) if start else Op("refresh"), self._view())
        self.post_message(ScenarioLoaded(driver, snap))

    # ------------------------------------------------------------------ attach mode
    HOST_DISABLED = frozenset({"next", "back", "run", "speed", "goto", "restart", "pick",
                               "command_line", "predict", "view_process", "mark", "diff",
                               "kernel"})

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Attach mode is read-only: the keys that step, open or improvise do nothing."""
        if self.host_pid is not None and action in self.HOST_DISABLED:
            return False
        return True

    def _host_tick(self) -> None:
        if self._busy or self._host_lost or self.host_pid is None:
            return
        self._busy = True
        self._host_read(self.host_pid, self._view())

    @work(thread=True, exclusive=True, group="engine", description="read /proc")
    def _host_read(self, pid: int, view: View) -> None:
        from vmtui.host.procfs import HostError
        from vmtui.host.snapshot import follow_error
        from vmtui.view.host_snapshot import build_host_snapshot

        try:
            snap = build_host_snapshot(pid, view)
        except HostError as e:
            self._host_lost = True
            self.post_message(EngineFailed(follow_error(e)))
            return
        self.post_message(StepReady(snap, None))

    @work(thread=True, exclusive=True, group="engine", description="run a request")
    def _engine(self, driver: Driver, op: Op, view: View) -> None:
        snap = driver.run(op, view)
        self.post_message(StepReady(snap, op))

    @work(thread=True, exclusive=True, group="load", description="load a scenario")
    def _open(self, name: str) -> None:
        try:
            sc = load_scenario(name)
        except ScenarioError as e:
            self.post_message(EngineFailed(e.render()))
            return
        self.call_from_thread(self._replace_scenario, sc)

    def _replace_scenario(self, sc: Scenario) -> None:
        gc.unfreeze()  # the old machine goes (_on_loaded froze it)
        self.scenario = sc
        self.improvised = 0
        self._queue.clear()
        self._target = None
        self.selected = None
        self.view_pid = None
        self._busy = True
        self.status.busy = f"opening {sc.name}"
        self._load(sc, 0)

    def _post_progress(self, done: int, total: int, free: int,
                       kswapd: tuple[tuple[int, str, int], ...]) -> None:
        self.post_message(Progress(done, total, free, kswapd))

    def request(self, op: Op) -> None:
        """Queue a request for the engine; run it now if the engine is idle."""
        if op.kind in ("rss", "refresh") and any(q.kind == op.kind for q in self._queue):
            return  # one is waiting already; it will see the latest view
        self._queue.append(op)
        self._kick()

    def _kick(self) -> None:
        if self._busy or self.driver is None:
            return
        op: Op | None = None
        if self._queue:
            op = self._queue.pop(0)
        elif self._target is not None and self.snapshot is not None:
            if self._target != self.snapshot.position:
                op = Op("goto", self._target)
            self._target = None
        if op is None:
            return
        self._busy = True
        labels = {"next": "running the step", "goto": f"going to step {op.arg}",
                  "improvise": f"running {op.arg}", "refresh": "", "restart": "restarting",
                  "rss": "", "mark": "", "diff": "",
                  "kernel": "re-running on the other kernel"}
        self.status.busy = labels.get(op.kind, op.kind)
        self._engine(self.driver, op, self._view())

    @on(ScenarioLoaded)
    def _on_loaded(self, msg: ScenarioLoaded) -> None:
        if not self._laid_out:
            self._first_snapshot = msg  # on_ready shows it
            return
        self._first_snapshot = None
        self.driver = msg.driver
        self._busy = False
        self._rss_asked = False
        self._apply(msg.snapshot)
        # what is loaded now (the app, the machine at its first step: over a million
        # objects with 60,000 VMAs) stays: full collections need not walk it every time,
        # which takes seconds. A step back unfreezes it (Player._load), for the machine it
        # replaces to be collected.
        gc.freeze()
        self._release_with_footer()
        self._want_rss()
        self._kick()

    @on(StepReady)
    def _on_step_ready(self, msg: StepReady) -> None:
        self._busy = False
        stepped = msg.op is not None and msg.op.kind in ("next", "goto", "improvise")
        if msg.op is not None and msg.op.kind == "rss":
            self._rss_asked = False
            snap, last = msg.snapshot, self.snapshot
            if self.held is not None:
                self.held = snap  # predict mode: the counted RSS waits for the reveal
            elif last is None or (snap.position, snap.pid) != (last.position, last.pid):
                self._apply(snap)  # the engine made a whole new snapshot instead
            else:
                self._show_rss(snap)
                self._want_rss()  # the list may have scrolled while the engine counted
            self._kick()
            return
        if msg.op is not None and msg.op.kind == "improvise":
            if msg.snapshot.error_col:
                # the engine refused it: back on the command line, the cursor at the error,
                # and the commands typed after it in the same line are not run
                self._queue = [q for q in self._queue if q.kind != "improvise"]
                self.query_one(CommandLine).error_at(str(msg.op.arg), msg.snapshot.error_col,
                                                     msg.snapshot.error_msg)
            else:
                self.improvised += 1
        if msg.op is not None and msg.op.kind == "diff" and msg.snapshot.diff:
            from vmtui.ui.diff_view import DiffScreen

            self.push_screen(DiffScreen(msg.snapshot.diff, self.lang))
        if msg.op is not None and msg.op.kind == "kernel" and msg.snapshot.kdiff is not None:
            self._show_kernel_diff(msg.snapshot)
        if self.predict and stepped and self.snapshot is not None and \
                msg.snapshot.position > self.snapshot.position:
            self.held = msg.snapshot
            self._show_prediction(msg.snapshot)
        else:
            self._apply(msg.snapshot)
            self._want_rss()
        self._kick()

    def _show_rss(self, snap: Snapshot) -> None:
        """The follow-up of a step: only the VMA list and the vm_area_struct pane show RSS."""
        self.snapshot = snap
        with self.batch_update():
            for name in ("#vmas", "#detail"):
                self.query_one(name, LinesView).show(snap, self.lang)

    def _want_rss(self) -> None:
        """Ask the engine for the RSS the screen lacks: a VMA too big to count with the
        step, or rows the VMA list scrolled to. One request at a time."""
        snap = self.snapshot
        if snap is None or self._rss_asked:
            return
        top, rows = self.vma_window
        missing = any(i not in snap.rss for i in range(top, min(snap.tree_size, top + rows)))
        if not (snap.rss_pending or missing):
            return
        self._rss_asked = True
        if snap.rss_pending:
            # after the step is on screen: counting a big VMA's pages must not hold up
            # the paint (the worker and this thread share the GIL)
            self.call_after_refresh(self.request, Op("rss"))
        else:
            self.request(Op("rss"))

    @on(EngineFailed)
    def _on_failed(self, msg: EngineFailed) -> None:
        self._release_paint()
        if self.host_pid is not None:
            self._busy = False
        if msg.text:
            self.status.busy = ""
            self.notify(msg.text, title=tr("cannot open", self.lang), severity="error",
                        timeout=8)

    @on(Progress)
    def _on_progress(self, msg: Progress) -> None:
        self.status.set_progress(msg.done, msg.total, msg.free)
        reclaim = self.query_one("#reclaim")
        reclaim.live.append(msg.free)  # type: ignore[attr-defined]
        reclaim.live_kswapd = {nid: (state, rec) for nid, state, rec in msg.kswapd  # type: ignore[attr-defined]
                               if state != "sleeping"}
        reclaim.rebuild()  # type: ignore[attr-defined]

    def _apply(self, snap: Snapshot) -> None:
        """Show a snapshot in every pane, in one repaint."""
        self.snapshot = snap
        self.held = None
        self._painted_theme = self.theme
        reclaim = self.query_one("#reclaim")
        reclaim.live = []  # type: ignore[attr-defined]
        reclaim.live_kswapd = {}  # type: ignore[attr-defined]
        with self.batch_update():
            for pane in self.dashboard.panes:
                if hasattr(pane, "hidden_result"):
                    pane.hidden_result = False  # type: ignore[attr-defined]
            self.dashboard.show(snap, self.lang)
            self.status.busy = ""
            self.status.show(snap, self.lang)
        if snap.error and not snap.error_col:
            self.notify(snap.error, title=tr("command error", self.lang), severity="error",
                        timeout=8)

    def _show_prediction(self, snap: Snapshot) -> None:
        """Predict mode: name the command that ran; keep its effects for the reveal."""
        with self.batch_update():
            for pid in ("#narration", "#calls", "#vmstat"):
                pane = self.query_one(pid, LinesView)
                pane.hidden_result = True  # type: ignore[attr-defined]
            narr = self.query_one("#narration", LinesView)
            narr.show(snap, self.lang)
            # the header names the step the narration is about (its outcome still hidden)
            self.status.show(snap, self.lang)
            self.query_one("#calls", LinesView).show(snap, self.lang)
            self.status.busy = ""
            self.status.modes = self._mode_text()

    # ------------------------------------------------------------------ pane messages
    @on(VmaChosen)
    def _on_vma_chosen(self, msg: VmaChosen) -> None:
        self.selected = msg.index
        if self.host_pid is not None:
            self._host_tick()  # every RSS is in the snapshot: read again for the detail
            return
        self._rss_asked = True
        self.request(Op("rss"))

    @on(VmaWindow)
    def _on_vma_window(self, msg: VmaWindow) -> None:
        self.vma_window = (msg.top, msg.rows)
        self._want_rss()

    @on(CommandEntered)
    def _on_command(self, msg: CommandEntered) -> None:
        self.selected = None
        self.request(Op("improvise", msg.text))
        self.query_one("#vmas", LinesView).focus()

    # ------------------------------------------------------------------ actions
    def _position(self) -> int:
        if self._target is not None:
            return self._target
        return self.snapshot.position if self.snapshot is not None else 0

    def action_next(self) -> None:
        if self.held is not None:
            self._apply(self.held)
            self.status.modes = self._mode_text()
            return
        if self.snapshot is None:
            return
        if self._position() >= self.snapshot.total:
            self._pause()
            self.notify(t("end", self.lang), timeout=3)
            return
        self.selected = None
        self._target = self._position() + 1
        self._kick()

    def action_back(self) -> None:
        if self.snapshot is None:
            return
        self.held = None
        self.selected = None
        self._target = max(0, self._position() - 1)
        self._kick()

    def action_restart(self) -> None:
        self._pause()
        self.selected = None
        self._target = 0
        self._kick()

    def action_goto(self) -> None:
        from vmtui.ui.goto import GotoScreen

        if self.snapshot is None:
            return

        def done(n: int | None) -> None:
            if n is not None:
                self.selected = None
                self._target = n
                self._kick()

        self.push_screen(GotoScreen(self.snapshot.total, self.snapshot.position), done)

    def action_run(self) -> None:
        if self._timer is not None:
            self._pause()
        else:
            self._timer = self.set_interval(SPEEDS[self._speed], self._tick)
            self.status.modes = self._mode_text()

    def _pause(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.status.modes = self._mode_text()

    def _tick(self) -> None:
        if self._busy:
            return
        if self.snapshot is not None and self.snapshot.position >= self.snapshot.total:
            self._pause()
            return
        self.action_next()

    def action_speed(self, delta: int) -> None:
        self._speed = max(0, min(len(SPEEDS) - 1, self._speed + delta))
        if self._timer is not None:
            self._timer.stop()
            self._timer = self.set_interval(SPEEDS[self._speed], self._tick)
        self.status.modes = self._mode_text()
        self.notify(t("speed", self.lang).format(s=SPEEDS[self._speed]), timeout=2)

    def _mode_text(self) -> str:
        modes = []
        if self._timer is not None:
            modes.append(f"▶ {t('running', self.lang)} {SPEEDS[self._speed]}s")
        if self.predict:
            modes.append(tr("predict", self.lang) +
                         (f": {tr('space reveals', self.lang)}" if self.held else ""))
        return " · ".join(modes)

    def action_predict(self) -> None:
        self.predict = not self.predict
        if not self.predict and self.held is not None:
            self._apply(self.held)
        self.status.modes = self._mode_text()

    def action_pick(self) -> None:
        from vmtui.ui.confirm import ConfirmScreen
        from vmtui.ui.picker import PickerScreen

        def done(name: str | None) -> None:
            if name:
                self._pause()
                self.status.busy = f"opening {name}"
                self._open(name)

        def pick(ok: bool | None = True) -> None:
            if ok:
                self.push_screen(PickerScreen(self.lang, self.scenario.name
                                              if self.scenario else ""), done)

        if self.improvised:
            n = self.improvised
            self.push_screen(ConfirmScreen(t("confirm_discard", self.lang).format(n=n)), pick)
        else:
            pick()

    def action_lab(self) -> None:
        """The OSTEP lab: homework exercises, one guess per question (vmtui/ui/lab.py)."""
        from vmtui.ui.lab import LabScreen

        self._pause()
        self.push_screen(LabScreen(self.lang))

    def action_command_line(self) -> None:
        self.query_one(CommandLine).open()

    def action_mark(self) -> None:
        """Remember the step shown; `d` at another step lists what changed since."""
        if self.snapshot is None:
            return
        self.request(Op("mark"))
        self.notify(t("marked", self.lang).format(n=self.snapshot.position), timeout=3)

    def action_diff(self) -> None:
        """What changed between the marked step and the one shown (statediff)."""
        self.request(Op("diff"))

    def action_kernel(self) -> None:
        """Re-run the scenario to this step on the other kernel and show where the two
        runs differ (vmtui/scenario/compare.py, as `vmtui run --kernel A,B` prints it)."""
        if self.snapshot is None:
            return
        self._pause()
        gc.unfreeze()  # the machine of the other kernel replaces this one (_on_loaded froze it)
        self.request(Op("kernel"))

    def _show_kernel_diff(self, snap: Snapshot) -> None:
        from vmtui.ui.diff_view import DiffScreen  # imported when first needed
        from vmtui.view.kdiff import text_lines

        comp = snap.kdiff
        a, b = comp.kernels
        self.push_screen(DiffScreen(tuple(text_lines(comp, self.lang)), self.lang,
                                    title=t("kd_title", self.lang).format(
                                        a=a, b=b, n=len(comp.steps)),
                                    keys=t("kd_keys", self.lang).format(k=snap.kernel)))
        self.notify(t("kd_switched", self.lang).format(k=snap.kernel, n=snap.position),
                    timeout=4)

    def action_zoom(self) -> None:
        screen = self.screen
        if screen.maximized is not None:
            screen.minimize()
        elif screen.focused is not None:
            screen.maximize(screen.focused, container=False)

    def action_unzoom(self) -> None:
        if self.screen.maximized is not None:
            self.screen.minimize()

    def action_view_process(self) -> None:
        snap = self.snapshot
        if snap is None:
            return
        live = [p for p, _c, s in snap.pids if s == "R"]
        if len(live) < 2:
            self.notify(t("one_process", self.lang), timeout=2)
            return
        i = live.index(snap.pid) if snap.pid in live else -1
        self.view_pid = live[(i + 1) % len(live)]
        self.selected = None
        self.request(Op("refresh"))

    def _label_bindings(self) -> None:
        """The footer's words in the chosen language, the app's keys and its widgets' (the
        BINDINGS keep the English)."""
        for node in (self, *self.query("*")):
            english = {b.action: b.description for b in type(node).BINDINGS
                       if isinstance(b, Binding)}
            if not english:
                continue
            keys = node._bindings.key_to_bindings
            for key, bindings in keys.items():
                # a binding Textual adds itself (the command palette's) is in no BINDINGS:
                # its English is the description it had when first seen here
                keys[key] = [dataclasses.replace(b, description=tr(english.get(
                    b.action) or self._english_labels.setdefault(
                        (type(node), b.action), b.description), self.lang))
                    for b in bindings]
        self.refresh_bindings()

    def action_lang(self) -> None:
        self.lang = "zh" if self.lang == "en" else "en"
        self._label_bindings()
        if self.snapshot is not None:
            self.dashboard.rebuild(self.lang)
            self.status.show(self.snapshot, self.lang)

    def action_theme(self) -> None:
        self.theme = DARK if self.theme == LIGHT else LIGHT

    def watch_theme(self, theme: str) -> None:
        # colours live in component styles: panes draw again with the new ones
        if self.is_mounted and self.snapshot is not None and theme != self._painted_theme:
            self._painted_theme = theme
            self.call_after_refresh(self.dashboard.rebuild, self.lang)

    def export_screenshot(self, *, title: str | None = None, simplify: bool = False) -> str:
        """The screen as SVG, with its spaces kept by every renderer.

        Rich writes each run of one style as a <text> element; one that starts with a
        space ("  wakeups 49" after "sleeping") loses it in librsvg (rsvg-convert) and
        Inkscape, so words run together on slides. xml:space="preserve" keeps them.
        """
        svg = super().export_screenshot(title=title, simplify=simplify)
        # CJK fallbacks after Rich's own font: converted to PNG on a machine without Fira
        # Code, Chinese text would otherwise come out as boxes
        svg = svg.replace("font-family: Fira Code, monospace;", f"font-family: {FONT_STACK};")
        return svg.replace("<svg ", '<svg xml:space="preserve" ', 1)

    def action_shot(self) -> None:
        snap = self.snapshot
        name = snap.scenario if snap is not None else "vmtui"
        step = snap.position if snap is not None else 0
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in Path(name).stem)
        filename = f"{safe}-step{step:03d}.svg"
        if self.is_web:
            # served (`vmtui serve`): the browser downloads it; nothing is written on the
            # server, whose working directory is not the browser user's to fill
            self.deliver_text(io.StringIO(self.export_screenshot()), save_filename=filename,
                              open_method="download", mime_type="image/svg+xml")
            self.notify(t("sent", self.lang).format(name=filename), timeout=3)
            return
        folder = self.shots_folder(name)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = Path(self.save_screenshot(filename, path=str(folder))).resolve()
        except OSError as e:
            self.notify(t("cannot_save", self.lang).format(folder=folder,
                                                           why=e.strerror or e),
                        severity="error", timeout=8)
            return
        self.notify(f"{t('saved', self.lang)} {path}", timeout=6)

    def shots_folder(self, scenario: str) -> Path:
        """Where `s` saves: the folder the user chose (--shots DIR or $VMTUI_SHOTS), else
        vmtui-shots/SCENARIO under the current directory; always absolute."""
        stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in Path(scenario).stem)
        chosen = self.shots_dir or os.environ.get("VMTUI_SHOTS", "")
        base = Path(chosen).expanduser() if chosen else Path.cwd() / "vmtui-shots" / stem
        return base.resolve()

    def action_help(self) -> None:
        from vmtui.ui.help import HelpScreen

        self.push_screen(HelpScreen(self.lang))

    def action_page(self, page: str) -> None:
        self.dashboard.set_page(page)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for key, text, action in (
            ("Next step", "Run the next step of the scenario", self.action_next),
            ("Previous step", "Go back one step", self.action_back),
            ("Run / pause", "Advance a step at a time, automatically", self.action_run),
            ("Go to step", "Jump to a step by number", self.action_goto),
            ("Restart", "Back to step 0", self.action_restart),
            ("Open scenario", "Pick a built-in scenario", self.action_pick),
            ("Predict mode", "Hide each step's result until revealed", self.action_predict),
            ("Language", "Switch between English and Chinese", self.action_lang),
            ("Projector theme", "Switch between the dark and the light theme",
             self.action_theme),
            ("Save screenshot", "SVG of the screen in the shots folder (printed when saved)",
             self.action_shot),
            ("Command line", "Type a command to run as a step", self.action_command_line),
            ("Mark step", "Remember this step for a diff (m)", self.action_mark),
            ("Diff with the marked step",
             "VMAs, PTEs, frames, swap slots and counters that changed between the marked "
             "step and this one (d)", self.action_diff),
            ("Other kernel",
             "Re-run the scenario to this step on the other kernel (5.4 / 6.18) and list "
             "where the two runs differ (k)", self.action_kernel),
        ):
            yield SystemCommand(tr(key, self.lang), tr(text, self.lang), action)
