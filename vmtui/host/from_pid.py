"""Begin a simulation where a real process is: its address space, read from /proc/PID.

`machine_from_pid(pid, config)` builds a `Machine` whose process has the real
process's VMAs, as execve would have left them after everything the program
did since (fs/exec.c exec_mmap() swaps in the new mm; the old one goes through
mmput() -> exit_mmap()). Scenario commands then continue on it: a new mmap
lands where the kernel would put it, brk grows the real [heap], a write to a
library's data page is a copy-on-write fault.

What "the simulated maps equal the real maps" means (tests/host/test_from_pid.py
checks every rule against a live child process):

- every line of /proc/PID/maps below TASK_SIZE comes back byte for byte: the
  same start, end, perms, offset, dev, inode and name; files are created in the
  simulated file system under their real path (with their real dev and inode
  numbers), one file per (dev, inode, path), at least as large as the part of
  it that is mapped (the real size when the path still names the same inode);
- [vsyscall] (the gate VMA of the kernel half) is not a VMA: the engine prints
  its own line, as /proc does, in the `--xp` form of vsyscall=xonly;
- [heap] is the range [start_brk, brk): start_brk is where the first [heap] VMA
  starts and brk where the last one ends (the real brk may sit lower in that
  last page: /proc does not show it); without a [heap] VMA both are the
  start_brk of /proc/PID/stat, or the end of the program's last mapping;
- [stack] is the VMA holding start_stack (from /proc/PID/stat when it lies
  inside; else its top page); [vdso], [vvar], [vvar_vclock] and other bracketed
  names are special mappings, kept by name;
- vm_flags come from the VmFlags line of smaps (the bits the engine models:
  rd wr ex sh mr mw me ms gd pf dw lo io dc de lf ac nr sd mm); other advice
  bits (hugepage, dontdump, mergeable, ...) are dropped;
- mmap_base is the kernel's mmap_base() for this layout (arch/x86/mm/mmap.c:
  TASK_SIZE less the stack rlimit, the stack guard gap and, with ASLR, the
  largest stack randomisation, clamped to [128M, 5/6 TASK_SIZE]) less the
  random offset; the offset cannot be read, so it is taken from where the
  first top-down mapping ended: the dynamic loader's end when there is one
  (load_elf_interp() maps it first), else the highest mapping in the range the
  offset allows; with no candidate, the offset is 0.

With `resident=True`, every VMA also gets as many present pages as smaps
says (Rss), on the pages /proc/PID/pagemap shows present where it can be read
(the first pages otherwise): anonymous ones by a write fault (a copy for a
private file page), file ones by a read fault, and any extra that fault-around
mapped is zapped again. Special mappings ([vdso], [vvar]: no pages of their
own here) and swapped-out pages stay non-resident; copied-on-write pages of a
read-only private mapping (RELRO after mprotect) come back as file pages.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from vmtui.engine.boot import new_machine
from vmtui.engine.include.errors import KernelError, SignalError
from vmtui.engine.include.fs import File
from vmtui.engine.include.layout import PAGE_SHIFT, PAGE_SIZE, page_align
from vmtui.engine.include.machine import VMSTAT_NAMES, Machine, MachineConfig, Task
from vmtui.engine.include.mm_types import (
    VM_ACCOUNT,
    VM_DONTEXPAND,
    VM_EXEC,
    VM_FLAG_NAMES,
    VM_GROWSDOWN,
    VM_IO,
    VM_LOCKED,
    VM_LOCKONFAULT,
    VM_MAYEXEC,
    VM_MAYREAD,
    VM_MAYSHARE,
    VM_MAYWRITE,
    VM_PFNMAP,
    VM_READ,
    VM_SHARED,
    VM_WRITE,
    MmStruct,
    VmArea,
)
from vmtui.engine.include.pgtable import _PAGE_RW
from vmtui.engine.kernel import fork
from vmtui.host import procfs
from vmtui.host.procfs import AccessDenied, HostError, ProcessGone

if TYPE_CHECKING:
    from vmtui.host.procfs import Vma as HostVma

#: VmFlags mnemonic -> vm_flags bit, for the bits the engine models.
VMFLAG_BITS = {name: bit for bit, name in VM_FLAG_NAMES}
SPECIAL_MAPPING_OPS = "special_mapping_vmops"
HEAP, STACK, VSYSCALL = "[heap]", "[stack]", "[vsyscall]"
ADDR_NO_RANDOMIZE = 0x0040000  # include/uapi/linux/personality.h
RLIM_INFINITY = (1 << 64) - 1
SHMEM_PREFIXES = ("/dev/zero", "/SYSV", "/memfd:", "/dev/shm/", "[anon_shmem:")


class FromHostError(HostError):
    """The real process cannot be rebuilt here (a layout that does not fit, too little RAM)."""


# ------------------------------------------------------------------ reading /proc


def _read(pid: int, name: str) -> str:
    """/proc/PID/NAME, with a vanished or forbidden process as a one-line `HostError`."""
    path = procfs.pid_path(pid, name)
    try:
        return procfs.read_proc_text(path)
    except (FileNotFoundError, ProcessLookupError):
        raise ProcessGone(f"no such process ({path} is gone)", pid) from None
    except PermissionError:
        raise AccessDenied(f"permission denied reading {path} (run as the process's owner "
                           "or as root)", pid) from None
    except OSError as exc:
        raise HostError(f"cannot read {path}: {exc.strerror or exc}", pid) from None


def _stat_fields(pid: int) -> dict[str, int]:
    """The mm fields of /proc/PID/stat (do_task_stat()); 0 where the kernel hides them."""
    text = _read(pid, "stat").strip()
    f = text[text.rindex(")") + 2:].split()  # f[0] is field 3 of proc(5)
    names = {26: "start_code", 27: "end_code", 28: "start_stack", 45: "start_data",
             46: "end_data", 47: "start_brk", 48: "arg_start", 49: "arg_end",
             50: "env_start", 51: "env_end"}
    out = {}
    for n, key in names.items():
        try:
            out[key] = int(f[n - 3])
        except (IndexError, ValueError):
            out[key] = 0
    return out


def _stack_rlimit(pid: int) -> int:
    """The soft RLIMIT_STACK of /proc/PID/limits (8M when it cannot be read)."""
    try:
        text = _read(pid, "limits")
    except AccessDenied:
        return 8 << 20
    for line in text.splitlines():
        if line.startswith("Max stack size"):
            soft = line[len("Max stack size"):].split()[0]
            return RLIM_INFINITY if soft == "unlimited" else int(soft)
    return 8 << 20


def _randomized(pid: int) -> bool:
    """PF_RANDOMIZE: randomize_va_space is on and the personality lacks ADDR_NO_RANDOMIZE."""
    try:
        if int(procfs.read_proc_text("/proc/sys/kernel/randomize_va_space").strip()) == 0:
            return False
    except (OSError, ValueError):
        pass
    try:
        personality = int(_read(pid, "personality").strip(), 16)
    except (AccessDenied, ValueError):
        personality = 0
    return not personality & ADDR_NO_RANDOMIZE


# ------------------------------------------------------------------ building the mm


def _is_file(v: HostVma) -> bool:
    """A file mapping (vm_file set): an inode, or a path that is no bracketed name."""
    return v.inode != 0 or (bool(v.path) and not v.path.startswith("["))


def _flags_from_perms(v: HostVma) -> int:
    """vm_flags as mmap would have set them, when smaps gives no VmFlags line."""
    r, w, x, s = v.perms[0] == "r", v.perms[1] == "w", v.perms[2] == "x", v.perms[3] == "s"
    flags = (VM_READ if r else 0) | (VM_WRITE if w else 0) | (VM_EXEC if x else 0)
    if v.path.startswith("[") and v.path not in (HEAP, STACK) and not _is_file(v):
        flags |= VM_DONTEXPAND | VM_MAYREAD | (VM_MAYEXEC if x else 0)
        return flags | (VM_IO | VM_PFNMAP if v.path.startswith("[vvar") else 0)
    if s:
        # a shared mapping of a read-only file keeps VM_MAYSHARE only (do_mmap)
        flags |= VM_MAYSHARE | VM_MAYREAD | VM_MAYEXEC | (VM_SHARED | VM_MAYWRITE if w else 0)
    else:
        flags |= VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | (VM_ACCOUNT if w else 0)
    if v.path == STACK:
        flags |= VM_GROWSDOWN
    return flags


def vm_flags_of(v: HostVma) -> int:
    """The VMA's vm_flags: smaps' VmFlags where present, else derived from the perms."""
    if not v.vm_flags:
        return _flags_from_perms(v)
    flags = 0
    for name in v.vm_flags:
        flags |= VMFLAG_BITS.get(name, 0)
    return flags


def _file_size(path: str, inode: int, covered: int) -> int:
    """At least what the mappings cover; the real size when the path is still that inode."""
    if not path.startswith("/") or path.endswith(" (deleted)"):
        return covered
    try:
        st = os.stat(path)
    except OSError:
        return covered
    return max(covered, st.st_size) if st.st_ino == inode else covered


def _files(m: Machine, real: list[HostVma]) -> dict[tuple[str, int, str], File]:
    """One simulated file per (dev, inode, path), registered under its path."""
    covered: dict[tuple[str, int, str], int] = {}
    for v in real:
        if _is_file(v):
            key = (v.dev, v.inode, v.path)
            covered[key] = max(covered.get(key, 0), v.offset + v.size)
    files = {}
    for (dev, inode, path), size in covered.items():
        shmem = dev == "00:01" or path.startswith(SHMEM_PREFIXES)
        f = File(path, _file_size(path, inode, size), inode, dev, shmem)
        files[(dev, inode, path)] = f
        m.files.setdefault(path, f)
    return files


def _exit_mmap(m: Machine, mm: MmStruct) -> None:
    """mmput() -> exit_mmap() of the mm that boot exec'd: its VMAs, pages and tables go, and
    the files only it mapped leave the file table."""
    fork.exit_mmap(m, mm)
    for name, f in list(m.files.items()):
        if not f.i_mmap and not f.pages:
            del m.files[name]


def _link(m: Machine, mm: MmStruct, v: HostVma, files: dict[tuple[str, int, str], File]
          ) -> VmArea:
    """A vm_area_struct like the real one, linked and accounted as mmap_region() would."""
    from vmtui.engine.mm.mmap import vm_stat_account, vma_wants_writenotify

    flags = vm_flags_of(v)
    pages = v.size >> PAGE_SHIFT
    if _is_file(v):
        file = files[(v.dev, v.inode, v.path)]
        vma = VmArea(mm, v.start, v.end, flags, v.offset >> PAGE_SHIFT, file)
        file.i_mmap[vma] = None
        if vma_wants_writenotify(vma):
            vma.vm_page_prot &= ~_PAGE_RW
    else:
        named = v.path.startswith("[") and v.path not in (HEAP, STACK)
        vma = VmArea(mm, v.start, v.end, flags, v.start >> PAGE_SHIFT, None,
                     v.path if named else "")
        if named and not v.path.startswith("[anon:"):
            vma.vm_ops = SPECIAL_MAPPING_OPS
    mm.vmas.link(vma)
    vm_stat_account(mm, flags, pages)
    if flags & VM_ACCOUNT:
        m.committed_as += pages
    if flags & VM_LOCKED:
        mm.locked_vm += pages
    return vma


def _inside(addr: int, vmas: list[HostVma]) -> HostVma | None:
    return next((v for v in vmas if v.start <= addr < v.end), None)


def _set_mm_fields(mm: MmStruct, real: list[HostVma], stat: dict[str, int]) -> None:
    """start_code ... env_end, start_brk/brk and start_stack, as /proc shows them."""
    for key in ("start_code", "end_code", "start_data", "end_data", "arg_start", "arg_end",
                "env_start", "env_end"):
        val = stat[key]
        setattr(mm, key, val if val > 1 else 0)  # unpermitted readers see 0 or 1
    heap = [v for v in real if v.path == HEAP]
    if heap:
        mm.start_brk, mm.brk = heap[0].start, heap[-1].end
    elif stat["start_brk"] > 1:
        mm.start_brk = mm.brk = stat["start_brk"]
    else:
        # no heap yet: the break starts after the program's last mapping (its BSS)
        prog = _inside(mm.start_code, real) if mm.start_code else None
        if prog is None:
            prog = next((v for v in real if _is_file(v)), None)
        end = 0
        if prog is not None:
            i = real.index(prog)
            end = prog.end
            for v in real[i + 1:]:
                same = (v.dev, v.inode, v.path) == (prog.dev, prog.inode, prog.path)
                if not (same or (not v.path and v.start == end)):
                    break
                end = v.end
        mm.start_brk = mm.brk = page_align(end)
    stack = next((v for v in real if v.path == STACK), None)
    if stack is not None:
        sp = stat["start_stack"]
        mm.start_stack = sp if stack.start <= sp < stack.end else stack.end - PAGE_SIZE
        if not mm.arg_start:
            mm.arg_start = mm.arg_end = mm.env_start = mm.env_end = stack.end - 0x10


def _interpreter(real: list[HostVma]) -> list[HostVma]:
    """The dynamic loader's VMAs (ld-linux*.so*, ld.so, ld-musl*): mapped first, top-down."""
    for v in real:
        base = v.path.rsplit("/", 1)[-1]
        if _is_file(v) and (base.startswith(("ld-linux", "ld-musl")) or base == "ld.so" or
                            base.startswith("ld64.so")):
            return [w for w in real if (w.dev, w.inode, w.path) == (v.dev, v.inode, v.path)]
    return []


