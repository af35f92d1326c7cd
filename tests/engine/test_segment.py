"""x86 segmentation (engine/arch/x86/segment.py): descriptors, the Linux GDTs, translate, faults."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vmtui.engine.arch.x86 import ldt, tls
from vmtui.engine.arch.x86.segment import (
    Segmentation,
    SegmentFault,
    parse_segment_spec,
    segment_command,
)
from vmtui.engine.include.desc import (
    I386_SELECTORS,
    X86_64_SELECTORS,
    Descriptor,
    Selector,
    UserDesc,
    fill_ldt,
)
from vmtui.engine.include.errors import KernelError, SignalError
from vmtui.engine.include.events import EventLog

BUDGET = settings(max_examples=150, deadline=None)

descriptors = st.builds(
    Descriptor,
    base=st.integers(0, 2**32 - 1),
    limit=st.integers(0, 2**20 - 1),
    type=st.integers(0, 15),
    s=st.booleans(),
    dpl=st.integers(0, 3),
    p=st.booleans(),
    avl=st.booleans(),
    l=st.booleans(),
    db=st.booleans(),
    g=st.booleans(),
)


def _fault(seg: Segmentation, spec: str) -> SegmentFault:
    with pytest.raises(SegmentFault) as info:
        segment_command(seg, EventLog(), spec)
    return info.value


class TestDescriptorFormat:
    """The 8-byte descriptor encodes and decodes like the CPU reads it."""

    @BUDGET
    @given(descriptors)
    def test_fields_round_trip(self, d: Descriptor) -> None:
        raw = d.encode()
        assert 0 <= raw < 2**64
        assert Descriptor.decode(raw) == d

    @BUDGET
    @given(st.integers(0, 2**64 - 1))
    def test_every_quadword_round_trips(self, raw: int) -> None:
        assert Descriptor.decode(raw).encode() == raw

    @BUDGET
    @given(descriptors)
    def test_flags_word_rebuilds_the_descriptor(self, d: Descriptor) -> None:
        """GDT_ENTRY_INIT(flags, base, limit) with our flags gives the same descriptor."""
        assert Descriptor.from_flags(d.flags, d.base, d.limit) == d

    @pytest.mark.parametrize(
        ("flags", "quad"),
        [
            (0xC0F3, 0x00CFF3000000FFFF),  # x86-64 __USER_DS
            (0xA0FB, 0x00AFFB000000FFFF),  # x86-64 __USER_CS (L=1)
            (0xA09B, 0x00AF9B000000FFFF),  # x86-64 __KERNEL_CS
            (0xC09A, 0x00CF9A000000FFFF),  # i386 __KERNEL_CS
        ],
    )
    def test_well_known_quadwords(self, flags: int, quad: int) -> None:
        """The values every OS-dev tutorial prints for flat 4 GiB segments."""
        assert Descriptor.from_flags(flags, 0, 0xFFFFF).encode() == quad

    def test_base_and_limit_are_split_across_the_quadword(self) -> None:
        d = Descriptor(base=0x12345678, limit=0xABCDE, type=3, s=True, dpl=3, p=True)
        raw = d.encode()
        assert raw & 0xFFFF == 0xBCDE  # limit 15..0
        assert (raw >> 16) & 0xFFFFFF == 0x345678  # base 23..0
        assert (raw >> 48) & 0xF == 0xA  # limit 19..16
        assert raw >> 56 == 0x12  # base 31..24

    def test_granularity_scales_the_limit(self) -> None:
        assert Descriptor(limit=0xFFFFF, g=True).byte_limit == 0xFFFFFFFF
        assert Descriptor(limit=0xFFFF, g=False).byte_limit == 0xFFFF
        assert Descriptor(limit=0x1, g=True).byte_limit == 0x1FFF

    def test_out_of_range_fields_are_refused(self) -> None:
        with pytest.raises(ValueError):
            Descriptor(base=2**32)
        with pytest.raises(ValueError):
            Descriptor(limit=2**20)

    def test_fill_ldt_sets_accessed_and_dpl3(self) -> None:
        """fill_ldt(): DPL 3, S=1, accessed preset, L never set."""
        d = fill_ldt(UserDesc(0, 0x10000, 0xFFFF, seg_32bit=False, read_exec_only=True))
        assert (d.dpl, d.s, d.accessed, d.l, d.db) == (3, True, True, False, False)
        assert d.is_data and not d.writable


class TestSelector:
    def test_fields(self) -> None:
        s = Selector(0x2B)
        assert (s.index, s.ti, s.rpl, s.table) == (5, 0, 3, "GDT")
        t = Selector(0x7)
        assert (t.index, t.ti, t.rpl, t.table) == (0, 1, 3, "LDT")

    def test_null_is_gdt_index_zero_only(self) -> None:
        assert Selector(0).is_null and Selector(3).is_null
        assert not Selector(4).is_null  # LDT entry 0 is a real segment

    def test_make_matches_segment_h(self) -> None:
        assert Selector.make(15, 0, 3).value == 0x7B  # i386 __USER_DS
        assert Selector.make(6, 0, 3).value == 0x33  # x86-64 __USER_CS
        assert Selector(0x2B).error_code == 0x28

    def test_describe(self) -> None:
        assert "index 5, TI=0 (GDT), RPL=3" in Selector(0x2B).describe()


class TestLinuxGdt:
    """The selector values of segment.h decode to the descriptors gdt_page holds."""

    @pytest.mark.parametrize(
        ("name", "code", "dpl", "long"),
        [
            ("__KERNEL32_CS", True, 0, False),
            ("__KERNEL_CS", True, 0, True),
            ("__KERNEL_DS", False, 0, False),
            ("__USER32_CS", True, 3, False),
            ("__USER_DS", False, 3, False),
            ("__USER_CS", True, 3, True),
        ],
    )
    def test_x86_64(self, name: str, code: bool, dpl: int, long: bool) -> None:
        seg = Segmentation.from_arch("x86_64")
        sel = Selector(X86_64_SELECTORS[name])
        d = seg.gdt.get(sel.index)
        assert (d.is_code, d.dpl, d.l, d.p, d.base) == (code, dpl, long, True, 0)
        assert d.byte_limit == 0xFFFFFFFF
        assert sel.rpl == dpl

    def test_x86_64_values(self) -> None:
        assert X86_64_SELECTORS["__KERNEL_CS"] == 0x10
        assert X86_64_SELECTORS["__USER_DS"] == 0x2B
        assert X86_64_SELECTORS["__USER_CS"] == 0x33
        seg = Segmentation.from_arch("x86_64")
        assert len(seg.gdt) == 16 and seg.gdt.limit == 0x7F
        tss = seg.gdt.get(8)
        assert tss.is_system and tss.type == 0xB  # busy 64-bit TSS, two slots
        assert seg.gdt.get(15).expand_down  # GDT_ENTRY_CPUNODE

    @pytest.mark.parametrize(
        ("name", "code", "dpl"),
        [("__KERNEL_CS", True, 0), ("__KERNEL_DS", False, 0), ("__USER_CS", True, 3),
         ("__USER_DS", False, 3)],
    )  # fmt: skip
    def test_i386(self, name: str, code: bool, dpl: int) -> None:
        seg = Segmentation.from_arch("i386")
        d = seg.gdt.get(Selector(I386_SELECTORS[name]).index)
        assert (d.is_code, d.dpl, d.db, d.g, d.base) == (code, dpl, True, True, 0)

    def test_i386_values_and_real_bases(self) -> None:
        assert [I386_SELECTORS[n] for n in ("__KERNEL_CS", "__KERNEL_DS", "__USER_CS")] == [
            0x60,
            0x68,
            0x73,
        ]
        assert I386_SELECTORS["__USER_DS"] == 0x7B
        seg = Segmentation.from_arch("i386")
        assert seg.user_regs["gs"] == 0x33  # glibc's TLS: GDT entry 6
        tls = seg.gdt.get(6)
        assert tls.base != 0 and tls.dpl == 3 and tls.is_data
        percpu = seg.gdt.get(Selector(I386_SELECTORS["__KERNEL_PERCPU"]).index)
        assert percpu.base != 0 and percpu.dpl == 0
        canary = seg.gdt.get(Selector(I386_SELECTORS["__KERNEL_STACK_CANARY"]).index)
        assert canary.byte_limit == 0x18
        seg._check()


class TestTranslate:
    def test_flat_64bit_user_ds_is_identity(self) -> None:
        seg = Segmentation.from_arch("x86_64")
        linear, text = segment_command(seg, EventLog(), "0x2b:0x7fffdeadb000")
        assert linear == 0x7FFFDEADB000
        assert "index 5, TI=0 (GDT), RPL=3" in text

    @BUDGET
    @given(st.integers(0, 2**47 - 1))
    def test_flat_64bit_any_canonical_offset(self, off: int) -> None:
        seg = Segmentation.from_arch("x86_64")
        assert seg.translate(0x2B, off).linear == off

    def test_null_ds_is_fine_in_64bit_mode(self) -> None:
        seg = Segmentation.from_arch("x86_64")
        assert seg.user_regs["ds"] == 0
        assert seg.translate("ds", 0x1000).linear == 0x1000

    def test_fs_uses_fs_base_in_64bit_mode(self) -> None:
        seg = Segmentation.from_arch("x86_64")
        linear, _ = segment_command(seg, EventLog(), "fs:0x28")
        assert linear == seg.fs_base + 0x28 and seg.fs_base != 0

    def test_i386_tls_base_plus_offset(self) -> None:
        seg = Segmentation.from_arch("i386")
        base = seg.gdt.get(6).base
        linear, text = segment_command(seg, EventLog(), "gs:0x14")
        assert linear == base + 0x14
        assert f"{base:#x} + 0x14" in text

    def test_i386_ldt_16bit_segment(self) -> None:
        seg = Segmentation.from_arch("i386")
        sel = ldt.write_ldt(seg, 0, 0x10000, 0xFFFF, seg_32bit=False)
        assert sel == 0x7
        linear, text = segment_command(seg, EventLog(), "0x7:0x1234")
        assert linear == 0x11234
        assert "TI=1 (LDT)" in text
        seg._check()

    def test_x86_64_ignores_ldt_base_in_64bit_but_not_in_compat(self) -> None:
        flat = Segmentation.from_arch("x86_64")
        ldt.write_ldt(flat, 0, 0x10000, 0xFFFF, seg_32bit=False)
        assert flat.translate(0x7, 0x1234).linear == 0x1234
        compat = Segmentation.from_arch("x86_64", compat=True)
        assert compat.mode() == "compatibility"
        ldt.write_ldt(compat, 0, 0x10000, 0xFFFF, seg_32bit=False)
        assert compat.translate(0x7, 0x1234).linear == 0x11234

    @BUDGET
    @given(
        base=st.integers(0, 2**32 - 1),
        limit=st.integers(0, 2**20 - 1),
        off=st.integers(0, 2**32 - 1),
    )
    def test_i386_ldt_base_limit_property(self, base: int, limit: int, off: int) -> None:
        seg = Segmentation.from_arch("i386")
        ldt.write_ldt(seg, 0, base, limit)
        if off <= limit:
            assert seg.translate(0x7, off).linear == (base + off) % 2**32
        else:
            with pytest.raises(SignalError) as info:
                seg.translate(0x7, off)
            assert info.value.signal == "SIGSEGV"

    def test_wraps_mod_2_32(self) -> None:
        seg = Segmentation.from_arch("i386")
        ldt.write_ldt(seg, 0, 0xFFFFF000, 0xFFFFF, limit_in_pages=True)
        tr = seg.translate(0x7, 0x2000)
        assert tr.linear == 0x1000 and "wrapped" in tr.text

    def test_far_jmp_into_user32_cs_switches_to_compat(self) -> None:
        seg = Segmentation.from_arch("x86_64")
        tr = seg.translate(0x23, 0x8048000, access="x")
        assert tr.mode == "compatibility" and tr.linear == 0x8048000

    def test_cpunode_is_expand_down_in_compat(self) -> None:
        seg = Segmentation.from_arch("x86_64", compat=True)
        assert seg.translate(0x7B, 1).linear == 1
        with pytest.raises(SegmentFault, match="expand-down"):
            seg.translate(0x7B, 0)

    def test_kernel_percpu_segment(self) -> None:
        seg = Segmentation.from_arch("i386")
        base = seg.gdt.get(27).base
        linear, _ = segment_command(seg, EventLog(), "fs:0x10 cpl=0")
        assert linear == base + 0x10

    def test_cpu_sets_accessed_bit(self) -> None:
        seg = Segmentation.from_arch("i386")
        assert not seg.gdt.get(15).accessed  # GDT_ENTRY_INIT(0xc0f2, ...)
        seg.translate(0x7B, 0)
        assert seg.gdt.get(15).accessed

    def test_load_segment_updates_register(self) -> None:
        seg = Segmentation.from_arch("i386")
        ldt.write_ldt(seg, 2, 0x40000, 0xFFF)
        seg.load_segment("es", 0x17)
        assert seg.user_regs["es"] == 0x17
        assert seg.translate("es", 0x10).linear == 0x40010

    def test_fork_copy_has_its_own_ldt(self) -> None:
        parent = Segmentation.from_arch("i386")
        ldt.write_ldt(parent, 0, 0x10000, 0xFFFF)
        child = parent.copy()
        ldt.write_ldt(child, 0, 0x50000, 0xFFFF)
        assert parent.translate(0x7, 0).linear == 0x10000
        assert child.translate(0x7, 0).linear == 0x50000


class TestFaults:
    """Each check the CPU makes, failing, and the signal Linux sends for it."""

    def test_limit_violation(self) -> None:
        seg = Segmentation.from_arch("i386")
        ldt.write_ldt(seg, 0, 0x10000, 0xFFFF, seg_32bit=False)
        e = _fault(seg, "0x7:0x10000")
        assert (e.signal, e.code, e.vector) == ("SIGSEGV", "SI_KERNEL", "#GP")
        assert "#GP(0)" in e.why and "limit" in e.why
        assert e.addr == 0x20000
        assert e.translation.fault == "#GP(0)"

    def test_null_selector_in_32bit_mode(self) -> None:
        seg = Segmentation.from_arch("i386")
        e = _fault(seg, "0:0x10")
        assert e.signal == "SIGSEGV" and "#GP(0)" in e.why and "null" in e.why
        e2 = _fault(seg, "fs:0x10")  # user fs is 0 on i386
        assert "null" in e2.why

    def test_null_into_cs(self) -> None:
        e = _fault(Segmentation.from_arch("x86_64"), "0:0x1000 x")
        assert "#GP(0)" in e.why

    def test_privilege_kernel_ds_from_user(self) -> None:
        e = _fault(Segmentation.from_arch("x86_64"), "0x18:0x10")
        assert (e.signal, e.code) == ("SIGSEGV", "SI_KERNEL")
        assert "#GP(0x18)" in e.why and "DPL 0 < max(CPL 3, RPL 0)" in e.why

    def test_privilege_rpl_alone(self) -> None:
        """Even at CPL 0, RPL 3 cannot reach a DPL 0 segment."""
        e = _fault(Segmentation.from_arch("x86_64"), "0x1b:0 cpl=0")
        assert "#GP(0x18)" in e.why

    def test_kernel_code_from_user(self) -> None:
        e = _fault(Segmentation.from_arch("i386"), "0x60:0x100 x")
        assert "#GP(0x60)" in e.why

    def test_write_to_read_only(self) -> None:
        seg = Segmentation.from_arch("i386")
        ldt.write_ldt(seg, 0, 0x10000, 0xFFFF, read_exec_only=True)
        assert seg.translate(0x7, 0x10).linear == 0x10010  # reading is fine
        e = _fault(seg, "0x7:0x10 w")
        assert (e.signal, e.code) == ("SIGSEGV", "SI_KERNEL")
        assert "read-only" in e.why

    def test_write_through_cs(self) -> None:
        e = _fault(Segmentation.from_arch("i386"), "cs:0x10 w")
        assert "code segment" in e.why

    def test_execute_data_segment(self) -> None:
        e = _fault(Segmentation.from_arch("x86_64"), "0x2b:0x1000 x")
        assert "#GP(0x28)" in e.why and "not a code segment" in e.why

    def test_not_present_is_sigbus(self) -> None:
        """#NP goes through do_segment_not_present(): SIGBUS, not SIGSEGV."""
        seg = Segmentation.from_arch("i386")
        ldt.write_ldt(seg, 1, 0x10000, 0xFFF, seg_not_present=True)
        e = _fault(seg, "0xf:0")
        assert (e.signal, e.code, e.vector) == ("SIGBUS", "SI_KERNEL", "#NP")
        assert "#NP(0xc)" in e.why

    def test_index_beyond_gdt(self) -> None:
        e = _fault(Segmentation.from_arch("x86_64"), "0x83:0")
        assert "#GP(0x80)" in e.why and "beyond" in e.why

    def test_ldt_selector_without_ldt(self) -> None:
        e = _fault(Segmentation.from_arch("x86_64"), "0x7:0")
        assert "#GP(0x4)" in e.why and "no LDT" in e.why

    def test_system_descriptor_into_ds(self) -> None:
        e = _fault(Segmentation.from_arch("x86_64"), "0x40:0")  # the TSS
        assert "#GP(0x40)" in e.why

    def test_non_canonical(self) -> None:
        e = _fault(Segmentation.from_arch("x86_64"), "0x2b:0x800000000000")
        assert "#GP(0)" in e.why and "non-canonical" in e.why
        five = Segmentation.from_arch("x86_64-5level")
        assert five.translate(0x2B, 0x800000000000).linear == 0x800000000000

    def test_stack_limit_is_ss_fault(self) -> None:
        seg = Segmentation.from_arch("i386")
        ldt.write_ldt(seg, 0, 0x10000, 0xFFF)
        with pytest.raises(SegmentFault) as info:
            seg.translate(0x7, 0x2000, reg="ss")
        assert info.value.vector == "#SS" and info.value.signal == "SIGBUS"

    def test_fault_events_name_the_handler(self) -> None:
        log = EventLog()
        with pytest.raises(SegmentFault):
            segment_command(Segmentation.from_arch("x86_64"), log, "0x18:0")
        last = log.take()[-1]
        assert (last.fn, last.file) == ("do_general_protection", "arch/x86/kernel/traps.c")


