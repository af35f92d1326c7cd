"""x86 segmentation: selectors, descriptors, the GDT and the LDT, logical -> linear.

What the CPU does (Intel SDM Vol. 3A, ch. 3.4 "Logical and linear addresses" and
ch. 5 "Protection"), with the tables Linux 5.4 sets up:

- `arch/x86/include/asm/segment.h`: the GDT layout and the selector values
  (`__USER_DS` is 0x2b on x86-64 and 0x7b on i386);
- `arch/x86/include/asm/desc_defs.h`: `struct desc_struct`, `GDT_ENTRY_INIT()`;
- `arch/x86/kernel/cpu/common.c`: `gdt_page`, the per-CPU GDT, and `setup_getcpu()`
  (gdt.py);
- `arch/x86/kernel/setup_percpu.c`: `setup_percpu_segment()` (i386 `__KERNEL_PERCPU`);
- `arch/x86/kernel/ldt.c`: `modify_ldt(2)` -> `write_ldt()`, the per-mm LDT (ldt.py);
- `arch/x86/kernel/tls.c`: `set_thread_area(2)`, the three TLS slots of the GDT (tls.py);
- `arch/x86/kernel/traps.c`: `do_general_protection()` turns a user #GP into
  SIGSEGV with si_code SI_KERNEL; #NP and #SS become SIGBUS (SI_KERNEL).

Linux uses flat segments (base 0, limit 4 GiB) for code and data, so the
interesting cases are the ones a lecture wants to show: the TLS and per-CPU
segments of i386 (real bases), an LDT entry made with modify_ldt (base and
limit of our choosing), and the faults the CPU raises when a check fails.
In 64-bit mode the CPU ignores the base and limit of CS/DS/ES/SS and uses
FS.base/GS.base (set by arch_prctl or swapgs) for FS and GS.

Addresses that depend on the boot (where gdt_page, the TSS or glibc's TCB
land) are given as plausible constants below, marked as such.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from vmtui.engine.arch.x86 import gdt
from vmtui.engine.include.desc import (
    GDT_ENTRY_TLS_ENTRIES,
    I386_SELECTORS,
    LDT_ENTRY_SIZE,
    U32_MAX,
    U64_MAX,
    X86_64_SELECTORS,
    Descriptor,
    DescriptorTable,
    Selector,
    ec_text,
)
from vmtui.engine.include.errors import KernelError, SignalError
from vmtui.engine.include.events import EventLog, nested

__all__ = [
    "ARCHES",
    "SEG_REGS",
    "Check",
    "SegmentFault",
    "SegmentSpec",
    "Segmentation",
    "Translation",
    "parse_segment_spec",
    "segment_command",
]

ARCHES = ("x86_64", "x86_64-5level", "i386")
SEG_REGS = ("cs", "ds", "ss", "es", "fs", "gs")

# Where each piece lives; events name these.
F_SEGMENT_H = "arch/x86/include/asm/segment.h"
F_DESC_DEFS = "arch/x86/include/asm/desc_defs.h"
F_DESC_H = "arch/x86/include/asm/desc.h"
F_COMMON = "arch/x86/kernel/cpu/common.c"
F_LDT = "arch/x86/kernel/ldt.c"
F_TLS = "arch/x86/kernel/tls.c"
F_TRAPS = "arch/x86/kernel/traps.c"
F_CPU = "CPU: Intel SDM Vol. 3A 3.4, 5.5-5.8 (segmentation unit)"


# ---------------------------------------------------------------- descriptors


# ------------------------------------------------------------------ selectors


# --------------------------------------------------------------------- tables


# --------------------------------------------------------- translation result


@dataclass(slots=True)
class Check:
    """One check the CPU made: what, whether it passed, with the numbers."""

    what: str
    ok: bool
    detail: str


@dataclass(slots=True)
class Translation:
    """Every step of one logical -> linear translation, and its `text` as a worked exercise."""

    arch: str
    mode: str  # "64-bit", "compatibility" or "protected"
    reg: str  # the segment register used
    selector: Selector
    offset: int
    access: str  # "r", "w", "x" (or "load" for a bare segment load)
    cpl: int
    size: int = 1
    from_register: bool = False
    table: str | None = None
    table_base: int | None = None
    table_limit: int | None = None
    raw: int | None = None
    descriptor: Descriptor | None = None
    base: int | None = None  # the base actually added
    linear: int | None = None
    fault: str | None = None  # "#GP(0x28)"
    checks: list[Check] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """Several lines for a terminal, like a worked exercise."""
        return "\n".join(self.steps)

    @property
    def ok(self) -> bool:
        return self.fault is None


_ACCESS_WORD = {"r": "read", "w": "write", "x": "execute", "load": "load"}
_VECTORS = {
    "#GP": ("SIGSEGV", "do_general_protection", "general protection"),
    "#NP": ("SIGBUS", "do_segment_not_present", "segment not present"),
    "#SS": ("SIGBUS", "do_stack_segment", "stack segment"),
}


class SegmentFault(SignalError):
    """A fault the segmentation unit raised, as Linux delivers it.

    #GP in user mode: do_general_protection() -> force_sig(SIGSEGV), si_code
    SI_KERNEL. #NP and #SS: do_error_trap() -> force_sig(SIGBUS), SI_KERNEL.
    (The real siginfo carries si_addr 0; `addr` here is the linear address,
    or the offset when no base was reached, which is what a lecture wants.)
    `translation` keeps the steps up to the fault.
    """

    def __init__(self, tr: Translation, vector: str, error_code: int, addr: int, why: str) -> None:
        signal = _VECTORS[vector][0]
        super().__init__(signal, "SI_KERNEL", addr, f"{vector}({ec_text(error_code)}): {why}")
        self.translation = tr
        self.vector = vector
        self.error_code = error_code


# --------------------------------------------------------------- the machine


def log_event(log: EventLog | None, fn: str, file: str, text: str, **data: Any) -> None:
    if log is not None:
        log.emit(fn, file, text, **data)


class Segmentation:
    """The GDT, the process's LDT and segment registers for one arch.

    Mirrors what Linux 5.4 leaves in place for CPU 0 after boot (gdt_page,
    setup_percpu_segment(), setup_getcpu(), the TSS), plus the per-mm LDT
    (mm->context.ldt) and the thread's TLS slots.
    """

    __slots__ = (
        "arch",
        "long_mode",
        "la57",
        "compat",
        "gdt",
        "ldt",
        "ldt_slot",
        "user_regs",
        "kernel_regs",
        "fs_base",
        "gs_base",
        "kernel_gs_base",
        "entry_names",
        "selector_names",
    )
    arch: str
    long_mode: bool
    la57: bool
    compat: bool
    gdt: DescriptorTable
    ldt: DescriptorTable | None
    ldt_slot: int
    user_regs: dict[str, int]
    kernel_regs: dict[str, int]
    fs_base: int
    gs_base: int
    kernel_gs_base: int
    entry_names: dict[int, str]
    selector_names: dict[int, str]

    def __init__(self, arch: str, *, compat: bool = False) -> None:
        if arch not in ARCHES:
            raise ValueError(f"unknown arch {arch!r}; expected one of {', '.join(ARCHES)}")
        self.arch = arch
        self.long_mode = arch != "i386"
        self.la57 = arch == "x86_64-5level"
        self.compat = compat and self.long_mode
        self.ldt = None
        self.ldt_slot = -1
        self.fs_base = 0
        self.gs_base = 0
        self.kernel_gs_base = 0
        if self.long_mode:
            gdt.setup_gdt_x86_64(self)
        else:
            gdt.setup_gdt_i386(self)

    @classmethod
    def from_arch(cls, arch: str, *, compat: bool = False) -> Segmentation:
        """The segmentation state of a freshly exec'd process on `arch`.

        `compat=True` (x86_64 only) models a 32-bit program on a 64-bit kernel:
        CS=__USER32_CS puts the CPU in compatibility mode, where bases and
        limits count again.
        """
        return cls(arch, compat=compat)

    # -- boot: gdt_page and friends
    # -- layout facts
    @property
    def tls_min(self) -> int:
        return 12 if self.long_mode else 6

    @property
    def gdt_entry_ldt(self) -> int:
        return 10 if self.long_mode else 17

    @property
    def ldtr(self) -> int:
        """The LDTR selector: GDT_ENTRY_LDT*8 when the mm has an LDT, else 0 (lldt(0))."""
        return self.gdt_entry_ldt * 8 if self.ldt is not None else 0

    def regs(self, cpl: int = 3) -> dict[str, int]:
        """The segment registers as they are at `cpl` (3: user mode, 0: in the kernel)."""
        return self.user_regs if cpl == 3 else self.kernel_regs

    def mode(self, cpl: int = 3) -> str:
        """The CPU mode the current CS gives: 64-bit, compatibility, or protected (i386)."""
        if not self.long_mode:
            return "protected"
        cs = Descriptor.decode(self.gdt.raw(Selector(self.regs(cpl)["cs"]).index))
        return "64-bit" if cs.l else "compatibility"

    def copy(self) -> Segmentation:
        """The state a fork() child starts with: ldt_dup_context() copies the LDT."""
        new = Segmentation.__new__(Segmentation)
        for name in self.__slots__:
            setattr(new, name, getattr(self, name))
        new.gdt = self.gdt.copy()
        new.ldt = self.ldt.copy() if self.ldt is not None else None
        new.user_regs = dict(self.user_regs)
        new.kernel_regs = dict(self.kernel_regs)
        new.entry_names = dict(self.entry_names)
        return new

    def name_of(self, table: str, index: int) -> str:
        if table == "GDT" and index in self.entry_names:
            return f" ({self.entry_names[index]})"
        return ""

    # -- set_thread_area(2) and modify_ldt(2)
    def load_segment(
        self, reg: str, selector: int, *, cpl: int = 3, log: EventLog | None = None
    ) -> Translation:
        """`mov %ax, %ds` (loadsegment() in segment.h), or a far jmp for cs.

        Runs the CPU's load checks, then updates the register; in 64-bit
        mode loading fs or gs also loads FS.base / GS.base from the descriptor.
        """
        reg = reg.lower()
        if reg not in SEG_REGS:
            raise ValueError(f"unknown segment register {reg!r}")
        tr = self._resolve(selector, 0, access="load", cpl=cpl, reg=reg, log=log)
        self.regs(cpl)[reg] = selector
        if self.long_mode and reg in ("fs", "gs") and tr.descriptor is not None:
            if reg == "fs":
                self.fs_base = tr.descriptor.base
            elif cpl == 3:
                self.gs_base = tr.descriptor.base
        return tr

    # -- logical -> linear
    def translate(
        self,
        selector: int | str,
        offset: int,
        *,
        access: str = "r",
        cpl: int = 3,
        reg: str | None = None,
        size: int = 1,
        log: EventLog | None = None,
    ) -> Translation:
        """Turn SELECTOR:OFFSET into a linear address, as the CPU does.

        `selector` is a number (loaded into ds, or cs for access "x": a far
        jmp) or a register name (cs/ds/ss/es/fs/gs: its value at `cpl`).
        `reg` overrides which register a numeric selector is loaded into.
        Raises SegmentFault (a SignalError) on #GP/#NP/#SS.
        """
        if access not in ("r", "w", "x"):
            raise ValueError(f"access must be 'r', 'w' or 'x', not {access!r}")
        return self._resolve(selector, offset, access=access, cpl=cpl, reg=reg, log=log, size=size)

    def _resolve(
        self,
        selector: int | str,
        offset: int,
        *,
        access: str,
        cpl: int,
        reg: str | None,
        log: EventLog | None,
        size: int = 1,
    ) -> Translation:
        if not 0 <= cpl <= 3:
            raise ValueError(f"CPL {cpl} is not 0..3")
        if size < 1:
            raise ValueError("size must be at least 1")
        regs = self.regs(cpl)
        from_register = isinstance(selector, str)
        if isinstance(selector, str):
            name = selector.lower()
            if name not in SEG_REGS:
                raise ValueError(f"unknown segment register {selector!r}")
            if access == "x" and name != "cs":
                raise KernelError("EINVAL", "an instruction fetch always goes through cs")
            reg, value = name, regs[name]
        else:
            value = selector
            reg = (reg or ("cs" if access == "x" else "ds")).lower()
            if reg not in SEG_REGS:
                raise ValueError(f"unknown segment register {reg!r}")
        sel = Selector(value)
        mode = self.mode(cpl)
        tr = Translation(
            arch=self.arch,
            mode=mode,
            reg=reg,
            selector=sel,
            offset=offset,
            access=access,
            cpl=cpl,
            size=size,
            from_register=from_register,
        )
        if offset < 0:
            raise KernelError("EINVAL", "segment: the offset cannot be negative")
        where = "user mode" if cpl == 3 else f"CPL {cpl}"
        shown = reg if from_register else f"{value:#x}"
        tr.steps.append(
            f"logical address {shown}:{offset:#x} ({_ACCESS_WORD[access]}, {where}, "
            f"{self.arch}, {mode} mode)"
        )
        if from_register:
            known = self.selector_names.get(value)
            tr.steps.append(
                f"   {reg} = {value:#x}" + (f" ({known})" if known else "") + f" in {where}"
            )
        elif access == "x":
            tr.steps.append(f"   far jmp {value:#x}:{offset:#x} loads the selector into cs")
        elif access == "load":
            tr.steps.append(f"   mov {value:#x} into {reg}")
        else:
            tr.steps.append(f"   {value:#x} is loaded into {reg} (movw %ax, %{reg})")
        if log is None:
            return self._walk(tr, log)
        with nested(log):
            return self._walk(tr, log)

    def _fault(
        self,
        tr: Translation,
        log: EventLog | None,
        vector: str,
        error_code: int,
        addr: int,
        why: str,
    ) -> SegmentFault:
        tr.fault = f"{vector}({ec_text(error_code)})"
        signal, handler, desc = _VECTORS[vector]
        tr.steps.append(f"   -> {tr.fault}: {why}")
        if tr.cpl == 3:
            tr.steps.append(
                f"{tr.fault} in user mode: {handler}() (arch/x86/kernel/traps.c) "
                f"sends {signal}, si_code SI_KERNEL"
            )
        else:
            tr.steps.append(
                f"{tr.fault} in kernel mode: no exception fixup -> oops "
                f'"{desc} fault", the task dies with {signal}'
            )
        log_event(
            log,
            handler,
            F_TRAPS,
            f"{tr.fault}: {why}; force_sig({signal}), si_code SI_KERNEL",
            vector=vector,
            error_code=error_code,
            signal=signal,
        )
        return SegmentFault(tr, vector, error_code, addr, why)

    def _walk(self, tr: Translation, log: EventLog | None) -> Translation:
        sel, reg, cpl, access = tr.selector, tr.reg, tr.cpl, tr.access
        tr.steps.append("1. " + sel.describe())
        log_event(
            log,
            "loadsegment",
            F_SEGMENT_H,
            f"{reg} <- {sel.value:#x}: index {sel.index}, TI={sel.ti} ({sel.table}), RPL={sel.rpl}",
            selector=sel.value,
            index=sel.index,
            ti=sel.ti,
            rpl=sel.rpl,
        )
        desc: Descriptor | None = None
        if sel.is_null:
            if reg in ("cs", "ss") and not (reg == "ss" and self.long_mode and cpl < 3):
                tr.checks.append(Check("null selector", False, f"a null selector in {reg}"))
                raise self._fault(
                    tr, log, "#GP", 0, tr.offset, f"null selector {sel.value:#x} loaded into {reg}"
                )
            tr.steps.append(
                f"2. null selector: loading it into {reg} is allowed; no table, descriptor "
                "or checks (steps 3-4)"
            )
        else:
            desc = self._lookup(tr, log)
            self._load_checks(tr, desc, log)
            if access == "x" and not tr.from_register and self.long_mode:
                tr.mode = "64-bit" if desc.l else "compatibility"
        if access == "load":
            tr.steps.append(f"{reg} = {sel.value:#x}: loaded")
            return tr
        return self._access(tr, desc, log)

    def _lookup(self, tr: Translation, log: EventLog | None) -> Descriptor:
        """The descriptor-table read the CPU does on a segment load."""
        sel = tr.selector
        if sel.ti:
            if self.ldt is None:
                tr.checks.append(Check("LDT present", False, "LDTR is null"))
                raise self._fault(
                    tr,
                    log,
                    "#GP",
                    sel.error_code,
                    tr.offset,
                    "TI=1 but this process has no LDT (LDTR is null; modify_ldt was never called)",
                )
            table = self.ldt
            where = (
                f"LDT (mm->context.ldt, via LDTR {self.ldtr:#x} -> GDT entry "
                f"{self.gdt_entry_ldt}) at {table.base:#x}, limit {table.limit:#x}"
            )
            fn, file = "LDT lookup", F_LDT
        else:
            table = self.gdt
            where = f"GDT (gdt_page, GDTR) at {table.base:#x}, limit {table.limit:#x}"
            fn, file = "GDT lookup", F_COMMON
        tr.table, tr.table_base, tr.table_limit = table.name, table.base, table.limit
        first = sel.index * LDT_ENTRY_SIZE
        last = first + 7
        in_table = last <= table.limit
        tr.checks.append(
            Check(
                "index within table",
                in_table,
                f"bytes {first:#x}..{last:#x} vs limit {table.limit:#x}",
            )
        )
        if not in_table:
            tr.steps.append(
                f"2. {where}: entry {sel.index} would be bytes {first:#x}..{last:#x} > limit "
                f"{table.limit:#x}"
            )
            log_event(
                log,
                fn,
                file,
                f"entry {sel.index} is beyond the {table.name} limit {table.limit:#x}",
            )
            raise self._fault(
                tr,
                log,
                "#GP",
                sel.error_code,
                tr.offset,
                f"index {sel.index} is beyond the {table.name} ({len(table)} entries)",
            )
        raw = table.raw(sel.index)
        desc = Descriptor.decode(raw)
        tr.raw, tr.descriptor = raw, desc
        name = self.name_of(table.name, sel.index)
        tr.steps.append(
            f"2. {where}: entry {sel.index}{name} at +{first:#x} "
            f"(address {table.base + first:#x}), {last:#x} <= {table.limit:#x}: ok"
        )
        tr.steps.append(f"3. descriptor {raw:#018x}")
        tr.steps.extend("     " + line for line in desc.describe(self.long_mode))
        if self.long_mode and desc.is_system and table is self.gdt and sel.index + 1 < len(table):
            hi = table.raw(sel.index + 1) & U32_MAX
            tr.steps.append(
                f"     (a 16-byte system descriptor: the next entry holds base[63:32] = {hi:#x})"
            )
        log_event(
            log,
            fn,
            file,
            f"{table.name} entry {sel.index}{name} = {raw:#018x}",
            table=table.name,
            index=sel.index,
            raw=raw,
        )
        log_event(
            log,
            "desc_struct",
            F_DESC_DEFS,
            f"base {desc.base:#x} limit {desc.limit:#x} G={int(desc.g)} type {desc.type:#x} "
            f"({desc.type_name(self.long_mode)}) S={int(desc.s)} DPL={desc.dpl} P={int(desc.p)} "
            f"D/B={int(desc.db)} L={int(desc.l)}",
            base=desc.base,
            limit=desc.limit,
            byte_limit=desc.byte_limit,
            type=desc.type,
            dpl=desc.dpl,
            p=desc.p,
        )
        return desc

    def _verify(
        self,
        tr: Translation,
        log: EventLog | None,
        what: str,
        ok: bool,
        detail: str,
        vector: str,
        error_code: int,
        addr: int,
        why: str,
    ) -> None:
        tr.checks.append(Check(what, ok, detail))
        tr.steps.append(f"     {what}: {detail}: {'ok' if ok else 'FAILS'}")
        if not ok:
            raise self._fault(tr, log, vector, error_code, addr, why)

    def _load_checks(self, tr: Translation, desc: Descriptor, log: EventLog | None) -> None:
        """The checks of MOV Sreg / far JMP (SDM Vol. 2, MOV and JMP pseudo-code)."""
        sel, reg, cpl = tr.selector, tr.reg, tr.cpl
        ec, off = sel.error_code, tr.offset
        lm = self.long_mode
        if reg == "cs":
            how = "cs was loaded by iret/sysret" if tr.from_register else "far jmp into cs"
            tr.steps.append(f"4. checks ({how}):")
            self._verify(
                tr, log, "type", desc.is_code, f"{desc.type_name(lm)} must be code",
                "#GP", ec, off, f"selector {sel.value:#x} is not a code segment",
            )  # fmt: skip
            if desc.conforming:
                self._verify(
                    tr, log, "privilege", desc.dpl <= cpl,
                    f"conforming code: DPL {desc.dpl} <= CPL {cpl}", "#GP", ec, off,
                    f"conforming code segment with DPL {desc.dpl} > CPL {cpl}",
                )  # fmt: skip
            else:
                self._verify(
                    tr, log, "privilege", sel.rpl <= cpl and desc.dpl == cpl,
                    f"non-conforming code: RPL {sel.rpl} <= CPL {cpl}, DPL {desc.dpl} == CPL {cpl}",
                    "#GP", ec, off,
                    f"privilege: code segment DPL {desc.dpl}, RPL {sel.rpl}, CPL {cpl}",
                )  # fmt: skip
            self._verify(
                tr, log, "present", desc.p, f"P={int(desc.p)}", "#NP", ec, off,
                f"code segment {sel.value:#x} is not present",
            )  # fmt: skip
        elif reg == "ss":
            tr.steps.append("4. checks (loading ss):")
            self._verify(
                tr, log, "RPL", sel.rpl == cpl, f"RPL {sel.rpl} == CPL {cpl}", "#GP", ec, off,
                f"stack selector RPL {sel.rpl} != CPL {cpl}",
            )  # fmt: skip
            self._verify(
                tr, log, "type", desc.writable, f"{desc.type_name(lm)} must be writable data",
                "#GP", ec, off, "ss needs a writable data segment",
            )  # fmt: skip
            self._verify(
                tr, log, "privilege", desc.dpl == cpl, f"DPL {desc.dpl} == CPL {cpl}",
                "#GP", ec, off, f"stack segment DPL {desc.dpl} != CPL {cpl}",
            )  # fmt: skip
            self._verify(
                tr, log, "present", desc.p, f"P={int(desc.p)}", "#SS", ec, off,
                f"stack segment {sel.value:#x} is not present",
            )  # fmt: skip
        else:
            tr.steps.append(f"4. checks (loading {reg}):")
            loadable = desc.is_data or (desc.is_code and desc.readable)
            self._verify(
                tr, log, "type", loadable,
                f"{desc.type_name(lm)}: {reg} takes data or readable code", "#GP", ec, off,
                f"a {desc.type_name(lm)} descriptor cannot be loaded into {reg}",
            )  # fmt: skip
            if not desc.conforming:
                eff = max(cpl, sel.rpl)
                self._verify(
                    tr, log, "privilege", eff <= desc.dpl,
                    f"max(CPL {cpl}, RPL {sel.rpl}) = {eff} <= DPL {desc.dpl}", "#GP", ec, off,
                    f"privilege: DPL {desc.dpl} < max(CPL {cpl}, RPL {sel.rpl})",
                )  # fmt: skip
            self._verify(
                tr, log, "present", desc.p, f"P={int(desc.p)}", "#NP", ec, off,
                f"segment {sel.value:#x} is not present",
            )  # fmt: skip
        if not desc.accessed:
            # The CPU writes the accessed bit back into the table. Linux's x86-64
            # descriptors have it preset: that GDT is mapped read-only.
            table = self.ldt if sel.ti and self.ldt is not None else self.gdt
            new = Descriptor.decode(table.raw(sel.index) | 1 << 40)
            table.set(sel.index, new)
            tr.steps.append(
                f"     accessed bit: the CPU sets it in {table.name} entry {sel.index} "
                f"(type {desc.type:#x} -> {new.type:#x})"
            )
        log_event(
            log,
            "segment checks",
            F_CPU,
            f"{reg} <- {sel.value:#x}: " + ", ".join(c.what for c in tr.checks if c.ok) + " ok",
        )

    def _access(
        self, tr: Translation, desc: Descriptor | None, log: EventLog | None
    ) -> Translation:
        """The checks on the access itself, then base + offset."""
        reg, off, size, access = tr.reg, tr.offset, tr.size, tr.access
        word = _ACCESS_WORD[access]
        stack = reg == "ss"
        vec = "#SS" if stack else "#GP"
        tr.steps.append(
            f"5. the access: {word} {size} byte{'s' if size > 1 else ''} at offset {off:#x}"
        )
        if tr.mode == "64-bit":
            if off > U64_MAX:
                raise KernelError("EINVAL", "segment: the offset does not fit in 64 bits")
            if reg in ("fs", "gs"):
                if reg == "fs":
                    base, src = (
                        self.fs_base,
                        "FS.base (MSR_FS_BASE, set by arch_prctl(ARCH_SET_FS))",
                    )
                elif tr.cpl == 3:
                    base, src = self.gs_base, "GS.base (MSR_GS_BASE, arch_prctl(ARCH_SET_GS))"
                else:
                    base, src = self.kernel_gs_base, "GS.base (the per-cpu area, after swapgs)"
                tr.steps.append(f"     64-bit mode: {reg} uses {src} = {base:#x}; no limit check")
            else:
                base = 0
                tr.steps.append(
                    f"     64-bit mode: the base and limit of {reg} are ignored (base 0), "
                    "no type or limit checks"
                )
            lin = (base + off) & U64_MAX
            tr.base = base
            bits = 57 if self.la57 else 48
            last = (lin + size - 1) & U64_MAX
            canon = _canonical(lin, bits) and _canonical(last, bits)
            self._verify(
                tr, log, "canonical", canon,
                f"{lin:#x} must sign-extend bit {bits - 1} ({bits}-bit addresses)", vec, 0, lin,
                f"non-canonical address {lin:#x}",
            )  # fmt: skip
            tr.linear = lin
            tr.steps.append(f"6. linear = {base:#x} + {off:#x} = {lin:#x}")
        else:
            if off > U32_MAX:
                raise KernelError(
                    "EINVAL",
                    f"segment: offset {off:#x} does not fit in a 32-bit effective address "
                    f"({tr.mode} mode)",
                )
            if desc is None:
                self._verify(
                    tr, log, "selector", False, f"{reg} holds a null selector", "#GP", 0, off,
                    f"memory access through a null selector in {reg}",
                )  # fmt: skip
                raise AssertionError("unreachable")  # pragma: no cover
            base = desc.base
            lin = (base + off) & U32_MAX
            if access == "w":
                self._verify(
                    tr, log, "type", desc.writable,
                    f"write needs writable data ({desc.type_name()})", vec, 0, lin,
                    "write to a code segment" if desc.is_code
                    else "write to a read-only data segment",
                )  # fmt: skip
            elif access == "r":
                self._verify(
                    tr, log, "type", desc.readable, "read needs data or readable code",
                    vec, 0, lin, "read from an execute-only code segment",
                )  # fmt: skip
            end = off + size - 1
            if desc.expand_down:
                ok = off > desc.byte_limit and end <= desc.upper_bound
                detail = (
                    f"expand-down: {desc.byte_limit:#x} < {off:#x}..{end:#x} "
                    f"<= {desc.upper_bound:#x}"
                )
                why = (
                    f"offset {off:#x} is at or below the limit {desc.byte_limit:#x} "
                    "of an expand-down segment"
                    if off <= desc.byte_limit
                    else f"offset {end:#x} is above {desc.upper_bound:#x} (B={int(desc.db)})"
                )
            else:
                ok = end <= desc.byte_limit
                detail = f"{off:#x}..{end:#x} <= limit {desc.byte_limit:#x}"
                why = f"offset {end:#x} is beyond the segment limit {desc.byte_limit:#x}"
            self._verify(tr, log, "limit", ok, detail, vec, 0, lin, why)
            tr.base = base
            tr.linear = lin
            wrap = " (wrapped mod 2^32)" if base + off > U32_MAX else ""
            tr.steps.append(f"6. linear = base + offset = {base:#x} + {off:#x} = {lin:#x}{wrap}")
        log_event(
            log,
            "linear address",
            F_CPU,
            f"{reg}:{off:#x} -> linear {tr.linear:#x} (base {tr.base:#x}, {tr.mode} mode)",
            linear=tr.linear,
            base=tr.base,
            offset=off,
        )
        return tr

    # -- invariants
    def _check(self) -> None:
        """Assert what Linux guarantees about these tables (like validate_mm())."""
        table = self.gdt
        assert table.raw(0) == 0, "GDT entry 0 must be the null descriptor"
        names = X86_64_SELECTORS if self.long_mode else I386_SELECTORS
        for name, value in names.items():
            d = table.get(Selector(value).index)
            assert d.p, f"{name} not present"
            assert d.dpl == Selector(value).rpl or name.startswith("__KERNEL"), name
        for regs in (self.user_regs, self.kernel_regs):
            for r, v in regs.items():
                s = Selector(v)
                assert r in SEG_REGS
                if s.ti:
                    assert self.ldt is not None and s.index < len(self.ldt), (r, v)
                else:
                    assert s.index < len(table), (r, v)
        for i in range(self.tls_min, self.tls_min + GDT_ENTRY_TLS_ENTRIES):
            raw = table.raw(i)
            if raw:
                d = Descriptor.decode(raw)
                assert d.is_data and d.dpl == 3 and d.p and d.db, f"bad TLS entry {i}"
        if self.ldt is not None:
            d = table.get(self.gdt_entry_ldt)
            assert d.is_system and d.type == 2 and d.p
            assert d.limit == self.ldt.limit
            base = d.base | (
                (table.raw(self.gdt_entry_ldt + 1) & U32_MAX) << 32 if self.long_mode else 0
            )
            assert base == self.ldt.base
            for raw in self.ldt.entries:
                if raw:
                    ld = Descriptor.decode(raw)
                    assert ld.s and ld.dpl == 3 and not ld.l and ld.accessed


def _canonical(addr: int, bits: int) -> bool:
    half = 1 << (bits - 1)
    return addr < half or addr >= (1 << 64) - half


# ------------------------------------------------------------------ command


@dataclass(frozen=True, slots=True)
class SegmentSpec:
    """A parsed `segment` argument: SELECTOR:OFFSET [r|w|x] [cpl=N]."""

    selector: int | str
    offset: int
    access: str = "r"
    cpl: int = 3


_NUM = r"(?:0[xX][0-9a-fA-F]+(?:_[0-9a-fA-F]+)*|[0-9]+(?:_[0-9]+)*)"
_SPEC_RE = re.compile(
    rf"^\s*(?:segment\s+)?(?P<sel>{_NUM}|[A-Za-z]+)\s*:\s*(?P<off>{_NUM})(?P<rest>(?:\s+\S+)*)\s*$"
)
_EXPECTED = (
    "expected SELECTOR:OFFSET [r|w|x] [cpl=0..3], e.g. 0x2b:0x1000, gs:0x14 or 0x7:0x1234 w; "
    "SELECTOR is a number 0..0xffff (hex 0x.. or decimal) or cs/ds/ss/es/fs/gs, "
    "OFFSET a number (hex 0x.. or decimal)"
)


def _number(text: str) -> int:
    return int(text, 16) if text[:2].lower() == "0x" else int(text, 10)


def parse_segment_spec(spec: str) -> SegmentSpec:
    """Parse `SELECTOR:OFFSET [r|w|x] [cpl=N]`; KernelError(EINVAL) says what was expected."""
    m = _SPEC_RE.match(spec)
    if m is None:
        got = spec.strip()
        raise KernelError(
            "EINVAL",
            f"segment: {_EXPECTED}; got {got!r}" if got else f"segment: {_EXPECTED}; got nothing",
        )
    sel_text = m.group("sel")
    selector: int | str
    if sel_text[0].isdigit():
        selector = _number(sel_text)
        if selector > 0xFFFF:
            raise KernelError(
                "EINVAL", f"segment: selector {selector:#x} does not fit in 16 bits; {_EXPECTED}"
            )
    else:
        selector = sel_text.lower()
        if selector not in SEG_REGS:
            raise KernelError(
                "EINVAL", f"segment: {sel_text!r} is not a segment register; {_EXPECTED}"
            )
    offset = _number(m.group("off"))
    access, cpl = "r", 3
    for w in m.group("rest").split():
        lw = w.lower()
        if lw in ("r", "read", "w", "write", "x", "exec", "execute"):
            access = lw[0]
        elif lw.startswith("cpl=") and lw[4:] in ("0", "1", "2", "3"):
            cpl = int(lw[4:])
        else:
            raise KernelError("EINVAL", f"segment: unexpected {w!r}; {_EXPECTED}")
    return SegmentSpec(selector, offset, access, cpl)


def segment_command(seg: Segmentation, log: EventLog, spec: str) -> tuple[int, str]:
    """The `segment SELECTOR:OFFSET` command: (linear address, worked-exercise text).

    Raises KernelError(EINVAL) for a spec that does not parse, SegmentFault
    (SIGSEGV or SIGBUS, si_code SI_KERNEL) when the CPU would fault.
    """
    p = parse_segment_spec(spec)
    tr = seg.translate(p.selector, p.offset, access=p.access, cpl=p.cpl, log=log)
    assert tr.linear is not None
    return tr.linear, tr.text
