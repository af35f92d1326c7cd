"""`show mt`: mm->mm_mt printed as lib/maple_tree.c's mt_dump(mt, mt_dump_hex) prints it.

Expected values worked by hand from the kernel source:

- mt_dump(): "maple_tree(%px) flags %X, height %u root %px"; the mm's flags are
  MM_MT_FLAGS = MT_FLAGS_ALLOC_RANGE 0x01 | MT_FLAGS_USE_RCU 0x02 | MT_FLAGS_LOCK_EXTERN
  0x300, with the height at MT_FLAGS_HEIGHT_OFFSET (bit 2): height 1 gives 0x307. The
  root pointer is mte_mk_root(mt_mk_node(node, maple_leaf_64)): the node's address |
  1 << 3 (the type) | 0x04 (MAPLE_ENODE_NULL) | 0x02 (MAPLE_ROOT_NODE).
- mt_dump_node(): mt_dump_range() ("%lx-%lx: " after depth * 2 spaces), then
  "node %px depth %d type %d parent %px"; the root's parent is the tree | MA_ROOT_PARENT.
- mt_dump_range64(): " contents: ", then 15 "%px %lX " slot/pivot pairs and slot 15 as
  "%px". A leaf that ends before its last slot holds the node's maximum in the pivot
  after its data (the node limit mas_validate_limits() checks), zeros after it, and
  its metadata {end, gap} in slot 15 (struct maple_range_64's union): end | gap << 8,
  gap 0 in a leaf (mas_leaf_set_meta()).
- Then one mt_dump_entry() line per slot up to the one ending at the maximum, one
  level deeper: the range and the entry, 0000000000000000 for the NULL of a gap.

Four VMAs at 0x1000-0x2000, 0x2000-0x3000 (adjacent), 0x5000-0x6000 and
0x10000-0x11000 in an empty tree make one leaf of 8 slots: NULL, A, B, NULL, C, NULL,
D, NULL (the gaps are NULL ranges; two VMAs next to each other have no NULL between
them), end 7.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

from tests.engine.conftest import do, machine
from vmtui.engine.lib.vma_maple import MapleVmaSet
from vmtui.engine.views import teaching

PTR = re.compile(r"[0-9a-f]{16}\Z")


class Vma:
    def __init__(self, start: int, end: int) -> None:
        self.vm_start, self.vm_end, self.vm_pgoff = start, end, 0

    def start_gap(self) -> int:
        return self.vm_start

    def end_gap(self) -> int:
        return self.vm_end


def four_vmas() -> tuple[SimpleNamespace, SimpleNamespace]:
    vmas: MapleVmaSet[Vma] = MapleVmaSet()
    for start, end in ((0x1000, 0x2000), (0x2000, 0x3000), (0x5000, 0x6000),
                       (0x10000, 0x11000)):
        vmas.link(Vma(start, end))
    m = SimpleNamespace(kmodel=SimpleNamespace(name="6.18", maple_tree=True))
    task = SimpleNamespace(pid=7, mm=SimpleNamespace(vmas=vmas))
    return m, task


def test_a_leaf_root_in_the_kernel_format() -> None:
    m, task = four_vmas()
    lines = teaching.mt_text(m, task).splitlines()  # type: ignore[arg-type]
    assert lines[0] == ("mm->mm_mt of pid 7: 4 VMA(s), height 1; type 1 maple_leaf_64, "
                        "2 maple_range_64, 3 maple_arange_64")
    head = re.fullmatch(r"maple_tree\(([0-9a-f]{16})\) flags 307, height 1 root "
                        r"([0-9a-f]{16})", lines[1])
    assert head is not None
    tree, root = int(head[1], 16), int(head[2], 16)
    assert root & 0xFF == 0x0E  # maple_leaf_64 << 3 | MAPLE_ENODE_NULL | MAPLE_ROOT_NODE
    node = root & ~0xFF
    rng, rest = lines[2].split(": ", 1)
    assert rng == "0-ffffffffffffffff"
    assert rest.startswith(f"node {node:016x} depth 0 type 1 parent {tree | 1:016x} "
                           "contents: ")
    contents = rest.split(" contents: ")[1].split(" ")
    assert len(contents) == 31
    slots, pivots = contents[0:30:2] + [contents[30]], contents[1:30:2]
    assert pivots == ["FFF", "1FFF", "2FFF", "4FFF", "5FFF", "FFFF", "10FFF",
                      "FFFFFFFFFFFFFFFF"] + ["0"] * 7
    null = "0" * 16
    assert [s == null for s in slots[:8]] == [True, False, False, True, False, True, False,
                                              True]
    assert all(PTR.match(s) for s in slots)
    assert len(set(slots[i] for i in (1, 2, 4, 6))) == 4  # four vm_area_structs
    assert slots[8:15] == [null] * 7
    assert slots[15] == "0000000000000007"  # maple_metadata: end 7, gap 0
    a, b, c, d = (slots[i] for i in (1, 2, 4, 6))
    assert lines[3:] == [
        f"  0-fff: {null}", f"  1000-1fff: {a}", f"  2000-2fff: {b}", f"  3000-4fff: {null}",
        f"  5000-5fff: {c}", f"  6000-ffff: {null}", f"  10000-10fff: {d}",
        f"  11000-ffffffffffffffff: {null}"]


def test_the_dump_is_bounded() -> None:
    vmas: MapleVmaSet[Vma] = MapleVmaSet()
    for i in range(2000):  # 2000 one-page VMAs with a page between: ~250 leaves
        vmas.link(Vma(0x1000 + i * 0x2000, 0x2000 + i * 0x2000))
    m = SimpleNamespace(kmodel=SimpleNamespace(name="6.18", maple_tree=True))
    task = SimpleNamespace(pid=1, mm=SimpleNamespace(vmas=vmas))
    text = teaching.mt_text(m, task)  # type: ignore[arg-type]
    nodes = [ln for ln in text.splitlines() if " node " in ln and " depth " in ln]
    assert len(nodes) == teaching.MT_DUMP_MAX_NODES
    total = sum(1 for _ in vmas.mt.nodes())
    assert text.splitlines()[-1] == (f"... {total - teaching.MT_DUMP_MAX_NODES} more nodes "
                                     f"not shown ({total} in all)")


def test_each_kernel_names_the_other_ones_view() -> None:
    m54 = machine(ram="64M")
    res = do(m54, "show mt")
    assert res.errno == "ENOENT" and "show rbtree" in str(res.summary())
    assert do(m54, "show rbtree").ok
    m618 = machine(ram="64M", kernel="6.18")
    res = do(m618, "show rbtree")
    assert res.errno == "ENOENT" and "show mt" in str(res.summary())
    res = do(m618, "show mt")
    assert res.ok and res.text is not None
    assert re.search(r"^maple_tree\([0-9a-f]{16}\) flags 30[BF], height [23] root ",
                     res.text, re.M)


def test_6_18_struct_fields() -> None:
    m = machine(ram="64M", kernel="6.18")
    vmas = do(m, "show vmas").text or ""
    assert "vm_next" not in vmas and "vm_rb" not in vmas and "rb_subtree_gap" not in vmas
    assert "  vm_refcnt      1 " in vmas and "  vm_lock_seq    " in vmas
    mm = do(m, "show mm").text or ""
    assert "  mm_mt " in mm and "mm_rb" not in mm and "highest_vm_end" not in mm
    assert "  mmap " not in mm
    old = do(machine(ram="64M"), "show vmas").text or ""
    assert "  vm_next        " in old and "vm_refcnt" not in old
