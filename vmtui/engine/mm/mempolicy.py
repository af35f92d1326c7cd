"""NUMA memory policies (mm/mempolicy.c): local, bind, interleave, preferred.

set_mempolicy(2) gives a task a policy; alloc_page_vma() asks it which node
to try first (and which nodes are allowed at all, for bind).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from vmtui.engine.include.errors import KernelError
from vmtui.engine.include.mmzone import ZONE_MOVABLE, Page
from vmtui.engine.mm import kswapd, page_alloc

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine, Task
    from vmtui.engine.include.mm_types import VmArea

MPOL_DEFAULT, MPOL_PREFERRED, MPOL_BIND, MPOL_INTERLEAVE, MPOL_LOCAL = range(5)
MODE_NAMES = {MPOL_DEFAULT: "default", MPOL_PREFERRED: "preferred", MPOL_BIND: "bind",
              MPOL_INTERLEAVE: "interleave", MPOL_LOCAL: "local"}


@dataclass(frozen=True)
class MemPolicy:
    """struct mempolicy: a mode and its nodes."""

    mode: int
    nodes: tuple[int, ...] = ()

    def text(self) -> str:
        name = MODE_NAMES[self.mode]
        return f"{name}={','.join(map(str, self.nodes))}" if self.nodes else name


def parse_policy(m: Machine, spec: str) -> MemPolicy | None:
    """`local`, `default`, `interleave=0,1`, `bind=1`, `preferred=1` -> a policy."""
    spec = spec.strip()
    name, _, nodes_s = spec.partition("=")
    modes = {"default": MPOL_DEFAULT, "local": MPOL_LOCAL, "interleave": MPOL_INTERLEAVE,
             "bind": MPOL_BIND, "preferred": MPOL_PREFERRED}
    if name not in modes:
        raise KernelError("EINVAL", f"unknown policy {name!r}; expected local, interleave=N,M, "
                          "bind=N, preferred=N")
    mode = modes[name]
    nodes: tuple[int, ...] = ()
    if nodes_s:
        try:
            nodes = tuple(sorted({int(x) for x in nodes_s.split(",") if x.strip()}))
        except ValueError:
            raise KernelError("EINVAL", f"bad node list {nodes_s!r}") from None
    if mode in (MPOL_INTERLEAVE, MPOL_BIND, MPOL_PREFERRED) and not nodes:
        raise KernelError("EINVAL", f"{name} needs nodes, e.g. {name}=0,1")
    for n in nodes:
        if not 0 <= n < len(m.mem.nodes):
            raise KernelError("EINVAL", f"no node {n} (this machine has "
                              f"{len(m.mem.nodes)} node(s))")
    if mode == MPOL_DEFAULT:
        return None
    if mode == MPOL_PREFERRED and len(nodes) != 1:
        raise KernelError("EINVAL", "preferred takes exactly one node")
    return MemPolicy(mode, nodes)


def do_set_mempolicy(m: Machine, task: Task, spec: str) -> None:
    """do_set_mempolicy(): the task's policy for its future allocations."""
    pol = parse_policy(m, spec)
    task.mempolicy = pol
    task.il_next = pol.nodes[0] if pol and pol.mode == MPOL_INTERLEAVE else 0
    m.log.emit("do_set_mempolicy", "mm/mempolicy.c",
               f"task {task.pid} policy is now {pol.text() if pol else 'default (local)'}")


def interleave_nodes(task: Task, pol: MemPolicy) -> int:
    """interleave_nodes(): the node whose turn it is (task->il_prev in 5.4). The turn
    passes when a page has been allocated there (interleave_advance), so asking twice
    for the same page gives the same node."""
    nodes = pol.nodes
    nid = task.il_next
    if nid not in nodes:
        nid = nodes[0]
    return nid


def interleave_advance(task: Task, nid: int) -> None:
    """A page went to `nid` under the task's interleave policy: the next node's turn."""
    pol = task.mempolicy
    if isinstance(pol, MemPolicy) and pol.mode == MPOL_INTERLEAVE and nid in pol.nodes:
        task.il_next = pol.nodes[(pol.nodes.index(nid) + 1) % len(pol.nodes)]


def policy_node(m: Machine, task: Task, vma: VmArea | None, addr: int
                ) -> tuple[int, list[int] | None, int | None]:
    """alloc_page_vma(): (first node to try, nodemask or None, intended interleave node).

    The PTE of (vma, addr) is about to be filled with the page: reclaim during this
    allocation leaves it alone (kswapd.note_fault).
    """
    kswapd.note_fault(m, vma, addr)
    pol = (vma.vm_policy if vma is not None and vma.vm_policy is not None else None) or \
        task.mempolicy
    if pol is None or pol.mode == MPOL_LOCAL:
        return task.node, None, None
    if pol.mode == MPOL_INTERLEAVE:
        if vma is not None and vma.vm_policy is not None:
            # interleave_nid(): by offset in the VMA, so a page's node does not depend on order
            off = vma.vm_pgoff + ((addr - vma.vm_start) >> 12)
            nid = pol.nodes[off % len(pol.nodes)]
        else:
            nid = interleave_nodes(task, pol)
        return nid, None, nid
    if pol.mode == MPOL_PREFERRED:
        return pol.nodes[0], None, None
    # MPOL_BIND: only these nodes; the nearest of them to the CPU first
    nodes = sorted(pol.nodes, key=lambda n: (m.mem.distances[task.node][n], n))
    return nodes[0], list(pol.nodes), None


def alloc_page_vma(m: Machine, task: Task, vma: VmArea | None, addr: int) -> Page:
    """alloc_page_vma(): a movable user page on the node the memory policy picks."""
    nid, nodemask, preferred = policy_node(m, task, vma, addr)
    return page_alloc.alloc_pages(m, nid, ZONE_MOVABLE, nodemask, task, preferred)
