"""x86 segment descriptors and selectors as data (arch/x86/include/asm/desc_defs.h,
desc.h, segment.h; uapi/asm/ldt.h): struct desc_struct, a selector's index, TI and RPL, a
descriptor table (the GDT or an LDT), struct user_desc and fill_ldt(), and the GDT
layouts and selector values Linux 5.4 uses. The segmentation unit that reads them is
arch/x86/segment.py.
"""

from __future__ import annotations

from dataclasses import dataclass

LDT_ENTRIES = 8192  # arch/x86/include/uapi/asm/ldt.h
LDT_ENTRY_SIZE = 8
GDT_ENTRY_TLS_ENTRIES = 3
U32_MAX = 0xFFFF_FFFF
U64_MAX = 0xFFFF_FFFF_FFFF_FFFF


# x86-64: arch/x86/include/asm/segment.h (CONFIG_X86_64)
X86_64_SELECTORS: dict[str, int] = {
    "__KERNEL32_CS": 0x08,
    "__KERNEL_CS": 0x10,
    "__KERNEL_DS": 0x18,
    "__USER32_CS": 0x23,
    "__USER_DS": 0x2B,
    "__USER32_DS": 0x2B,
    "__USER_CS": 0x33,
    "__CPUNODE_SEG": 0x7B,
}

X86_64_ENTRY_NAMES: dict[int, str] = {
    1: "GDT_ENTRY_KERNEL32_CS",
    2: "GDT_ENTRY_KERNEL_CS",
    3: "GDT_ENTRY_KERNEL_DS",
    4: "GDT_ENTRY_DEFAULT_USER32_CS",
    5: "GDT_ENTRY_DEFAULT_USER_DS",
    6: "GDT_ENTRY_DEFAULT_USER_CS",
    8: "GDT_ENTRY_TSS",
    9: "GDT_ENTRY_TSS, upper half",
    10: "GDT_ENTRY_LDT",
    11: "GDT_ENTRY_LDT, upper half",
    12: "GDT_ENTRY_TLS_MIN",
    13: "GDT_ENTRY_TLS_MIN+1",
    14: "GDT_ENTRY_TLS_MAX",
    15: "GDT_ENTRY_CPUNODE",
}


# i386: arch/x86/include/asm/segment.h (CONFIG_X86_32, SMP, STACKPROTECTOR)
I386_SELECTORS: dict[str, int] = {
    "__KERNEL_CS": 0x60,
    "__KERNEL_DS": 0x68,
    "__USER_CS": 0x73,
    "__USER_DS": 0x7B,
    "__ESPFIX_SS": 0xD0,
    "__KERNEL_PERCPU": 0xD8,
    "__KERNEL_STACK_CANARY": 0xE0,
}

I386_ENTRY_NAMES: dict[int, str] = {
    6: "GDT_ENTRY_TLS_MIN (glibc's TLS)",
    7: "GDT_ENTRY_TLS_MIN+1 (Wine's %fs)",
    8: "GDT_ENTRY_TLS_MAX",
    12: "GDT_ENTRY_KERNEL_CS",
    13: "GDT_ENTRY_KERNEL_DS",
    14: "GDT_ENTRY_DEFAULT_USER_CS",
    15: "GDT_ENTRY_DEFAULT_USER_DS",
    16: "GDT_ENTRY_TSS",
    17: "GDT_ENTRY_LDT",
    18: "GDT_ENTRY_PNPBIOS_CS32",
    19: "GDT_ENTRY_PNPBIOS_CS16",
    20: "GDT_ENTRY_PNPBIOS_DS",
    21: "GDT_ENTRY_PNPBIOS_TS1",
    22: "GDT_ENTRY_PNPBIOS_TS2",
    23: "GDT_ENTRY_APMBIOS_BASE",
    24: "GDT_ENTRY_APMBIOS_BASE+1",
    25: "GDT_ENTRY_APMBIOS_BASE+2",
    26: "GDT_ENTRY_ESPFIX_SS",
    27: "GDT_ENTRY_PERCPU",
    28: "GDT_ENTRY_STACK_CANARY",
    31: "GDT_ENTRY_DOUBLEFAULT_TSS",
}