class TestCommand:
    def test_events_name_kernel_pieces(self) -> None:
        seg = Segmentation.from_arch("i386")
        ldt.write_ldt(seg, 0, 0x10000, 0xFFFF, seg_32bit=False)
        log = EventLog()
        segment_command(seg, log, "0x7b:0")
        segment_command(seg, log, "0x7:0")
        pairs = {(e.fn, e.file) for e in log.take()}
        assert ("GDT lookup", "arch/x86/kernel/cpu/common.c") in pairs
        assert ("LDT lookup", "arch/x86/kernel/ldt.c") in pairs
        assert ("loadsegment", "arch/x86/include/asm/segment.h") in pairs

    def test_decimal_and_access_words(self) -> None:
        p = parse_segment_spec("segment 43:4096 write cpl=0")
        assert (p.selector, p.offset, p.access, p.cpl) == (43, 4096, "w", 0)
        assert parse_segment_spec("DS:0x10").selector == "ds"

    @pytest.mark.parametrize(
        "spec",
        ["", "0x2b", "0x2b:", ":0x10", "xx:1", "0x10000:0", "ds:0x10 q", "0x2b:zz", "ds:1 cpl=4"],
    )
    def test_bad_spec_is_einval(self, spec: str) -> None:
        with pytest.raises(KernelError) as info:
            segment_command(Segmentation.from_arch("x86_64"), EventLog(), spec)
        assert info.value.errno == "EINVAL"
        assert "SELECTOR:OFFSET" in info.value.why

    def test_offset_too_wide_for_32bit(self) -> None:
        with pytest.raises(KernelError) as info:
            segment_command(Segmentation.from_arch("i386"), EventLog(), "0x7b:0x100000000")
        assert info.value.errno == "EINVAL" and "32-bit" in info.value.why

    def test_fetch_only_through_cs(self) -> None:
        with pytest.raises(KernelError) as info:
            segment_command(Segmentation.from_arch("i386"), EventLog(), "ds:0 x")
        assert info.value.errno == "EINVAL"


