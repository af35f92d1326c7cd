"""ReclaimPane: LRU lists, kswapd per node, swap, and free memory over the steps."""

from __future__ import annotations

from rich.text import Text

from vmtui.ui.lines_view import LinesView
from vmtui.ui.marks import kswapd_before
from vmtui.view.i18n import t, tr
from vmtui.view.snapshot import Snapshot

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


def pad(text: str, width: int, right: bool = False) -> str:
    """`text` padded to `width` terminal cells (a CJK character takes two)."""
    room = " " * max(0, width - Text(text).cell_len)
    return room + text if right else text + room


def kswapd_why(node, state: str) -> str:  # type: ignore[no-untyped-def]
    """Why kswapd sleeps or runs, from the zones' free pages against their watermarks:
    the allocator wakes it when a zone falls below low; it reclaims until every zone is
    above high (pgdat_balanced)."""
    zones = [z for z in node.zones if z.managed]
    if not zones:
        return "no memory"
    worst = min(zones, key=lambda z: z.free - z.wmark[2])
    _mn, low, high = worst.wmark
    if state.startswith("sleep"):
        if worst.free >= high:
            return "every zone above its high watermark"
        if worst.free < low:
            return f"{worst.name} free {worst.free:,} < low {low:,}: woken at the next allocation"
        return f"{worst.name} free {worst.free:,} ≥ low {low:,}: not woken yet"
    return f"{worst.name} free {worst.free:,} < high {high:,}: reclaiming up to high"