SYS_TYPES_32 = {
    0x1: "16-bit TSS (available)",
    0x2: "LDT",
    0x3: "16-bit TSS (busy)",
    0x4: "16-bit call gate",
    0x5: "task gate",
    0x6: "16-bit interrupt gate",
    0x7: "16-bit trap gate",
    0x9: "32-bit TSS (available)",
    0xB: "32-bit TSS (busy)",
    0xC: "32-bit call gate",
    0xE: "32-bit interrupt gate",
    0xF: "32-bit trap gate",
}

SYS_TYPES_64 = {
    0x2: "LDT",
    0x9: "64-bit TSS (available)",
    0xB: "64-bit TSS (busy)",
    0xC: "64-bit call gate",
    0xE: "64-bit interrupt gate",
    0xF: "64-bit trap gate",
}


def hx(v: int) -> str:
    return f"{v:#x}"


def ec_text(v: int) -> str:
    """An exception's error code as the SDM writes it: #GP(0), #GP(0x28)."""
    return "0" if v == 0 else f"{v:#x}"


@dataclass(frozen=True, slots=True)
class Descriptor:
    """One 8-byte segment descriptor: `struct desc_struct` (arch/x86/include/asm/desc_defs.h).

    `type` holds the 4 type bits: for code/data (S=1) bit 3 is code, bit 2
    conforming/expand-down, bit 1 readable/writable, bit 0 accessed.
    `limit` is the raw 20-bit field; `byte_limit` scales it by G.
    """

    base: int = 0
    limit: int = 0
    type: int = 0
    s: bool = False
    dpl: int = 0
    p: bool = False
    avl: bool = False
    l: bool = False  # noqa: E741 - the SDM's name for the 64-bit code bit
    db: bool = False
    g: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.base <= U32_MAX:
            raise ValueError(f"base {self.base:#x} does not fit in 32 bits")
        if not 0 <= self.limit <= 0xFFFFF:
            raise ValueError(f"limit {self.limit:#x} does not fit in 20 bits")
        if not 0 <= self.type <= 0xF:
            raise ValueError(f"type {self.type:#x} does not fit in 4 bits")
        if not 0 <= self.dpl <= 3:
            raise ValueError(f"DPL {self.dpl} is not 0..3")

    # -- the 8-byte format
    def encode(self) -> int:
        """The descriptor as the 64-bit little-endian quadword in the table."""
        return (
            (self.limit & 0xFFFF)
            | (self.base & 0xFFFFFF) << 16
            | self.type << 40
            | int(self.s) << 44
            | self.dpl << 45
            | int(self.p) << 47
            | (self.limit >> 16) << 48
            | int(self.avl) << 52
            | int(self.l) << 53
            | int(self.db) << 54
            | int(self.g) << 55
            | (self.base >> 24) << 56
        )

    @classmethod
    def decode(cls, raw: int) -> Descriptor:
        """Split a 64-bit table entry into its fields (every bit has one)."""
        if not 0 <= raw <= U64_MAX:
            raise ValueError(f"{raw:#x} is not a 64-bit descriptor")
        return cls(
            base=((raw >> 16) & 0xFFFFFF) | ((raw >> 56) & 0xFF) << 24,
            limit=(raw & 0xFFFF) | ((raw >> 48) & 0xF) << 16,
            type=(raw >> 40) & 0xF,
            s=bool(raw >> 44 & 1),
            dpl=(raw >> 45) & 3,
            p=bool(raw >> 47 & 1),
            avl=bool(raw >> 52 & 1),
            l=bool(raw >> 53 & 1),
            db=bool(raw >> 54 & 1),
            g=bool(raw >> 55 & 1),
        )

    @classmethod
    def from_flags(cls, flags: int, base: int, limit: int) -> Descriptor:
        """Mirror GDT_ENTRY_INIT(flags, base, limit): flags 0xc0f3 = G D/B P DPL3 S type3."""
        return cls(
            base=base,
            limit=limit,
            type=flags & 0xF,
            s=bool(flags >> 4 & 1),
            dpl=(flags >> 5) & 3,
            p=bool(flags >> 7 & 1),
            avl=bool(flags >> 12 & 1),
            l=bool(flags >> 13 & 1),
            db=bool(flags >> 14 & 1),
            g=bool(flags >> 15 & 1),
        )

    @property
    def flags(self) -> int:
        """The GDT_ENTRY_INIT() flags word that builds this descriptor."""
        return (
            int(self.g) << 15
            | int(self.db) << 14
            | int(self.l) << 13
            | int(self.avl) << 12
            | int(self.p) << 7
            | self.dpl << 5
            | int(self.s) << 4
            | self.type
        )

    # -- what the type bits mean
    @property
    def is_system(self) -> bool:
        return not self.s

    @property
    def is_code(self) -> bool:
        return self.s and bool(self.type & 8)

    @property
    def is_data(self) -> bool:
        return self.s and not self.type & 8

    @property
    def readable(self) -> bool:
        """Data is always readable; code only with the R bit."""
        return self.is_data or (self.is_code and bool(self.type & 2))

    @property
    def writable(self) -> bool:
        """Only data segments with the W bit; code is never writable."""
        return self.is_data and bool(self.type & 2)

    @property
    def conforming(self) -> bool:
        return self.is_code and bool(self.type & 4)

    @property
    def expand_down(self) -> bool:
        return self.is_data and bool(self.type & 4)

    @property
    def accessed(self) -> bool:
        return self.s and bool(self.type & 1)

    @property
    def byte_limit(self) -> int:
        """The last valid offset: the 20-bit limit, in 4 KiB units when G=1."""
        return (self.limit << 12) | 0xFFF if self.g else self.limit

    @property
    def upper_bound(self) -> int:
        """Highest offset of an expand-down segment: 0xffff (B=0) or 0xffffffff (B=1)."""
        return U32_MAX if self.db else 0xFFFF

    def type_name(self, long_mode: bool = False) -> str:
        """The type field in words, as the SDM's tables 3-1 and 3-2 name it."""
        t = self.type
        if self.s:
            if t & 8:
                parts = [
                    "code",
                    "execute/read" if t & 2 else "execute-only",
                    "conforming" if t & 4 else "non-conforming",
                ]
            else:
                parts = [
                    "data",
                    "read/write" if t & 2 else "read-only",
                    "expand-down" if t & 4 else "expand-up",
                ]
            parts.append("accessed" if t & 1 else "not accessed")
            return ", ".join(parts)
        table = SYS_TYPES_64 if long_mode else SYS_TYPES_32
        return "system: " + table.get(t, "reserved type")

    def describe(self, long_mode: bool = False) -> list[str]:
        """The fields, one line each, for a worked exercise."""
        if self.g:
            lim = f"limit {self.limit:#x}, G=1 (4 KiB units) -> last byte {self.byte_limit:#x}"
        else:
            lim = f"limit {self.limit:#x}, G=0 (bytes) -> last byte {self.byte_limit:#x}"
        return [
            f"base {self.base:#010x}, {lim}",
            f"type {self.type:#x}: {self.type_name(long_mode)}",
            f"S={int(self.s)} DPL={self.dpl} P={int(self.p)} AVL={int(self.avl)} "
            f"L={int(self.l)} D/B={int(self.db)} G={int(self.g)}",
        ]