def infer_mmap_base(m: Machine, real: list[HostVma], rlim_stack: int, randomize: bool) -> int:
    """mmap_base(): the layout's formula, less the ASLR offset read from the real layout."""
    lay = m.layout
    nominal = lay.mmap_base(0, min(rlim_stack, 1 << 62), randomize)
    lowest = nominal - ((((1 << lay.mmap_rnd_bits) - 1) << PAGE_SHIFT) if randomize else 0)
    ld = _interpreter(real)
    if ld:
        end = max(v.end for v in ld)
        if lowest <= end <= nominal:
            return end
    ends = [v.end for v in real if lowest <= v.end <= nominal and v.path != STACK]
    return max(ends) if ends else nominal


# ------------------------------------------------------------------ resident pages


def _wanted_pages(pid: int, v: HostVma, vma: VmArea) -> list[tuple[int, str]]:
    """(address, "w" or "r") of each page to make present, from smaps Rss and pagemap."""
    rss = v.kb("Rss") * 1024 >> PAGE_SHIFT
    anon = v.kb("Anonymous") * 1024 >> PAGE_SHIFT
    if not rss:
        return []
    pm = procfs.read_pagemap(pid, v.start, v.end)
    if pm.available and not pm.truncated:
        present = [(pm.start + (i << PAGE_SHIFT), bool(raw & procfs.PM_FILE))
                   for i, raw in enumerate(pm.raw) if raw & procfs.PM_PRESENT]
    else:
        present = [(v.start + (i << PAGE_SHIFT), i >= anon) for i in range(min(rss, v.pages))]
    private = not vma.vm_flags & VM_SHARED
    writable = bool(vma.vm_flags & VM_WRITE)
    out = []
    for addr, file_page in present:
        if private and not file_page and anon > 0:
            # anonymous (or a private file page copied on write): a write makes it
            anon -= 1
            out.append((addr, "w" if writable else "r"))
        else:
            # a file page, or a present PTE of the zero page (not in Rss): a read maps it
            out.append((addr, "r"))
    return out