class ReclaimPane(LinesView):
    """Per node: kswapd's state and counts, then the LRU lists (node.lru.sizes()) as bars
    scaled to the node's managed pages, so a bar says how much of the node's RAM the list
    holds. Then machine.swap's slots in use, the reclaim and swap counters that are not
    zero (this step's changes highlighted), and a sparkline of free pages, one point a
    step (and live points while a long step runs). kswapd's counts this step changed are
    in the change colour too, with their delta."""

    MIN_WIDTH = 44
    MIN_HEIGHT = 5
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

    def build_state(self) -> tuple[object, ...]:
        # the live points and kswapd states of a long step, until its snapshot comes
        return (*super().build_state(), tuple(self.live), tuple(self.live_kswapd.items()))

    def build(self, snap: Snapshot) -> None:
        self.border_title = t("reclaim", self.lang)
        st = self.style
        width = self.content_width()
        dim = st("lines--dim")
        lines: list[Text] = []
        vm = dict(snap.vmstat)
        for node in snap.nodes:
            ks = dict(node.kswapd)
            state = str(ks.get("state", "?"))
            live = self.live_kswapd.get(node.nid)
            if live is not None:
                state = f"{live[0]} (live, reclaimed {live[1]:,})"
            head = Text(f"kswapd{node.nid} ", "bold")
            head.append(tr(state, self.lang) if live is None else state,
                        st("rc--sleep" if state.startswith("sleep") else "rc--run"))
            head.append(f" ({kswapd_why(node, state)})", dim)
            was = kswapd_before(snap, node.nid) if live is None else None
            for name in ("wakeups", "scanned", "reclaimed"):
                value = int(ks.get(name, 0))
                # this step's change in the change colour, with its delta
                d = value - was.get(name, value) if was is not None else 0
                head.append(f" · {name} {value:,}" + (f" {d:+,}" if d else ""),
                            st("rc--changed") if d else dim)
            lines.append(head)
            lru = dict(node.lru)
            was = snap.changes.lru_before.get(node.nid) if snap.changes is not None else None
            ram = max(1, sum(z.managed for z in node.zones))
            # two lists a line: " anon  inactive 12,345 ███   active 12,345 ███"
            bar_w = max(2, (width - 6 - 2 * 17) // 2)

            def bar(value: int, cls: str, ram: int = ram, bar_w: int = bar_w) -> Text:
                n = value * bar_w // ram
                cells = "█" * n + ("▏" if value and not n else "")
                return Text(cells.ljust(bar_w), st(cls))

            if node.lrugen:
                lines.extend(self.gen_strip(node, width))
            for kind, cls in (("anon", "rc--anon"), ("file", "rc--file")):
                if node.lrugen:
                    break  # the strip above says it per generation
                line = Text(" " + pad(tr(kind, self.lang), 5))
                for which in ("inactive", "active"):
                    value = lru.get(f"{which}_{kind}", 0)
                    moved = was is not None and was.get(f"{which}_{kind}", 0) != value
                    line.append(pad(tr(which, self.lang), 9, right=True))
                    # this step's change in the change colour
                    line.append(f" {value:>7,} ", st("rc--changed") if moved else "")
                    line.append_text(bar(value, cls))
                lines.append(line)
            unev = lru.get("unevictable", 0)
            if unev:
                line = Text(f" {tr('unevictable', self.lang)} {unev:>7,} ")
                line.append_text(bar(unev, "rc--unev"))
                lines.append(line)
        sw = snap.swap
        if sw.total or sw.used:
            pct = sw.used * 100 // max(1, sw.total)
            line = Text("swap ", "bold")
            ch = snap.changes
            du = sw.used - ch.swap_before[0] if ch is not None else 0
            dc = sw.cache - ch.swap_before[1] if ch is not None else 0
            line.append(f"{sw.used:,}/{sw.total:,} slots ({pct}%)")
            if du:
                line.append(f" {du:+,}", st("rc--changed"))
            line.append(f" · cache {sw.cache:,}")
            if dc:
                line.append(f" {dc:+,}", st("rc--changed"))
            line.append(" ")
            if not sw.enabled:
                line.append("off ", st("rc--run"))
            room = width - line.cell_len
            if room >= 6:
                used = sw.used * room // max(1, sw.total)
                line.append("█" * used, st("rc--anon"))
                line.append("░" * (room - used), dim)
            lines.append(line)
        else:
            lines.append(Text("swap: none on this machine", dim))
        delta = snap.vmstat_delta
        counters = Text()
        for name in COUNTERS:
            value = vm.get(name, 0)
            if not value:
                continue
            if counters:
                counters.append(" · ", dim)
            d = delta.get(name, 0)
            counters.append(f"{name} {value:,}" + (f" {d:+,}" if d else ""),
                            st("rc--changed") if d else dim)
        lines.append(counters if counters else
                     Text("no page scanned, stolen or swapped yet", dim))
        values = list(snap.free_history) + self.live
        line = Text("free ", "bold")
        tail = f" {values[-1]:,} pages" if values else ""
        line.append(sparkline(values, max(4, width - 6 - len(tail))), st("rc--spark"))
        line.append(tail)
        lines.append(line)
        self.set_lines(lines)

    def gen_strip(self, node, width: int) -> list[Text]:  # type: ignore[no-untyped-def]
        """The multi-gen LRU of a 6.18 node: one column per generation from the oldest
        (left, where evict_folios takes pages) to the youngest (max_seq, where the aging
        promotes young pages), anon and file pages in each; `x` marks a generation below
        that type's min_seq (already evicted)."""
        st = self.style
        dim = st("lines--dim")
        min_anon, min_file, max_seq = node.lrugen_seqs
        gens = node.lrugen
        col = max(9, min(16, (width - 6) // max(1, len(gens))))
        head = Text(" " + pad(tr("gen", self.lang), 5), dim)
        anon = Text(" " + pad(tr("anon", self.lang), 5))
        file = Text(" " + pad(tr("file", self.lang), 5))
        top = max(1, max(max(a, f) for _s, a, f in gens))
        for seq, a, f in gens:
            # ▲ the youngest generation (max_seq), ▼ the oldest (where eviction takes pages)
            label = f"{seq}" + ("▲" if seq == max_seq else "▼" if seq == min(
                min_anon, min_file) else "")
            head.append(pad(label, col), "bold" if seq == max_seq else dim)
            for line, n, lo, cls in ((anon, a, min_anon, "rc--anon"),
                                     (file, f, min_file, "rc--file")):
                if seq < lo:
                    line.append(pad("x", col), dim)
                    continue
                cells = max(0, col - 8)
                bar = "█" * (n * cells // top) if n else ""
                line.append(f"{n:>7,} ", "")
                line.append(pad(bar, cells), st(cls))
        return [head, anon, file]