def tssldt_descriptor(base: int, type_: int, limit: int, long_mode: bool) -> list[int]:
    """Mirror set_tssldt_descriptor() (desc.h): 16 bytes in long mode, 8 in legacy mode."""
    low = Descriptor(base=base & U32_MAX, limit=limit, type=type_, s=False, dpl=0, p=True)
    if long_mode:
        return [low.encode(), (base >> 32) & U32_MAX]
    return [low.encode()]


@dataclass(frozen=True, slots=True)
class Selector:
    """A 16-bit segment selector: index (bits 15..3), TI (bit 2), RPL (bits 1..0)."""

    value: int

    def __post_init__(self) -> None:
        if not 0 <= self.value <= 0xFFFF:
            raise ValueError(f"selector {self.value:#x} does not fit in 16 bits")

    @classmethod
    def make(cls, index: int, ti: int = 0, rpl: int = 0) -> Selector:
        """Build a selector the way segment.h does: GDT_ENTRY_x*8 + 3."""
        return cls((index << 3) | (ti & 1) << 2 | (rpl & 3))

    @property
    def index(self) -> int:
        return self.value >> 3

    @property
    def ti(self) -> int:
        return (self.value >> 2) & 1

    @property
    def rpl(self) -> int:
        return self.value & 3

    @property
    def table(self) -> str:
        return "LDT" if self.ti else "GDT"

    @property
    def is_null(self) -> bool:
        """Selectors 0..3 are null; 0x4 (LDT entry 0) is not."""
        return self.value & ~3 == 0

    @property
    def error_code(self) -> int:
        """What the CPU pushes for a fault on this selector: the RPL bits cleared."""
        return self.value & 0xFFFC

    def bits(self) -> str:
        b = f"{self.value:016b}"
        return f"{b[:13]} {b[13]} {b[14:]}b"

    def describe(self) -> str:
        return (
            f"selector {self.value:#x} = {self.bits()}: index {self.index}, "
            f"TI={self.ti} ({self.table}), RPL={self.rpl}"
        )


