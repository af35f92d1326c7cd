"""The OOM killer (mm/oom_kill.c, Linux 5.4).

When reclaim cannot free a page, out_of_memory() scores every process with
oom_badness() (resident pages + swap entries + page tables, shifted by
oom_score_adj), select_bad_process() takes the highest, and
oom_kill_process() sends it SIGKILL. The faulting task itself may be the
victim: its fault then ends in SIGKILL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vmtui.engine.include.layout import PAGE_SHIFT, PAGE_SIZE
from vmtui.engine.include.mmzone import ZONE_MOVABLE
from vmtui.engine.kernel import fork
from vmtui.engine.mm import kswapd, mempolicy

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine, Task
    from vmtui.engine.include.mmzone import Zone

F = "mm/oom_kill.c"
OOM_SCORE_ADJ_MIN = -1000
KB = PAGE_SIZE >> 10


def oom_badness(m: Machine, task: Task, totalpages: int) -> int:
    """oom_badness(): rss + swap entries + page-table pages, plus oom_score_adj in
    thousandths of the memory the allocation may use; 0 means unkillable."""
    if not task.alive:
        return 0
    adj = task.oom_score_adj
    if adj == OOM_SCORE_ADJ_MIN:
        return 0
    mm = task.mm
    points = mm.rss_anon + mm.rss_file + mm.rss_shmem + mm.rss_swap + \
        mm.pgtables_bytes // PAGE_SIZE
    points += adj * (totalpages // 1000)
    return points if points > 0 else 1


def constrained_totalpages(m: Machine, nodemask: list[int] | None) -> tuple[str, int]:
    """constrained_alloc(): all of RAM and swap, or only the bound nodes' RAM (MPOL_BIND)."""
    swap = m.swap.total()
    if nodemask is not None and len(set(nodemask)) < len(m.mem.nodes):
        ram = sum(m.mem.nodes[n].pages for n in set(nodemask))
        return "CONSTRAINT_MEMORY_POLICY", ram + swap
    return "CONSTRAINT_NONE", m.mem.totalram + swap


def _eligible(task: Task, nodemask: list[int] | None) -> bool:
    """oom_cpuset_eligible() -> mempolicy_nodemask_intersects(): under a memory-policy
    constraint, a task bound or interleaved elsewhere holds nothing the allocation wants."""
    pol = task.mempolicy
    if nodemask is None or not isinstance(pol, mempolicy.MemPolicy):
        return True
    if pol.mode in (mempolicy.MPOL_BIND, mempolicy.MPOL_INTERLEAVE):
        return bool(set(pol.nodes) & set(nodemask))
    return True


def select_bad_process(m: Machine, totalpages: int, nodemask: list[int] | None = None
                       ) -> tuple[Task | None, int, list[str]]:
    """select_bad_process(): the process with the highest badness (on a tie, the later one,
    as oom_evaluate_task() keeps walking). Returns it, its points and the scores."""
    chosen: Task | None = None
    chosen_points = 0
    scores = []
    for task in m.tasks.values():
        if not task.alive or not _eligible(task, nodemask):
            continue
        points = oom_badness(m, task, totalpages)
        mm = task.mm
        scores.append(f"{task.pid} ({task.comm}) {points} = rss "
                      f"{mm.rss_anon + mm.rss_file + mm.rss_shmem} + swap {mm.rss_swap} + "
                      f"page tables {mm.pgtables_bytes // PAGE_SIZE}"
                      + (f" {task.oom_score_adj:+d} adj" if task.oom_score_adj else ""))
        if points == 0 or points < chosen_points:
            continue
        chosen, chosen_points = task, points
    return chosen, chosen_points, scores


def _force_emit(m: Machine, fn: str, text: str, **data: object) -> None:
    """The OOM killer's messages are always shown, even inside a muted bulk access."""
    log = m.log
    muted, log.muted = log.muted, 0
    try:
        log.emit(fn, F, text, **data)
    finally:
        log.muted = muted


