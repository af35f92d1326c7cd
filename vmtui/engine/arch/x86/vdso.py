"""The special mappings [vvar] and [vdso] (arch/x86/entry/vdso/vma.c, mm/mmap.c, v5.4).

_install_special_mapping() gives a VMA special_mapping_vmops: no file, no
anon_vma, no ->map_pages (so no fault-around), and a ->fault of its own that
special_mapping_fault() calls. vdso_fault() hands back a page of the vDSO image,
a kernel page with a struct page: finish_fault() maps it as it maps a file page
(page_add_file_rmap, MM_FILEPAGES), which is why [vdso] shows Rss in smaps.
vvar_fault() inserts the frame of the kernel's __vvar_page by number
(vmf_insert_pfn: a special PTE, [vvar] is VM_IO | VM_PFNMAP, nothing is counted)
and answers SIGBUS for the pvclock and hvclock pages, which a machine without a
paravirtual clock does not have. Fetching an instruction from [vvar] is
SEGV_ACCERR: its PTE is NX and access_error() refuses the protection fault.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vmtui.engine.include.layout import PAGE_SHIFT
from vmtui.engine.include.mmzone import Page, PG_reserved, PG_uptodate
from vmtui.engine.include.pgtable import _PAGE_SPECIAL, mk_pte
from vmtui.engine.mm import memory

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine, Task
    from vmtui.engine.mm.memory import FaultInfo

F = "arch/x86/entry/vdso/vma.c"
VM_FAULT_SIGBUS = 0x2
VM_FAULT_NOPAGE = 0x100
VVAR_PAGE_OFFSET = 0  # image->sym_vvar_page - sym_vvar_start: the first page of [vvar]
VDSO_IMAGE_PAGES = 2  # vdso_image_64.size: two pages of text and data


def is_vvar(name: str) -> bool:
    """[vvar] (and the [vvar_vclock] of kernels since 6.13): vvar_fault()'s mapping."""
    return name.startswith("[vvar")


def vdso_page(m: Machine, index: int) -> Page:
    """virt_to_page(image->data + index * PAGE_SIZE): a page of the kernel image."""
    pfn = m.special_base + 1 + index
    page = m.special_pages.get(pfn)
    if page is None:
        page = Page(pfn, m.mem.zone_of(pfn), PG_reserved | PG_uptodate)
        m.special_pages[pfn] = page
    return page


def vvar_fault(m: Machine, vmf: FaultInfo, name: str, pgoff: int) -> tuple[None, int]:
    """vvar_fault() (5.4: arch/x86/entry/vdso/vma.c; 6.18: lib/vdso/datastore.c, and
    vvar_vclock_fault() for [vvar_vclock]): the data pages the kernel has are inserted by
    frame number; the others are VM_FAULT_SIGBUS. Which pages a kernel has, and what the
    missing ones are, come from the machine's kernel model (kmodel.vvar_pages)."""
    log = m.log
    fn, where, pages, missing = m.kmodel.vvar_pages[name]
    what = pages.get(pgoff)
    if what is None:
        vmf.kind = f"special_mapping_fault ({fn}: SIGBUS)"
        why = missing.get(pgoff, "the pvclock/hvclock page, which this machine (no "
                          "paravirtual clock) does not have")
        log.emit(fn, where, f"page {pgoff} of {name} is {why}: VM_FAULT_SIGBUS")
        return None, VM_FAULT_SIGBUS
    # vmf_insert_pfn(): a kernel data page by frame number, pte_mkspecial(); the first one
    # of [vvar] is the frame after the zero page, the others follow the vDSO image
    order = [(n, p) for n, v in m.kmodel.vvar_pages.items() for p in sorted(v[2])]
    k = order.index((name, pgoff))
    pfn = m.special_base if k == 0 else m.special_base + VDSO_IMAGE_PAGES + k
    memory._set_pte(m, vmf, mk_pte(pfn, vmf.vma.vm_page_prot) | _PAGE_SPECIAL)
    vmf.kind = f"special_mapping_fault ({fn})"
    log.emit(fn, where, f"{name}: vmf_insert_pfn() maps the kernel's {what} "
             f"(frame {pfn:#x}) read-only by frame number: a VM_PFNMAP page, "
             "no struct page is counted (not in Rss)",
             addr=hex(vmf.address), pfn=pfn)
    return None, VM_FAULT_NOPAGE


def special_mapping_fault(m: Machine, task: Task, vmf: FaultInfo) -> tuple[Page | None, int]:
    """special_mapping_fault() (mm/mmap.c): the mapping's own ->fault. A read maps the page
    (vvar_fault inserts its frame; a vDSO page is mapped read-only as finish_fault() maps
    a file page) and returns (None, ret); a write (a debugger's FOLL_FORCE) gets the vDSO
    page back for do_cow_fault() to copy."""
    vma = vmf.vma
    pgoff = (vmf.address - vma.vm_start) >> PAGE_SHIFT
    log = m.log
    if is_vvar(vma.name):
        return vvar_fault(m, vmf, vma.name, pgoff)
    if pgoff >= VDSO_IMAGE_PAGES:
        vmf.kind = "special_mapping_fault (SIGBUS)"
        log.emit("vdso_fault", F, f"page {pgoff} is beyond the vDSO image "
                 f"({VDSO_IMAGE_PAGES} pages): VM_FAULT_SIGBUS")
        return None, VM_FAULT_SIGBUS
    page = vdso_page(m, pgoff)
    if vmf.write:
        return page, 0
    memory._set_pte(m, vmf, mk_pte(page.pfn, vma.vm_page_prot))
    memory.page_add_file_rmap(page, vma)
    vmf.kind = "special_mapping_fault (vdso_fault)"
    log.emit("vdso_fault", F, f"page {pgoff} of the vDSO image (kernel frame {page.pfn:#x}) "
             "mapped read-only; counted as a file page (RssFile), as finish_fault() does",
             addr=hex(vmf.address), pfn=page.pfn)
    return None, 0
