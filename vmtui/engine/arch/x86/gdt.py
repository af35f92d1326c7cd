"""The GDT Linux 5.4 builds at boot (arch/x86/kernel/cpu/common.c `gdt_page`,
`setup_getcpu()`; arch/x86/kernel/setup_percpu.c `setup_percpu_segment()`), and the
registers a process starts with (start_thread). The addresses that depend on the boot
(where gdt_page, the TSS or glibc's TCB land) are plausible constants, marked as such.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vmtui.engine.arch.x86 import tls
from vmtui.engine.include.desc import (
    I386_ENTRY_NAMES,
    I386_SELECTORS,
    U32_MAX,
    X86_64_ENTRY_NAMES,
    X86_64_SELECTORS,
    Descriptor,
    DescriptorTable,
    Selector,
    UserDesc,
    tssldt_descriptor,
)

# Boot-dependent addresses (plausible values for CPU 0, ASLR off).
# x86-64: the GDT the CPU uses is the read-only fixmap copy in cpu_entry_area
# (load_fixmap_gdt(): CPU_ENTRY_AREA_PER_CPU = 0xfffffe0000000000 + PAGE_SIZE),
# the TSS two pages further; its limit is __KERNEL_TSS_LIMIT.
_GDT_BASE_64 = 0xFFFF_FE00_0000_1000
_TSS_BASE_64 = 0xFFFF_FE00_0000_3000
_TSS_LIMIT_64 = 0x206F
_USER_FS_BASE_64 = 0x7FFF_F7D8_A740  # glibc's TCB, set by arch_prctl(ARCH_SET_FS)
_KERNEL_GS_BASE_64 = 0xFFFF_8880_7FC0_0000  # this CPU's per-cpu area (swapgs)
_COMPAT_TLS_BASE = 0xF7D8_A700  # a 32-bit process's TCB on a 64-bit kernel
_GDT_BASE_32 = 0xFFA0_0000
_PER_CPU_OFFSET_32 = 0x35E4_D000  # __per_cpu_offset[0]
_TSS_BASE_32 = _GDT_BASE_32 + 0x3000
_TSS_LIMIT_32 = 0x206B
_DOUBLEFAULT_TSS_32 = 0xC1A6_E000
_STACK_CANARY_32 = (0xC1C7_D3C0 + _PER_CPU_OFFSET_32) & U32_MAX  # &per_cpu(stack_canary, 0)
_I386_TLS_BASE = 0xB7D8_A700  # glibc's TCB, set by set_thread_area


if TYPE_CHECKING:
    from vmtui.engine.arch.x86.segment import Segmentation


def setup_gdt_x86_64(seg: Segmentation) -> None:
    """gdt_page (cpu/common.c, CONFIG_X86_64), the TSS, setup_getcpu()."""
    e = [0] * 16
    for idx, flags in (
        (1, 0xC09B),  # KERNEL32_CS
        (2, 0xA09B),  # KERNEL_CS: L=1
        (3, 0xC093),  # KERNEL_DS
        (4, 0xC0FB),  # DEFAULT_USER32_CS
        (5, 0xC0F3),  # DEFAULT_USER_DS
        (6, 0xA0FB),  # DEFAULT_USER_CS: L=1
    ):
        e[idx] = Descriptor.from_flags(flags, 0, 0xFFFFF).encode()
    # set_tss_desc(): type 9; ltr marks it busy (0xB).
    e[8:10] = tssldt_descriptor(_TSS_BASE_64, 0xB, _TSS_LIMIT_64, True)
    # setup_getcpu(): cpu and node number in the limit, RO expand-down data.
    e[15] = Descriptor(limit=0, type=5, s=True, dpl=3, p=True, db=True).encode()
    seg.gdt = DescriptorTable("GDT", _GDT_BASE_64, e)
    seg.entry_names = dict(X86_64_ENTRY_NAMES)
    seg.selector_names = {v: k for k, v in X86_64_SELECTORS.items() if k != "__USER32_DS"}
    seg.kernel_gs_base = _KERNEL_GS_BASE_64
    # SYSCALL loads CS=__KERNEL_CS, SS=__KERNEL_DS; ds/es/fs/gs keep the user's.
    seg.kernel_regs = {"cs": 0x10, "ss": 0x18, "ds": 0, "es": 0, "fs": 0, "gs": 0}
    if seg.compat:
        # compat_start_thread(): cs=__USER32_CS, ss=ds=es=__USER_DS.
        seg.user_regs = {"cs": 0x23, "ss": 0x2B, "ds": 0x2B, "es": 0x2B, "fs": 0, "gs": 0}
        tcb = UserDesc(-1, _COMPAT_TLS_BASE, 0xFFFFF, limit_in_pages=True)
        idx = tls.do_set_thread_area(seg, tcb)
        seg.user_regs["gs"] = Selector.make(idx, 0, 3).value  # 0x63
    else:
        # start_thread_common(): cs=__USER_CS, ss=__USER_DS, ds=es=fs=gs=0.
        seg.user_regs = {"cs": 0x33, "ss": 0x2B, "ds": 0, "es": 0, "fs": 0, "gs": 0}
        seg.fs_base = _USER_FS_BASE_64


def setup_gdt_i386(seg: Segmentation) -> None:
    """gdt_page (cpu/common.c, CONFIG_X86_32), setup_percpu_segment(), the canary."""
    e = [0] * 32

    def init(idx: int, flags: int, base: int, limit: int) -> None:
        e[idx] = Descriptor.from_flags(flags, base, limit).encode()

    init(12, 0xC09A, 0, 0xFFFFF)  # KERNEL_CS
    init(13, 0xC092, 0, 0xFFFFF)  # KERNEL_DS
    init(14, 0xC0FA, 0, 0xFFFFF)  # DEFAULT_USER_CS
    init(15, 0xC0F2, 0, 0xFFFFF)  # DEFAULT_USER_DS
    e[16] = tssldt_descriptor(_TSS_BASE_32, 0xB, _TSS_LIMIT_32, False)[0]
    init(18, 0x409A, 0, 0xFFFF)  # PnP BIOS 32-bit code
    init(19, 0x009A, 0, 0xFFFF)  # PnP BIOS 16-bit code
    init(20, 0x0092, 0, 0xFFFF)  # PnP BIOS 16-bit data
    init(21, 0x0092, 0, 0)
    init(22, 0x0092, 0, 0)
    init(23, 0x409A, 0, 0xFFFF)  # APM BIOS
    init(24, 0x009A, 0, 0xFFFF)
    init(25, 0x4092, 0, 0xFFFF)
    init(26, 0xC092, 0, 0xFFFFF)  # ESPFIX_SS
    init(27, 0x8092, _PER_CPU_OFFSET_32, 0xFFFFF)  # setup_percpu_segment()
    init(28, 0x4090, _STACK_CANARY_32, 0x18)  # setup_stack_canary_segment()
    e[31] = tssldt_descriptor(_DOUBLEFAULT_TSS_32, 0x9, _TSS_LIMIT_32, False)[0]
    seg.gdt = DescriptorTable("GDT", _GDT_BASE_32, e)
    seg.entry_names = dict(I386_ENTRY_NAMES)
    seg.selector_names = {v: k for k, v in I386_SELECTORS.items()}
    # In the kernel: ds/es=__USER_DS, fs=__KERNEL_PERCPU, gs=__KERNEL_STACK_CANARY.
    seg.kernel_regs = {"cs": 0x60, "ss": 0x68, "ds": 0x7B, "es": 0x7B, "fs": 0xD8, "gs": 0xE0}
    # start_thread(): cs=__USER_CS, ds=es=ss=__USER_DS; glibc then loads gs
    # with the TLS selector that set_thread_area() returned (entry 6 -> 0x33).
    seg.user_regs = {"cs": 0x73, "ss": 0x7B, "ds": 0x7B, "es": 0x7B, "fs": 0, "gs": 0}
    idx = tls.do_set_thread_area(seg, UserDesc(-1, _I386_TLS_BASE, 0xFFFFF, limit_in_pages=True))
    seg.user_regs["gs"] = Selector.make(idx, 0, 3).value


# i386 (illustrative: computed at boot from FIXADDR_TOT_START and the percpu allocator)
