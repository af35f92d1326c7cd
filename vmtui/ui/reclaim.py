"""ReclaimPane: LRU lists, kswapd per node, swap, and free memory over the steps."""

from __future__ import annotations

from rich.text import Text

from vmtui.ui.i18n import t
from vmtui.ui.lines_view import LinesView
from vmtui.ui.snapshot import Snapshot

SPARK = "▁▂▃▄▅▆▇█"
COUNTERS = ("pswpin", "pswpout", "pgscan_kswapd", "pgsteal_kswapd", "pgscan_direct",
            "pgsteal_direct", "allocstall_normal", "oom_kill")


def sparkline(values: list[int], width: int) -> str:
    """One character per value (the last `width`), scaled between their min and max."""
    vals = values[-width:]
    if not vals:
        return ""
    lo, hi = min(vals), max(vals)
    span = hi - lo
    if span == 0:
        return SPARK[-1] * len(vals)
    return "".join(SPARK[min(7, (v - lo) * 8 // (span + 1))] for v in vals)


class ReclaimPane(LinesView):
    """node.lru.sizes() as bars, node.kswapd's state and counts, machine.swap's slots in
    use, pswpin/pswpout and friends, and a sparkline of free pages, one point a step (and
    live points while a long step runs)."""

    DEFAULT_CSS = """
    ReclaimPane > .rc--bar { color: $primary; }
    ReclaimPane > .rc--anon { color: $warning; }
    ReclaimPane > .rc--file { color: $primary; }
    ReclaimPane > .rc--unev { color: $secondary; }
    ReclaimPane > .rc--run { color: $error; text-style: bold; }
    ReclaimPane > .rc--sleep { color: $success; }
    ReclaimPane > .rc--spark { color: $accent; }
    ReclaimPane > .rc--changed { color: $warning; text-style: bold; }
    """
    COMPONENT_CLASSES = LinesView.COMPONENT_CLASSES | {
        "rc--bar", "rc--anon", "rc--file", "rc--unev", "rc--run", "rc--sleep", "rc--spark",
        "rc--changed"}
    fit = True
    wrap = True

    def __init__(self, **kw) -> None:  # type: ignore[no-untyped-def]
        super().__init__(**kw)
        self.live: list[int] = []
        self.live_kswapd: dict[int, tuple[str, int]] = {}

    def build(self, snap: Snapshot) -> None:
        self.border_title = t("reclaim", self.lang)
        st = self.style
        width = self.content_width()
        lines: list[Text] = []
        vm = dict(snap.vmstat)
        for node in snap.nodes:
            ks = dict(node.kswapd)
            state = str(ks.get("state", "?"))
            live = self.live_kswapd.get(node.nid)
            if live is not None:
                state = f"{live[0]} (live, reclaimed {live[1]:,})"
            head = Text(f"kswapd{node.nid} ", "bold")
            head.append(state, st("rc--sleep" if state.startswith("sleep") else "rc--run"))
            head.append(f"  wakeups {ks.get('wakeups', 0):,}  scanned {ks.get('scanned', 0):,}"
                        f"  reclaimed {ks.get('reclaimed', 0):,}", st("lines--dim"))
            lines.append(head)
            biggest = max((v for _k, v in node.lru), default=0) or 1
            bar_w = max(4, width - 28)
            for name, value in node.lru:
                cls = "rc--unev" if name == "unevictable" else (
                    "rc--anon" if "anon" in name else "rc--file")
                line = Text(f" {name:<14}{value:>9,} ")
                line.append("█" * (value * bar_w // biggest) if value else "", st(cls))
                lines.append(line)
        sw = snap.swap
        if sw.total or sw.used:
            pct = sw.used * 100 // max(1, sw.total)
            line = Text("swap ", "bold")
            line.append(f"{sw.used:,}/{sw.total:,} slots ({pct}%)  cache {sw.cache:,}")
            if not sw.enabled:
                line.append("  off", st("rc--run"))
            lines.append(line)
            bar_w = max(4, width - 2)
            used = sw.used * bar_w // max(1, sw.total)
            lines.append(Text(" " + "█" * used + "░" * (bar_w - used), st("rc--anon")))
        else:
            lines.append(Text("swap: none on this machine", st("lines--dim")))
        delta = snap.vmstat_delta
        counters = Text()
        for name in COUNTERS:
            if name in vm:
                counters.append(f"{name} {vm[name]:,}  ",
                                st("rc--changed") if delta.get(name) else st("lines--dim"))
        lines.append(counters)
        values = list(snap.free_history) + self.live
        spark_w = max(4, width - 22)
        line = Text("free ", "bold")
        line.append(sparkline(values, spark_w), st("rc--spark"))
        if values:
            line.append(f" {values[-1]:,} pages")
        lines.append(line)
        self.set_lines(lines)