def _make_resident(m: Machine, task: Task, pid: int, pairs: list[tuple[HostVma, VmArea]]
                   ) -> None:
    """Fault in what smaps/pagemap show present, then zap what fault-around added."""
    from vmtui.engine.arch.x86 import access
    from vmtui.engine.mm.mmap import zap_page_range

    mm = task.mm
    assert mm.pgd is not None
    for v, vma in pairs:
        if vma.vm_ops == SPECIAL_MAPPING_OPS or vma.vm_flags & (VM_IO | VM_PFNMAP) or \
                not vma.vm_flags & (VM_READ | VM_WRITE | VM_EXEC):
            continue
        if vma.vm_flags & VM_LOCKED and not vma.vm_flags & VM_LOCKONFAULT:
            # mlock() made every page present: populate, as mlock_fixup() did
            write = (vma.vm_flags & (VM_WRITE | VM_SHARED)) == VM_WRITE
            access.populate(m, task, vma, vma.vm_start, vma.vm_end, write)
            continue
        wanted = _wanted_pages(pid, v, vma)
        i = 0
        while i < len(wanted):
            start, kind = wanted[i]
            j = i + 1
            while j < len(wanted) and wanted[j] == (start + ((j - i) << PAGE_SHIFT), kind):
                j += 1
            try:
                access.user_access(m, task, start, (j - i) << PAGE_SHIFT, kind)
            except (KernelError, SignalError) as exc:
                raise FromHostError(f"cannot fault in {start:#x} of {v.line.strip()!r}: {exc}",
                                    pid) from None
            i = j
        keep = {addr for addr, _ in wanted}
        extra = [va for _t, _i, va in m.pt.iter_ptes(mm.pgd, vma.vm_start, vma.vm_end)
                 if va not in keep]
        for va in extra:
            zap_page_range(m, vma, va, va + PAGE_SIZE)