class DescriptorTable:
    """A GDT or an LDT as memory holds it: raw 8-byte entries at a linear `base`."""

    __slots__ = ("name", "base", "entries")

    def __init__(self, name: str, base: int, entries: list[int]) -> None:
        self.name = name
        self.base = base
        self.entries = entries

    @property
    def limit(self) -> int:
        """GDTR.limit / the LDT descriptor's limit: size in bytes minus one."""
        return len(self.entries) * LDT_ENTRY_SIZE - 1

    def __len__(self) -> int:
        return len(self.entries)

    def raw(self, index: int) -> int:
        return self.entries[index]

    def get(self, index: int) -> Descriptor:
        return Descriptor.decode(self.entries[index])

    def set(self, index: int, desc: Descriptor | int) -> None:
        """Mirror write_gdt_entry() / write_ldt_entry()."""
        self.entries[index] = desc.encode() if isinstance(desc, Descriptor) else desc

    def copy(self) -> DescriptorTable:
        return DescriptorTable(self.name, self.base, list(self.entries))


@dataclass(slots=True)
class UserDesc:
    """`struct user_desc` (arch/x86/include/uapi/asm/ldt.h), the argument of
    modify_ldt(2) and set_thread_area(2)."""

    entry_number: int
    base_addr: int = 0
    limit: int = 0
    seg_32bit: bool = True
    contents: int = 0  # 0 data, 1 data expand-down, 2 code (3 conforming code)
    read_exec_only: bool = False
    limit_in_pages: bool = False
    seg_not_present: bool = False
    useable: bool = True

    def is_empty(self) -> bool:
        """Mirror LDT_empty() (asm/desc.h): the way to ask for "no segment"."""
        return (
            self.base_addr == 0
            and self.limit == 0
            and self.contents == 0
            and self.read_exec_only
            and not self.seg_32bit
            and not self.limit_in_pages
            and self.seg_not_present
            and not self.useable
        )

    def is_zero(self) -> bool:
        """Mirror LDT_zero() (asm/desc.h): all zero but entry_number."""
        return (
            self.base_addr == 0
            and self.limit == 0
            and self.contents == 0
            and not self.read_exec_only
            and not self.seg_32bit
            and not self.limit_in_pages
            and not self.seg_not_present
            and not self.useable
        )


def fill_ldt(info: UserDesc) -> Descriptor:
    """Mirror fill_ldt() (arch/x86/include/asm/desc.h): user_desc -> desc_struct.

    The kernel sets the accessed bit so the LDT can be mapped read-only, makes
    every entry DPL 3, and never sets L (no 64-bit code segments from user).
    """
    return Descriptor(
        base=info.base_addr & U32_MAX,
        limit=info.limit & 0xFFFFF,
        type=((int(info.read_exec_only) ^ 1) << 1) | (info.contents & 3) << 2 | 1,
        s=True,
        dpl=3,
        p=not info.seg_not_present,
        avl=info.useable,
        l=False,
        db=info.seg_32bit,
        g=info.limit_in_pages,
    )
