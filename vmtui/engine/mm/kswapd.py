"""The kswapd kernel threads (mm/vmscan.c kswapd(), kswapd_run()): one real thread per node.

`kswapd0`, `kswapd1`, ... are daemon `threading.Thread`s, started the first
time their node needs them. The engine hands a wake-up to a thread and waits
until it has finished balance_pgdat and gone back to sleep, so exactly one
thread runs engine code at any time and a scenario gives the same trace on
every run. A UI thread may read `node.kswapd` (vmscan.KswapdState) while a
long step runs and see kswapd working.

The threads are not part of the machine's state: they hang off
`Machine.reclaim_hook`, which pickling drops; after unpickling they are made
again when first needed, and they end when their machine is collected.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

from vmtui.engine.mm import vmscan

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine
    from vmtui.engine.include.mm_types import VmArea
    from vmtui.engine.include.mmzone import Node


class _Kthread:
    """One kernel thread: sleeps on its wait queue until work is handed to it."""

    def __init__(self, name: str) -> None:
        self.cond = threading.Condition()
        self.job: Callable[[], None] | None = None
        self.done = True
        self.error: BaseException | None = None
        self.stopping = False
        self.thread = threading.Thread(target=_kthread_main, args=(self,), name=name,
                                       daemon=True)
        self.thread.start()

    def run(self, job: Callable[[], None]) -> None:
        """Wake the thread with `job` and wait until it is done; its exception is ours."""
        if threading.current_thread() is self.thread:
            job()
            return
        with self.cond:
            self.job = job
            self.done = False
            self.error = None
            self.cond.notify_all()
            while not self.done:
                self.cond.wait()
            err, self.error = self.error, None
        if err is not None:
            raise err

    def stop(self) -> None:
        with self.cond:
            self.stopping = True
            self.cond.notify_all()


def _kthread_main(kt: _Kthread) -> None:
    """The thread's body: the kswapd() loop of waiting and running."""
    while True:
        with kt.cond:
            while kt.job is None and not kt.stopping:
                kt.cond.wait()
            if kt.stopping:
                return
            job = kt.job
        err: BaseException | None = None
        try:
            assert job is not None
            job()
        except BaseException as e:  # handed back to the waiting engine thread
            err = e
        job = None
        with kt.cond:
            kt.job = None
            kt.error = err
            kt.done = True
            kt.cond.notify_all()


def _stop_all(threads: dict[int, _Kthread]) -> None:
    for kt in threads.values():
        kt.stop()


class ReclaimDriver:
    """What reclaim keeps outside the machine's state: the kswapd threads, the page-table
    entry a fault in flight is filling, and OOM kills waiting to be delivered."""

    def __init__(self) -> None:
        self.kthreads: dict[int, _Kthread] = {}
        self.fault_pte: tuple[int, int] | None = None  # (id(mm), address)
        self.oom_pending: list[int] = []  # PIDs with a SIGKILL from the OOM killer queued
        # direct reclaim during the current step, while bulk work muted its events:
        # [stalls, pages scanned, pages reclaimed]
        self.step_direct = [0, 0, 0]
        weakref.finalize(self, _stop_all, self.kthreads)

    def kthread(self, nid: int) -> _Kthread:
        kt = self.kthreads.get(nid)
        if kt is None or not kt.thread.is_alive():
            kt = self.kthreads[nid] = _Kthread(f"kswapd{nid}")
        return kt


def driver(m: Machine) -> ReclaimDriver:
    """The machine's driver, made on first use (and again after unpickling)."""
    drv = m.reclaim_hook
    if isinstance(drv, ReclaimDriver):
        return drv
    new = ReclaimDriver()
    m.reclaim_hook = new
    return new


def run_kswapd(m: Machine, node: Node) -> None:
    """Hand the node's wake-up to its kswapd thread and wait for it to sleep again."""
    driver(m).kthread(node.id).run(lambda: vmscan.kswapd_work(m, node))


def thread_names(m: Machine) -> list[str]:
    """The names of the kswapd threads running for this machine."""
    drv = m.reclaim_hook
    if not isinstance(drv, ReclaimDriver):
        return []
    return [kt.thread.name for _, kt in sorted(drv.kthreads.items()) if kt.thread.is_alive()]


def note_fault(m: Machine, vma: VmArea | None, addr: int) -> None:
    """alloc_page_vma() is filling the PTE of (vma, addr): reclaim must leave that PTE
    alone until the fault has finished with it (the kernel's page-table lock)."""
    drv = driver(m)
    drv.fault_pte = (id(vma.vm_mm), addr & ~0xFFF) if vma is not None else None


def fault_pte(m: Machine) -> tuple[int, int] | None:
    drv = m.reclaim_hook
    return drv.fault_pte if isinstance(drv, ReclaimDriver) else None


def clear_fault_pte(m: Machine) -> None:
    drv = m.reclaim_hook
    if isinstance(drv, ReclaimDriver):
        drv.fault_pte = None