# ------------------------------------------------------------------ the machine


def machine_from_pid(pid: int, config: MachineConfig | None = None, *,
                     resident: bool = False) -> Machine:
    """A machine whose current process (PID 1 of the simulation, named after the real one)
    has the address space of real process `pid`; see the module docstring for the rules.

    Raises `HostError` (`ProcessGone`, `AccessDenied`, `FromHostError`), whose text is one
    line naming the PID, when the process cannot be read or rebuilt.
    """
    if pid <= 0:
        raise HostError(f"a PID is a positive number, not {pid}")
    status = procfs.read_status(pid)
    if status.is_zombie:
        raise ProcessGone(f"{status.name} has exited: its address space is gone", pid)
    if status.is_kernel_thread:
        raise FromHostError(f"{status.name} is a kernel thread: it has no user address space",
                            pid)
    real = procfs.read_smaps(pid)
    stat = _stat_fields(pid)
    rlim_stack = _stack_rlimit(pid)
    randomize = _randomized(pid)
    if not real:
        raise ProcessGone(f"{status.name} has no mappings left (it is exiting)", pid)
    if procfs.PAGE_SIZE != PAGE_SIZE:
        raise FromHostError(f"this machine's pages are {procfs.PAGE_SIZE} bytes; the "
                            f"engine models {PAGE_SIZE}-byte pages", pid)
    m = new_machine(config)
    lay = m.layout
    # the gate VMA of the real kernel half is no VMA of the mm (the layout prints its own)
    user = [v for v in real if v.path != VSYSCALL and v.start < 1 << 63]
    for v in user:
        if v.end > lay.task_size:
            raise FromHostError(f"{v.start:#x}-{v.end:#x} lies above TASK_SIZE "
                                f"{lay.task_size:#x} of arch {lay.arch}: choose an arch whose "
                                "user half holds it (x86_64-5level)", pid)
    rss_pages = sum(v.kb("Rss") for v in user) * 1024 >> PAGE_SHIFT
    if resident and rss_pages > m.mem.totalram // 2:
        raise FromHostError(f"its RSS of {rss_pages << PAGE_SHIFT >> 20} MiB does not fit half "
                            f"the simulated RAM ({m.mem.totalram << PAGE_SHIFT >> 20} MiB): "
                            "give the machine more ram", pid)
    task = m.current
    m.log.muted += 1
    try:
        _exit_mmap(m, task.mm)
        # exec_mmap(): the task gets a fresh mm, built from the real VMAs
        mm = MmStruct(lay.task_size)
        mm.pgd = m.pt.pgd_alloc(m.init_mm.pgd)
        mm.pgtables_bytes = PAGE_SIZE
        task.mm = mm
        mm.owner = task
        task.comm = status.name[:15]
        task.rlimit_stack = min(rlim_stack, 1 << 62)
        task.malloc = None
        files = _files(m, user)
        pairs = [(v, _link(m, mm, v, files)) for v in user]
        _set_mm_fields(mm, user, stat)
        mm.mmap_base = infer_mmap_base(m, user, rlim_stack, randomize)
        nominal = lay.mmap_base(0, task.rlimit_stack, randomize)
        mm.mmap_legacy_base = page_align(lay.task_size // 3) + (nominal - mm.mmap_base)
        if resident:
            _make_resident(m, task, pid, pairs)
    finally:
        m.log.muted -= 1
    mm.hiwater_rss, mm.hiwater_vm = mm.rss(), mm.total_vm
    # counters count from here on, as they do from a scenario's first step
    task.min_flt = task.maj_flt = 0
    m.vmstat = dict.fromkeys(VMSTAT_NAMES, 0)
    m.fault_kinds = {}
    m.last_fault = None
    m.last_walk = None
    m.tlb.clear()
    m.tlb_stats = {"hits": 0, "misses": 0, "flushes": 0}
    m.log.take()
    return m


__all__ = ["FromHostError", "infer_mmap_base", "machine_from_pid", "vm_flags_of"]