class TestSyscalls:
    def test_modify_ldt_rejects_what_write_ldt_rejects(self) -> None:
        seg = Segmentation.from_arch("x86_64")
        with pytest.raises(KernelError) as a:
            ldt.write_ldt(seg, 8192, 0, 0xFFF)
        with pytest.raises(KernelError) as b:
            ldt.write_ldt(seg, 0, 0, 0xFFF, contents=3)
        assert a.value.errno == b.value.errno == "EINVAL"
        assert seg.ldt is None

    def test_ldt_alternates_pti_slots(self) -> None:
        seg = Segmentation.from_arch("x86_64")
        ldt.write_ldt(seg, 0, 0, 0xFFF)
        first = seg.ldt.base if seg.ldt else None
        ldt.write_ldt(seg, 1, 0, 0xFFF)
        assert first == 0xFFFF880000000000  # LDT_BASE_ADDR, 4-level
        assert seg.ldt is not None and seg.ldt.base == first + 0x10000
        seg._check()

    def test_set_thread_area_allows_only_32bit_data(self) -> None:
        seg = Segmentation.from_arch("i386")
        with pytest.raises(KernelError) as info:
            tls.do_set_thread_area(seg, UserDesc(-1, 0x1000, 0xFFF, seg_32bit=False))
        assert info.value.errno == "EINVAL"
        idx = tls.do_set_thread_area(seg, UserDesc(-1, 0x1000, 0xFFF))
        assert idx == 7  # 6 holds glibc's TLS
        assert seg.translate(Selector.make(idx, 0, 3).value, 0x10).linear == 0x1010


def test_engine_module_is_pure() -> None:
    """No UI toolkit in the engine."""
    import vmtui.engine.arch.x86.segment as mod

    src = open(mod.__file__, encoding="utf-8").read()
    assert "import textual" not in src and "import rich" not in src
    assert "from textual" not in src and "from rich" not in src
