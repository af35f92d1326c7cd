"""execve(): build a new process image (fs/binfmt_elf.c load_elf_binary, fs/exec.c).

The program is a small PIE C binary: text, rodata, RELRO and data from the
file, BSS as anonymous memory, the break right after it, the dynamic loader
and libc top-down from mmap_base, [vvar]/[vdso], and [stack] at the top of
the user half with the arguments written into its top page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vmtui.engine.arch.x86 import fault
from vmtui.engine.include.layout import PAGE_SHIFT, PAGE_SIZE, page_align
from vmtui.engine.include.machine import Task
from vmtui.engine.include.mm_types import (
    VM_ACCOUNT,
    VM_DENYWRITE,
    VM_DONTEXPAND,
    VM_EXEC,
    VM_GROWSDOWN,
    VM_IO,
    VM_MAYEXEC,
    VM_MAYREAD,
    VM_MAYWRITE,
    VM_PFNMAP,
    VM_READ,
    VM_WRITE,
    MmStruct,
    VmArea,
)
from vmtui.engine.mm import mmap

if TYPE_CHECKING:
    from vmtui.engine.include.fs import File
    from vmtui.engine.include.machine import Machine, Task

R, RW, RX = VM_READ, VM_READ | VM_WRITE, VM_READ | VM_EXEC
MAY = VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC

# (pages, rights, file page offset) of each PT_LOAD part: a tiny C program, Debian's libc
# and ld.so (sizes as on Debian 12)
PROGRAM = [(1, R, 0), (1, RX, 1), (1, R, 2), (1, R, 3), (1, RW, 4)]
PROGRAM_BSS = 0  # .bss fits in the tail of the data page, as in the oracle's program
LIBC = [(0x26, R, 0), (0x155, RX, 0x26), (0x53, R, 0x17B), (0x4, R, 0x1CE), (0x2, RW, 0x1D2)]
LIBC_BSS = 0xD
LDSO = [(1, R, 0), (0x26, RX, 1), (0xA, R, 0x27), (2, R, 0x31), (2, RW, 0x33)]
VVAR_PAGES, VDSO_PAGES = 4, 2
# Linux 6.18 with Debian 12's glibc 2.36-9+deb12u14 (the oracle machine, strace of a small
# program): libc one page longer, [vvar_vclock] (6.13) between [vvar] and [vdso], and the
# anonymous mappings ld.so makes: 8K for itself, /etc/ld.so.cache (36059 bytes) mapped
# while libc is placed and unmapped after, 12K for the TLS below libc
LIBC_618 = [(0x26, R, 0), (0x156, RX, 0x26), (0x53, R, 0x17C), (0x4, R, 0x1CF),
            (0x2, RW, 0x1D3)]


class ProcessImage:
    """What load_elf_binary() and ld.so leave in a new process, top-down below ld.so: the
    vDSO's special mappings, then libc, with the anonymous mappings ld.so makes around it
    (each as (pages, pages touched): faulted in by ld.so) and the pages of ld.so.cache it
    maps while it places libc. One instance per kernel model (kmodel.process_image)."""

    def __init__(self, libc: list[tuple[int, int, int]], specials: tuple[tuple[int, int, str],
                 ...], rtld_anon: tuple[int, int] | None = None, ld_so_cache: int = 0,
                 tls_anon: tuple[int, int] | None = None) -> None:
        self.libc = libc
        self.specials = specials
        self.rtld_anon = rtld_anon
        self.ld_so_cache = ld_so_cache
        self.tls_anon = tls_anon


IMAGE_54 = ProcessImage(LIBC, ((VVAR_PAGES, R, "[vvar]"), (VDSO_PAGES, RX, "[vdso]")))
IMAGE_618 = ProcessImage(
    LIBC_618, ((VVAR_PAGES, R, "[vvar]"), (2, R, "[vvar_vclock]"), (VDSO_PAGES, RX, "[vdso]")),
    rtld_anon=(2, 1), ld_so_cache=9, tls_anon=(3, 2))
STACK_PAGES = 0x21  # 128K + the page of arguments (setup_arg_pages, stack_expand)

LIBC_PATH = "/usr/lib/x86_64-linux-gnu/libc.so.6"
LDSO_PATH = "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
LIBC_PATH_32 = "/usr/lib/i386-linux-gnu/libc.so.6"
LDSO_PATH_32 = "/usr/lib/ld-linux.so.2"


def _file(m: Machine, path: str, pages: int) -> File:
    f = m.files.get(path)
    if f is None:
        f = m.new_file(path, pages << PAGE_SHIFT)
    return f


def _map_parts(m: Machine, mm: MmStruct, base: int, file: File,
               parts: list[tuple[int, int, int]], bss: int) -> int:
    """elf_map() each PT_LOAD segment at base + its offset; returns the end."""
    addr = base
    for pages, rights, off in parts:
        flags = rights | MAY | VM_DENYWRITE
        if rights & VM_WRITE:
            flags |= VM_ACCOUNT
            m.committed_as += pages
        vma = VmArea(mm, addr, addr + (pages << PAGE_SHIFT), flags, off, file)
        file.i_mmap[vma] = None
        mm.vmas.link(vma)
        _account(mm, flags, pages)
        addr += pages << PAGE_SHIFT
    if bss:
        flags = RW | MAY | VM_ACCOUNT
        vma = VmArea(mm, addr, addr + (bss << PAGE_SHIFT), flags, addr >> PAGE_SHIFT)
        mm.vmas.link(vma)
        m.committed_as += bss
        _account(mm, flags, bss)
        addr += bss << PAGE_SHIFT
    return addr


def _map_anon(m: Machine, mm: MmStruct, pages: int) -> VmArea:
    """ld.so's mmap(NULL, pages, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS)."""
    size = pages << PAGE_SHIFT
    at = mmap.get_unmapped_area(m, mm, None, 0, size, 0, 0)
    flags = RW | MAY | VM_ACCOUNT
    vma = VmArea(mm, at, at + size, flags, at >> PAGE_SHIFT)
    mm.vmas.link(vma)
    m.committed_as += pages
    _account(mm, flags, pages)
    return vma


