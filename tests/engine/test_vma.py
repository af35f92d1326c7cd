"""vma_merge and split_vma on the state layer alone (include/ + mm/vma.py), no booted machine,
as the kernel's tools/testing/vma tests mm/vma.c. Expected shapes are the cases of the
comment above 5.4's vma_merge() (mm/mmap.c), worked by hand:

    case 1: PPPP....NNNN -> PPPPPPPPPPPP      case 2: PPPP....      -> PPPPPPPP
    case 3: ....NNNN     -> NNNNNNNN          (new range in the dots; pgoff of N moves back)
"""

from __future__ import annotations

import pytest

from vmtui.engine.include.errors import KernelError
from vmtui.engine.include.fs import File
from vmtui.engine.include.machine import Machine
from vmtui.engine.include.mm_types import (
    VM_IO,
    VM_MAYREAD,
    VM_MAYWRITE,
    VM_READ,
    VM_WRITE,
    MmStruct,
    VmArea,
)
from vmtui.engine.mm import vma as vma_ops

RW = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE
RO = VM_READ | VM_MAYREAD | VM_MAYWRITE
K = 0x1000  # one page


@pytest.fixture
def m() -> Machine:
    return Machine()  # fields only: no kernel mapped, no process


@pytest.fixture
def mm() -> MmStruct:
    return MmStruct(1 << 47)


def add(mm: MmStruct, start: int, end: int, flags: int = RW, pgoff: int | None = None,
        file: File | None = None) -> VmArea:
    vma = VmArea(mm, start, end, flags, start // K if pgoff is None else pgoff, file)
    if file is not None:
        file.i_mmap[vma] = None
    mm.vmas.link(vma)
    return vma


def shape(mm: MmStruct) -> list[tuple[int, int, int]]:
    """(start, end, pgoff) of every VMA, by the list links and by the index alike."""
    by_list = []
    vma = mm.vmas.first()
    while vma is not None:
        by_list.append((vma.vm_start, vma.vm_end, vma.vm_pgoff))
        vma = vma.vm_next
    assert by_list == [(v.vm_start, v.vm_end, v.vm_pgoff) for v in mm.vmas]
    mm.vmas.check()
    return by_list


def test_case_1_prev_range_and_next_become_one(m, mm):
    prev = add(mm, 1 * K, 3 * K)
    add(mm, 5 * K, 7 * K)
    got = vma_ops.vma_merge(m, mm, prev, 3 * K, 5 * K, RW, None, None, 3, None)
    assert got is prev
    assert shape(mm) == [(1 * K, 7 * K, 1)]
    assert mm.map_count == 1


def test_case_2_prev_grows_over_the_range(m, mm):
    prev = add(mm, 1 * K, 3 * K)
    add(mm, 9 * K, 10 * K)
    got = vma_ops.vma_merge(m, mm, prev, 3 * K, 5 * K, RW, None, None, 3, None)
    assert got is prev
    assert shape(mm) == [(1 * K, 5 * K, 1), (9 * K, 10 * K, 9)]


def test_case_3_next_grows_down_and_its_pgoff_moves_back(m, mm):
    prev = add(mm, 1 * K, 2 * K)
    nxt = add(mm, 5 * K, 7 * K)
    got = vma_ops.vma_merge(m, mm, prev, 3 * K, 5 * K, RW, None, None, 3, None)
    assert got is nxt
    assert shape(mm) == [(1 * K, 2 * K, 1), (3 * K, 7 * K, 3)]


def test_different_flags_do_not_merge(m, mm):
    prev = add(mm, 1 * K, 3 * K)
    add(mm, 5 * K, 7 * K)
    assert vma_ops.vma_merge(m, mm, prev, 3 * K, 5 * K, RO, None, None, 3, None) is None
    assert shape(mm) == [(1 * K, 3 * K, 1), (5 * K, 7 * K, 5)]


def test_special_mappings_never_merge(m, mm):
    prev = add(mm, 1 * K, 3 * K, RW | VM_IO)
    assert vma_ops.vma_merge(m, mm, prev, 3 * K, 5 * K, RW | VM_IO, None, None, 3, None) is None


def test_a_file_mapping_merges_only_where_the_file_offsets_follow_on(m, mm):
    f = File("/data", 64 * K, 1001, "08:01", False)
    prev = add(mm, 1 * K, 3 * K, RW, pgoff=0, file=f)  # file pages 0, 1
    # pages 3.. of the file after pages 0, 1: a hole in the file, no merge
    assert vma_ops.vma_merge(m, mm, prev, 3 * K, 5 * K, RW, None, f, 3, None) is None
    # pages 2, 3 follow on: prev grows
    assert vma_ops.vma_merge(m, mm, prev, 3 * K, 5 * K, RW, None, f, 2, None) is prev
    assert shape(mm) == [(1 * K, 5 * K, 0)]
    # another file never merges
    g = File("/other", 64 * K, 1002, "08:01", False)
    assert vma_ops.vma_merge(m, mm, prev, 5 * K, 6 * K, RW, None, g, 4, None) is None


def test_split_above_keeps_the_lower_part_and_moves_the_pgoff_of_the_upper(m, mm):
    vma = add(mm, 1 * K, 4 * K, pgoff=10)
    new = vma_ops.split_vma(m, mm, vma, 2 * K, new_below=False)
    assert (vma.vm_start, vma.vm_end, vma.vm_pgoff) == (1 * K, 2 * K, 10)
    assert (new.vm_start, new.vm_end, new.vm_pgoff) == (2 * K, 4 * K, 11)
    assert shape(mm) == [(1 * K, 2 * K, 10), (2 * K, 4 * K, 11)]


def test_split_below_makes_the_lower_part_new(m, mm):
    vma = add(mm, 1 * K, 4 * K, pgoff=10)
    new = vma_ops.split_vma(m, mm, vma, 3 * K, new_below=True)
    assert (new.vm_start, new.vm_end, new.vm_pgoff) == (1 * K, 3 * K, 10)
    assert (vma.vm_start, vma.vm_end, vma.vm_pgoff) == (3 * K, 4 * K, 12)
    assert shape(mm) == [(1 * K, 3 * K, 10), (3 * K, 4 * K, 12)]


def test_split_refuses_at_max_map_count(m, mm):
    m.sysctl["vm.max_map_count"] = 2
    add(mm, 1 * K, 2 * K)
    vma = add(mm, 3 * K, 6 * K)
    with pytest.raises(KernelError) as e:
        vma_ops.split_vma(m, mm, vma, 4 * K, new_below=False)
    assert e.value.errno == "ENOMEM"
    # __split_vma() (munmap's) may go one over for a moment
    vma_ops.split_vma(m, mm, vma, 4 * K, new_below=False, check_count=False)
    assert mm.map_count == 3