def out_of_memory(m: Machine, zonelist: list[Zone], task: Task | None,
                  nodemask: list[int] | None = None, highest_zone: int = ZONE_MOVABLE
                  ) -> Task | None:
    """out_of_memory(): pick the worst process and kill it. Returns the victim, or None
    when nothing is killable. A victim that is the allocating task is not torn down here:
    it is marked, may use the reserves, and dies when the SIGKILL is delivered."""
    me = task if task is not None else (m.tasks.get(m.current_pid) if m.tasks else None)
    constraint, totalpages = constrained_totalpages(m, nodemask)
    gfp = "0x100cca(GFP_HIGHUSER_MOVABLE)" if highest_zone == ZONE_MOVABLE else \
        "0xcc0(GFP_KERNEL)"
    who = f"{me.comm}" if me is not None else "the kernel"
    _force_emit(m, "out_of_memory", f"{who} invoked oom-killer: gfp_mask={gfp}, order=0, "
                f"oom_score_adj={me.oom_score_adj if me is not None else 0} "
                f"({constraint}, {totalpages} pages of RAM and swap)")
    drv = kswapd.driver(m)
    constrained = nodemask if constraint == "CONSTRAINT_MEMORY_POLICY" else None
    victim, points, scores = select_bad_process(m, totalpages, constrained)
    _force_emit(m, "select_bad_process", "oom_badness of each process: " + "; ".join(scores)
                if scores else "no process to score")
    if victim is None:
        _force_emit(m, "out_of_memory", "Out of memory and no killable processes...")
        return None
    if victim.pid in drv.oom_pending:
        return victim  # already dying: wait for it (oom_evaluate_task's abort)
    oom_kill_process(m, victim, points, totalpages, victim is me)
    return victim


def oom_kill_process(m: Machine, victim: Task, points: int, totalpages: int,
                     is_current: bool) -> None:
    """oom_kill_process() -> __oom_kill_process(): SIGKILL to the victim; its memory is
    freed when it exits (at once for another process, on the way out for the current one)."""
    mm = victim.mm
    free_before = sum(z.nr_free for z in m.mem.zones)
    m.count("oom_kill")
    why = (f"oom_badness {points} (of {totalpages} pages of RAM+swap): rss "
           f"{mm.rss_anon + mm.rss_file + mm.rss_shmem} page(s), swap {mm.rss_swap}, "
           f"page tables {mm.pgtables_bytes // PAGE_SIZE}")
    _force_emit(m, "oom_kill_process",
                f"Out of memory: Killed process {victim.pid} ({victim.comm}) "
                f"total-vm:{mm.total_vm * KB}kB, anon-rss:{mm.rss_anon * KB}kB, "
                f"file-rss:{mm.rss_file * KB}kB, shmem-rss:{mm.rss_shmem * KB}kB, UID:0 "
                f"pgtables:{mm.pgtables_bytes >> 10}kB oom_score_adj:{victim.oom_score_adj}"
                f" - the highest {why}", pid=victim.pid, points=points)
    m.oom_victims.append((victim.pid, victim.comm, why))
    drv = kswapd.driver(m)
    if is_current:
        drv.oom_pending.append(victim.pid)
        _force_emit(m, "oom_kill_process", f"task {victim.pid} is the one allocating: SIGKILL "
                    "is queued; it may use the memory reserves until it exits")
        return
    fork.do_exit(m, victim, "SIGKILL")
    freed = sum(z.nr_free for z in m.mem.zones) - free_before
    _force_emit(m, "oom_reaper", f"reaped process {victim.pid} ({victim.comm}): {freed} "
                f"page(s) ({(freed << PAGE_SHIFT) >> 10}kB) back to the buddy allocator, "
                f"{mm.rss_swap} swap slot(s) freed", pid=victim.pid, freed=freed)


def deliver_pending(m: Machine) -> None:
    """Return to user mode: a queued OOM SIGKILL kills its task now."""
    drv = m.reclaim_hook
    if not isinstance(drv, kswapd.ReclaimDriver) or not drv.oom_pending:
        return
    pids, drv.oom_pending = drv.oom_pending, []
    for pid in pids:
        task = m.tasks.get(pid)
        if task is None or not task.alive:
            continue
        m.log.emit("force_sig", "kernel/signal.c", f"SIGKILL (from the OOM killer) to task "
                   f"{pid}: it exits on its way back to user mode")
        fork.do_exit(m, task, "SIGKILL")
    if m.tasks and not m.tasks[m.current_pid].alive:
        live = m.live_tasks()
        if live:
            dead = m.tasks[m.current_pid]
            parent = m.tasks.get(dead.ppid)
            m.current_pid = parent.pid if parent is not None and parent.alive else live[0].pid
            m.log.emit("schedule", "kernel/sched/core.c", f"task {m.current_pid} runs now")
