"""A `Snapshot` of a real process, read from /proc: the main app's panes, read-only.

`build_host_snapshot(pid, view)` reads the process (host.snapshot.take_process_snapshot)
and fills the fields the panes draw from: the maps lines with RSS from smaps, the
address-space bands, /proc/PID/status figures and /proc/vmstat counters. The panes with
no real-process data (page walk, rbtree, physical frames, reclaim, TLB) get empty data
and show their own "why empty" text. Raises HostError like take_process_snapshot.
"""

from __future__ import annotations

from vmtui.host.procfs import Vma
from vmtui.host.snapshot import STATUS_FIGURES, ProcessSnapshot, take_process_snapshot
from vmtui.view.snapshot import Band, Snapshot, SwapView, TlbView, View

USER_TOP = 1 << 47
"""The top of a 4-level x86-64 user half (TASK_SIZE, rounded up to the page)."""

HOST_SCENARIO = "real process"


def _kind(v: Vma, comm_path: str) -> tuple[str, str, str]:
    """(kind, label, grows) of a real VMA for the bar, from its maps name and perms."""
    name = v.path
    if name == "[heap]":
        return "heap", "[heap]", "up"
    if name.startswith("[stack"):
        return "stack", name, "down"
    if name.startswith("["):
        return "special", name, ""
    if name:
        base = name.rsplit("/", 1)[-1]
        if name == comm_path:
            return ("text" if "x" in v.perms else "data"), f"{base} ({v.perms[:3]})", ""
        return "file", base, "down"
    return "mmap", "anon", "down"


def host_bands(vmas: list[Vma], exe: str = "") -> tuple[Band, ...]:
    """The bar, top first: the user half's VMAs (below USER_TOP) with gaps between them."""
    bands: list[Band] = []
    cursor = USER_TOP
    for v in sorted((v for v in vmas if v.end <= USER_TOP), key=lambda v: -v.start):
        kind, label, grows = _kind(v, exe)
        if cursor > v.end:
            bands.append(Band(v.end, cursor, "", "gap"))
        bands.append(Band(v.start, v.end, label, kind, 1, grows,
                          "w" in v.perms and "x" in v.perms))
        cursor = v.start
    if cursor > 0:
        bands.append(Band(0, cursor, "", "gap"))
    return tuple(bands)


def _exe(vmas: list[Vma]) -> str:
    """The program's path: the file of the first executable mapping (usually the binary)."""
    return next((v.path for v in vmas if v.path.startswith("/")), "")


def host_detail(v: Vma) -> tuple[tuple[str, str], ...]:
    """What /proc/PID/smaps says of one VMA (the vm_area_struct pane's rows)."""
    out = [
        ("vm_start", f"{v.start:#x}"),
        ("vm_end", f"{v.end:#x} ({v.pages:,} pages)"),
        ("perms", v.perms),
        ("vm_pgoff", f"{v.offset >> 12:#x}"),
        ("vm_file", v.path if v.path.startswith("/") else "NULL"),
        ("name", v.path or "(anonymous)"),
        ("VmFlags", " ".join(v.vm_flags) or "?"),
    ]
    for key in ("Rss", "Pss", "Anonymous", "Swap", "Locked"):
        if key in v.smaps:
            out.append((key, f"{v.kb(key):,} kB"))
    return tuple(out)


def snapshot_from_process(ps: ProcessSnapshot, view: View) -> Snapshot:
    """The panes' snapshot of one reading of a real process."""
    vmas = ps.vmas
    maps = [v.line for v in vmas]
    # smaps gives the RSS of every VMA at once: every row has it
    rss = {i: v.kb("Rss") // 4 for i, v in enumerate(vmas)}
    selected = view.selected if view.selected is not None and \
        0 <= view.selected < len(vmas) else None
    detail = host_detail(vmas[selected]) if selected is not None else ()
    st = ps.status
    proc = tuple((key, f"{getattr(st, attr):,} kB") for key, attr in STATUS_FIGURES
                 if key in st.raw) + (
        ("faults", f"min {ps.stat.minflt:,} maj {ps.stat.majflt:,}"),)
    vmstat = tuple(ps.vmstat.counters.items())
    comm = ps.comm
    return Snapshot(
        scenario=HOST_SCENARIO, title={"en": "read-only, from /proc", "zh": "只读，来自 /proc"},
        position=0, total=0, pid=ps.pid, pids=((ps.pid, comm, "R"),), arch="x86_64",
        do="", say={}, step_title={}, next_do="", result="", result_kind="none",
        expect=None, expect_ok=None, texts=(), events=(), maps=maps, rss=rss, proc=proc,
        touched=None, touched_index=None, selected=selected, detail=detail,
        bands=host_bands(vmas, _exe(vmas)), tree=(), tree_size=len(vmas), walk=None,
        tlb=TlbView((), 0, 0, 0, 0), nodes=(), reserved=(),
        swap=SwapView(False, 0, 0, 0, ()), vmstat=vmstat, vmstat_delta={},
        free_history=(), total_ram=0, layout=((0, USER_TOP, "user"),), host=True,
    )


def build_host_snapshot(pid: int, view: View) -> Snapshot:
    """Read `pid` now and return its snapshot (HostError when it is gone or unreadable)."""
    return snapshot_from_process(take_process_snapshot(pid), view)
