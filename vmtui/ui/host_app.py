"""`vmtui host`: a live, read-only view of this machine's physical memory.

NUMA nodes (as `numactl --hardware` prints them), zones with watermarks, free
blocks per order, swap areas, vmstat counters per second and the kswapd
threads. A thread worker reads /proc and /sys and posts a snapshot; the
widgets are filled on the app's thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Grid
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static

from vmtui.host import procfs
from vmtui.host.procfs import HostError
from vmtui.host.snapshot import (
    HostSnapshot,
    counter_total,
    kswapd_cpu_percent,
    take_host_snapshot,
    vmstat_rates,
)


class HostApp(App[None]):
    """This machine's memory, refreshed every `interval` seconds."""

    TITLE = "vmtui host"

    CSS = """
    #grid {
        grid-size: 2 3;
        grid-columns: 1fr 1fr;
        grid-rows: auto 1fr 1fr;
    }
    #grid > * {
        border: round $primary;
        height: 100%;
    }
    #numa, #swaps {
        height: auto;
        padding: 0 1;
    }
    """

    BINDINGS = [Binding("q", "quit", "Quit"), Binding("r", "refresh_now", "Refresh now")]

    @dataclass
    class Sampled(Message):
        """A new snapshot of the machine."""

        snapshot: HostSnapshot

    @dataclass
    class Failed(Message):
        """Reading the machine failed."""

        error: str

    def __init__(self, interval: float = 1.0, first: HostSnapshot | None = None) -> None:
        super().__init__()
        self.interval = interval
        self.snapshot: HostSnapshot | None = None
        self._first = first

    def compose(self) -> ComposeResult:
        yield Header()
        with Grid(id="grid"):
            yield self._titled(Static(id="numa"), "NUMA nodes (numactl --hardware)")
            yield self._titled(Static(id="swaps"), "swap areas (/proc/swaps)")
            yield self._titled(
                DataTable(id="zones", cursor_type="row"), "zones (pages, /proc/zoneinfo)"
            )
            yield self._titled(
                DataTable(id="buddy", cursor_type="row"), "free blocks per order (/proc/buddyinfo)"
            )
            yield self._titled(DataTable(id="rates", cursor_type="row"), "vmstat per second")
            yield self._titled(DataTable(id="kswapd", cursor_type="row"), "kswapd threads")
        yield Footer()

    @staticmethod
    def _titled(widget: Static | DataTable, title: str) -> Static | DataTable:  # type: ignore[type-arg]
        widget.border_title = title
        return widget

    def on_mount(self) -> None:
        self.sub_title = f"this machine, read-only from /proc and /sys, every {self.interval:g} s"
        self.query_one("#zones", DataTable).add_columns(
            "node", "zone", "free", "min", "low", "high", "managed", "present"
        )
        self.query_one("#rates", DataTable).add_columns("counter", "per second", "total")
        self.query_one("#kswapd", DataTable).add_columns(
            "thread", "pid", "node", "state", "CPU time", "CPU %"
        )
        if self._first is not None:
            self._apply(self._first)
            self._first = None
        self.set_interval(self.interval, self.sample)

    @work(thread=True, exclusive=True, group="sample", exit_on_error=False)
    def sample(self) -> None:
        """Read the machine off the UI thread."""
        try:
            snap = take_host_snapshot()
        except HostError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Sampled(snap))

    def action_refresh_now(self) -> None:
        """Sample now rather than at the next tick."""
        self.sample()

    @on(Sampled)
    def _on_sampled(self, message: Sampled) -> None:
        self._apply(message.snapshot)

    @on(Failed)
    def _on_failed(self, message: Failed) -> None:
        self.notify(message.error, title="read failed", severity="error")

    def _apply(self, cur: HostSnapshot) -> None:
        prev, self.snapshot = self.snapshot, cur
        with self.batch_update():
            numa = procfs.format_numactl_hardware(cur.nodes).rstrip("\n")
            self.query_one("#numa", Static).update(Text(numa))
            swaps = "\n".join(
                f"{s.filename}  {s.type}  {s.used_kb}/{s.size_kb} kB used  prio {s.priority}"
                for s in cur.swaps
            )
            self.query_one("#swaps", Static).update(Text(swaps or "(no swap areas)"))

            zones = self.query_one("#zones", DataTable)
            zones.clear()
            for z in cur.zones:
                if not z.populated:
                    continue
                free: str | Text = str(z.free)
                if z.free < z.low:
                    style = "bold red" if z.free < z.min else "bold yellow"
                    free = Text(str(z.free), style=style)
                zones.add_row(z.node, z.name, free, z.min, z.low, z.high, z.managed, z.present)

            buddy = self.query_one("#buddy", DataTable)
            orders = max((len(b.free) for b in cur.buddy), default=0)
            if len(buddy.columns) != orders + 2:
                buddy.clear(columns=True)
                buddy.add_columns("node", "zone", *(str(o) for o in range(orders)))
            buddy.clear()
            for b in cur.buddy:
                buddy.add_row(b.node, b.zone, *b.free)

            rates = self.query_one("#rates", DataTable)
            rates.clear()
            per_second = vmstat_rates(prev, cur)
            for name, rate in per_second.items():
                value: str | Text = f"{rate:.1f}"
                if rate:
                    value = Text(f"{rate:.1f}", style="bold yellow")
                total = counter_total(cur.vmstat, name)
                rates.add_row(name, value, total)
            if not per_second:
                rates.add_row("(rates after the first refresh)", "", "")

            kswapd = self.query_one("#kswapd", DataTable)
            kswapd.clear()
            cpu = kswapd_cpu_percent(prev, cur)
            for k in cur.kswapd:
                pct = f"{cpu[k.pid]:.1f}" if k.pid in cpu else ""
                kswapd.add_row(k.name, k.pid, k.node, k.state, f"{k.cpu_seconds:.2f} s", pct)
