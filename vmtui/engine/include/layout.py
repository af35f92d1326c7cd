"""Address-space layouts, as arch/x86/mm/mmap.c and asm/page_*.h lay them out.

x86-64 with 4-level paging (48-bit, 128 TiB user half), 5-level (57-bit,
64 PiB user half) and i386 (3G/1G split). `mmap_base()` mirrors the kernel's
function of the same name: the mmap area starts below the stack rlimit plus
the stack guard gap (at least 128 MiB), minus the random offset under ASLR.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

PAGE_SHIFT = 12
PAGE_SIZE = 1 << PAGE_SHIFT
KB_PER_PAGE = PAGE_SIZE >> 10
PMD_SIZE = 1 << 21  # what one x86-64 PMD entry maps
PAGE_MASK = ~(PAGE_SIZE - 1)
SIZE_128M = 128 << 20
STACK_GUARD_GAP = 256 << PAGE_SHIFT  # mm/mmap.c: stack_guard_gap = 256 pages
RLIMIT_STACK = 8 << 20  # the usual `ulimit -s` of 8 MiB


def page_align(x: int) -> int:
    """PAGE_ALIGN(): round up to a page boundary."""
    return (x + PAGE_SIZE - 1) & PAGE_MASK


@dataclass(frozen=True, slots=True)
class Layout:
    """One architecture's virtual address space and paging geometry."""

    arch: str
    va_bits: int  # width of a virtual address the MMU translates
    levels: int  # page-table levels
    level_names: tuple[str, ...]  # top first, e.g. ("PGD", "PUD", "PMD", "PTE")
    level_bits: tuple[int, ...]  # index bits per level, top first
    task_size: int  # TASK_SIZE: first address above the user half
    kernel_start: int  # first address of the kernel half
    addr_top: int  # one past the highest address (1 << 64 or 1 << 32)
    pte_bytes: int  # size of one table entry
    stack_rnd_mask: int  # STACK_RND_MASK: stack randomisation in pages
    mmap_rnd_bits: int  # mmap_rnd_bits: ASLR bits for the mmap base
    elf_et_dyn_base: int  # where a PIE binary is loaded without ASLR
    vsyscall: bool  # the legacy [vsyscall] page at 0xffffffffff600000

    def canonical(self, addr: int) -> bool:
        """Is `addr` canonical (bits above va_bits copy the top bit)?"""
        if self.addr_top == 1 << 32:
            return 0 <= addr < 1 << 32
        top = addr >> (self.va_bits - 1)
        return top == 0 or top == (1 << (65 - self.va_bits)) - 1

    def is_kernel(self, addr: int) -> bool:
        """fault_in_kernel_space(): is `addr` in the kernel half?"""
        return addr >= self.task_size

    def index_bits(self, addr: int) -> list[tuple[str, int, int, int]]:
        """Split `addr` into (level, index, high bit, low bit) per level, top first."""
        out = []
        shift = PAGE_SHIFT + sum(self.level_bits)
        for name, bits in zip(self.level_names, self.level_bits, strict=True):
            shift -= bits
            out.append((name, (addr >> shift) & ((1 << bits) - 1), shift + bits - 1, shift))
        return out

    def level_shift(self, level: int) -> int:
        """Shift of the address bits that index table `level` (0 = top)."""
        return PAGE_SHIFT + sum(self.level_bits[level + 1:])

    def mmap_base(self, rnd: int, rlim_stack: int = RLIMIT_STACK, randomize: bool = False) -> int:
        """mmap_base(): top of the mmap area, below the stack gap (arch/x86/mm/mmap.c),
        computed from task_size_64bit(0), i.e. the default map window."""
        gap = rlim_stack
        pad = STACK_GUARD_GAP + ((self.stack_rnd_mask << PAGE_SHIFT) if randomize else 0)
        gap += pad
        gap_min = SIZE_128M
        window = self.map_window
        gap_max = (window // 6) * 5
        gap = min(max(gap, gap_min), gap_max)
        return page_align(window - gap - rnd)

    def arch_mmap_rnd(self, rng: random.Random) -> int:
        """arch_rnd(): the random offset of the mmap base under ASLR."""
        return (rng.getrandbits(self.mmap_rnd_bits)) << PAGE_SHIFT

    def stack_rnd(self, rng: random.Random) -> int:
        """randomize_stack_top(): the random offset of the stack top under ASLR."""
        return (rng.getrandbits(32) & self.stack_rnd_mask) << PAGE_SHIFT

    def regions(self) -> list[tuple[int, int, str]]:
        """The big fixed regions of the whole address space, low to high."""
        if self.addr_top == 1 << 32:
            return [(0, self.task_size, "user"), (self.kernel_start, self.addr_top, "kernel")]
        return [
            (0, self.task_size, "user"),
            (self.task_size, 1 << (self.va_bits - 1), "guard page below the hole"),
            (1 << (self.va_bits - 1), self.kernel_start, "non-canonical hole"),
            (self.kernel_start, self.addr_top, "kernel"),
        ]

    def kernel_regions(self) -> list[tuple[int, int, str]]:
        """The kernel half's map (Documentation/x86/x86_64/mm.rst for 5.4)."""
        if self.arch == "i386":
            return [
                (0xC0000000, 0xF8000000, "direct map (lowmem)"),
                (0xF8800000, 0xFF800000, "vmalloc"),
                (0xFFA00000, 0xFFC00000, "fixmap / kmap"),
            ]
        if self.levels == 5:
            return [
                (0xFF11000000000000, 0xFF91000000000000, "direct map of all physical memory"),
                (0xFFA0000000000000, 0xFFD2000000000000, "vmalloc/ioremap space"),
                (0xFFD4000000000000, 0xFFD6000000000000, "virtual memory map (struct page)"),
                (0xFFFFFFFF80000000, 0xFFFFFFFFA0000000, "kernel text"),
                (0xFFFFFFFFA0000000, 0xFFFFFFFFFF5FF000, "modules"),
            ]
        return [
            (0xFFFF888000000000, 0xFFFFC88000000000, "direct map of all physical memory"),
            (0xFFFFC90000000000, 0xFFFFE90000000000, "vmalloc/ioremap space"),
            (0xFFFFEA0000000000, 0xFFFFEB0000000000, "virtual memory map (struct page)"),
            (0xFFFFFFFF80000000, 0xFFFFFFFFA0000000, "kernel text"),
            (0xFFFFFFFFA0000000, 0xFFFFFFFFFF5FF000, "modules"),
        ]

    @property
    def map_window(self) -> int:
        """DEFAULT_MAP_WINDOW: 5-level paging keeps user mappings below 128 TiB unless a
        hint above asks for more (arch/x86/include/asm/processor.h)."""
        if self.levels == 5:
            return (1 << 47) - PAGE_SIZE
        return self.task_size

    @property
    def has_nx(self) -> bool:
        """Is there an NX bit? Not in i386's 32-bit (non-PAE) page-table entries."""
        return self.pte_bytes == 8

    @property
    def user_pgtables_ceiling(self) -> int:
        """USER_PGTABLES_CEILING: page tables of the user half may be freed up to here."""
        if self.addr_top == 1 << 32:
            return self.task_size
        return 1 << (self.va_bits - 1)

    @property
    def vmalloc_start(self) -> int:
        for lo, _hi, name in self.kernel_regions():
            if name.startswith("vmalloc"):
                return lo
        raise AssertionError("no vmalloc region")

    @property
    def direct_map(self) -> int:
        """PAGE_OFFSET: where all physical memory is mapped in the kernel half."""
        return self.kernel_regions()[0][0]


X86_64 = Layout(
    arch="x86_64", va_bits=48, levels=4, level_names=("PGD", "PUD", "PMD", "PTE"),
    level_bits=(9, 9, 9, 9), task_size=(1 << 47) - PAGE_SIZE,
    kernel_start=0xFFFF800000000000, addr_top=1 << 64, pte_bytes=8,
    stack_rnd_mask=0x3FFFFF, mmap_rnd_bits=28, elf_et_dyn_base=0x555555554AAA & PAGE_MASK,
    vsyscall=True,
)
X86_64_5LEVEL = Layout(
    arch="x86_64-5level", va_bits=57, levels=5, level_names=("PGD", "P4D", "PUD", "PMD", "PTE"),
    level_bits=(9, 9, 9, 9, 9), task_size=(1 << 56) - PAGE_SIZE,
    kernel_start=0xFF00000000000000, addr_top=1 << 64, pte_bytes=8,
    stack_rnd_mask=0x3FFFFF, mmap_rnd_bits=28, elf_et_dyn_base=0x555555554AAA & PAGE_MASK,
    vsyscall=True,
)
I386 = Layout(
    arch="i386", va_bits=32, levels=2, level_names=("PGD", "PTE"),
    level_bits=(10, 10), task_size=0xC0000000,
    kernel_start=0xC0000000, addr_top=1 << 32, pte_bytes=4,
    stack_rnd_mask=0x7FF, mmap_rnd_bits=8, elf_et_dyn_base=0x56555000,
    vsyscall=False,
)

LAYOUTS = {lay.arch: lay for lay in (X86_64, X86_64_5LEVEL, I386)}


def layout_for(arch: str) -> Layout:
    """The layout of `arch` (x86_64, x86_64-5level, i386); KeyError names the choices."""
    try:
        return LAYOUTS[arch]
    except KeyError:
        raise KeyError(f"unknown arch {arch!r}: expected one of {', '.join(LAYOUTS)}") from None