def _account(mm: MmStruct, flags: int, pages: int) -> None:
    mmap.vm_stat_account(mm, flags, pages)


def _total(parts: list[tuple[int, int, int]], bss: int) -> int:
    return (sum(p for p, _, _ in parts) + bss) << PAGE_SHIFT


def exec_program(m: Machine, path: str, cpu: int = 0) -> Task:
    """load_elf_binary(): a fresh mm for `path` with its loader, libc, vDSO and stack."""
    lay = m.layout
    mm = MmStruct(lay.task_size, m.kmodel.maple_tree)
    mm.pgd = m.pt.pgd_alloc(m.init_mm.pgd)
    mm.pgtables_bytes = PAGE_SIZE
    pid = m.new_pid()
    node = m.node_of_cpu(cpu)
    task = Task(pid, path.rsplit("/", 1)[-1][:15], mm, cpu, node)
    m.tasks[pid] = task
    prev_pid = m.current_pid
    m.current_pid = pid
    rnd = lay.arch_mmap_rnd(m.rng) if m.config.aslr else 0
    mm.mmap_base = lay.mmap_base(rnd, task.rlimit_stack, m.config.aslr)
    mm.mmap_legacy_base = page_align(lay.map_window // 3) + rnd
    # the program (a PIE) at ELF_ET_DYN_BASE
    prog = _file(m, path, sum(p for p, _, _ in PROGRAM))
    base = lay.elf_et_dyn_base
    if m.config.aslr:
        base += (m.rng.getrandbits(lay.mmap_rnd_bits - 6) << PAGE_SHIFT)
    end = _map_parts(m, mm, base, prog, PROGRAM, PROGRAM_BSS)
    mm.start_code, mm.end_code = base + PAGE_SIZE, base + 2 * PAGE_SIZE
    mm.start_data, mm.end_data = base + 4 * PAGE_SIZE, base + 5 * PAGE_SIZE
    brk = end
    if m.config.aslr:
        brk += m.rng.getrandbits(13) << PAGE_SHIFT  # arch_randomize_brk(): up to 32M
    mm.start_brk = mm.brk = brk
    # the stack at STACK_TOP, less the random offset
    top = lay.map_window - (lay.stack_rnd(m.rng) if m.config.aslr else 0)  # STACK_TOP
    sflags = RW | MAY | VM_GROWSDOWN | VM_ACCOUNT
    stack = VmArea(mm, top - STACK_PAGES * PAGE_SIZE, top, sflags,
                   (top - STACK_PAGES * PAGE_SIZE) >> PAGE_SHIFT)
    mm.vmas.link(stack)
    m.committed_as += STACK_PAGES
    _account(mm, sflags, STACK_PAGES)
    mm.start_stack = top - 0x1F0
    mm.arg_start, mm.arg_end = top - 0x100, top - 0xF0
    mm.env_start, mm.env_end = top - 0xF0, top - 0x10
    # load_elf_interp(): the dynamic loader top-down; arch_setup_additional_pages():
    # [vvar][vdso]; then ld.so maps libc (and its .bss) top-down below them
    i386 = lay.arch == "i386"
    ld = _file(m, LDSO_PATH_32 if i386 else LDSO_PATH, 0x35)
    at = mmap.get_unmapped_area(m, mm, ld, 0, _total(LDSO, 0), 0, 0)
    _map_parts(m, mm, at, ld, LDSO, 0)
    image: ProcessImage = m.kmodel.process_image
    size = sum(p for p, _r, _n in image.specials) << PAGE_SHIFT
    at = mmap.get_unmapped_area(m, mm, None, 0, size, 0, 0)
    for pages, rights, name in image.specials:
        # map_vdso(): [vvar] is VM_IO | VM_PFNMAP (vvar_fault inserts frames by number)
        flags = rights | VM_DONTEXPAND | (VM_MAYREAD | VM_MAYEXEC if rights & VM_EXEC
                                         else VM_MAYREAD | VM_IO | VM_PFNMAP)
        v = VmArea(mm, at, at + (pages << PAGE_SHIFT), flags, 0, None, name)
        v.vm_ops = "special_mapping_vmops"
        mm.vmas.link(v)
        _account(mm, flags, pages)
        at += pages << PAGE_SHIFT
    anon: list[tuple[int, int]] = []
    if image.rtld_anon is not None:
        anon.append((_map_anon(m, mm, image.rtld_anon[0]), image.rtld_anon[1]))
    cache = None
    if image.ld_so_cache:
        # /etc/ld.so.cache, read-only while ld.so looks libc up; nothing faults it here
        size = image.ld_so_cache << PAGE_SHIFT
        at = mmap.get_unmapped_area(m, mm, None, 0, size, 0, 0)
        cache = VmArea(mm, at, at + size, R | MAY, at >> PAGE_SHIFT)
        mm.vmas.link(cache)
    libc = _file(m, LIBC_PATH_32 if i386 else LIBC_PATH, max(o + p for p, _r, o in image.libc))
    at = mmap.get_unmapped_area(m, mm, libc, 0, _total(image.libc, LIBC_BSS), 0, 0)
    _map_parts(m, mm, at, libc, image.libc, LIBC_BSS)
    if image.tls_anon is not None:
        anon.append((_map_anon(m, mm, image.tls_anon[0]), image.tls_anon[1]))
    if cache is not None:
        mm.vmas.unlink(cache)
    for vma, touched in anon:
        # ld.so writes these: the last `touched` pages
        for va in range(vma.vm_end - (touched << PAGE_SHIFT), vma.vm_end, PAGE_SIZE):
            fault.access(m, task, va, "w", 0)
    # copy_strings(): argv and envp are written into the top page of the stack

    fault.access(m, task, top - 8, "w", 0)
    task.min_flt = task.maj_flt = 0
    if prev_pid:
        m.current_pid = prev_pid
    return task


__all__ = ["exec_program", "VmArea"]
