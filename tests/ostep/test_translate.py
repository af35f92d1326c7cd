"""Translation exercises end to end through the CLI, every value worked out by hand.

`vmtui ostep paging-linear-translate / paging-multilevel-translate / segmentation /
relocation` and `vmtui translate linear / walk / bounds / segments`.
"""

from __future__ import annotations

import pytest

from tests.ostep.conftest import js, run


def bad(capsys, prefix, *argv):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith(prefix), err
    return err


class TestLinear:
    def test_used_0_percent_every_entry_invalid(self, capsys):
        # 16-byte space of 4-byte pages: 4 entries. -u 0: random()*100 > 100 never holds.
        objs = js(capsys, "ostep", "paging-linear-translate", "-a", "16", "-p", "32", "-P", "4",
                  "-u", "0", "-A", "0,15", "-c")
        assert objs[0]["entries"] == [0, 0, 0, 0]
        assert [(o["va"], o["vpn"], o["offset"], o["valid"], o["pa"]) for o in objs[1:]] == \
            [(0, 0, 0, False, None), (15, 3, 3, False, None)]

    def test_used_100_percent_last_byte(self, capsys):
        objs = js(capsys, "ostep", "paging-linear-translate", "-a", "16", "-p", "32", "-P", "4",
                  "-u", "100", "-A", "15", "-c")
        entries = objs[0]["entries"]
        assert all(e & 0x80000000 for e in entries)  # every page valid
        pfns = [e & 0x7FFFFFFF for e in entries]
        assert len(set(pfns)) == 4 and all(0 <= p < 8 for p in pfns)
        (t,) = objs[1:]
        # the last byte: VPN 3, offset 3, PA = PFN(3) * 4 + 3
        assert (t["vpn"], t["offset"], t["pa"]) == (3, 3, pfns[3] * 4 + 3)

    def test_native_linear_any_page_size(self, capsys):
        # 1 KiB pages, 4 entries: VA 0x0c05 -> VPN 3 -> PFN 9 -> 9*1024 + 5 = 0x2405.
        objs = js(capsys, "translate", "linear", "--page-size", "1k", "--table", "2,-,7,9",
                  "--va", "0x0c05,0x0400,0x0fff")
        assert [(o["vpn"], o["pa"]) for o in objs[1:]] == [(3, 0x2405), (1, None), (3, 0x27FF)]

    def test_questions_hide_the_table_decoding(self, capsys):
        code, out, _ = run(capsys, "ostep", "paging-linear-translate", "-s", "1")
        assert code == 0 and "-> ?" in out and "PA 0x" not in out and "-c." in out

    @pytest.mark.parametrize(("argv", "needle"), [
        (["-A", "16", "-a", "16", "-p", "32", "-P", "4"], "VA 16 (0x10) is outside the address "
                                                            "space of 16 bytes"),
        (["-A", "3,-2"], "VA -2"),
        (["-a", "12k", "-p", "64k"], "power of two"),
        (["-P", "3k"], "whole numbers of pages"),
        (["-P", "0"], "whole numbers of pages"),
        (["-a", "64k", "-p", "32k"], "must be larger than -a"),
        (["-a", "1.5k"], "-a wants a size"),
        (["-u", "lots"], "option -u: invalid integer value: 'lots'"),
    ])
    def test_bad_input(self, capsys, argv, needle):
        err = bad(capsys, "vmtui ostep paging-linear-translate: ", "ostep",
                  "paging-linear-translate", *argv)
        assert needle in err


IMAGE = """\
# page 0: the page directory. PDE 0 -> page table in page 1, PDE 31 -> page 3.
page 0: 81 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f
        7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 83
# page 1: PTE 0 -> page 2; the others not valid
page 1: 82 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f
        7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f
page 2: 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f
        10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f
# page 3: PTE 31 -> page 2
page 3: 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f
        7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 82
"""


class TestWalk:
    @pytest.fixture
    def image(self, tmp_path):
        path = tmp_path / "mem.txt"
        path.write_text(IMAGE)
        return str(path)

    def test_two_level_walk_by_hand(self, capsys, image):
        objs = js(capsys, "translate", "walk", "--image", image, "--root", "0", "--page-size",
                  "32", "--levels", "5,5", "--va", "0x0005,0x0025,0x0400,0x7fff,0x7c00")
        got = [(o["pde_index"], o["pde_value"], o["pte_index"], o["pte_value"], o["result"],
                o["pa"], o["value"]) for o in objs[1:]]
        assert got == [
            (0, 0x81, 0, 0x82, "ok", 0x45, 5),             # PDE 0 -> PT 1, PTE 0 -> page 2
            (0, 0x81, 1, 0x7F, "pte_fault", None, None),    # PTE 1 not valid
            (1, 0x7F, None, None, "pde_fault", None, None),  # PDE 1 not valid
            (31, 0x83, 31, 0x82, "ok", 0x5F, 0x1F),         # the last byte of the space
            (31, 0x83, 0, 0x7F, "pte_fault", None, None),
        ]

    def test_three_levels_two_byte_entries(self, capsys, tmp_path):
        # 16-byte pages (4 offset bits), 3 levels of 3 index bits (8 entries x 2 bytes = a
        # page): 13-bit VAs. Entry: valid bit 0x0001, PFN in bits 8..15 (mask 0xff00 >> 8).
        mem = bytearray(16 * 4)
        mem[0 * 16 + 2 * 5:0 * 16 + 2 * 5 + 2] = (0x0101).to_bytes(2, "little")  # L1[5] -> 1
        mem[1 * 16 + 2 * 7:1 * 16 + 2 * 7 + 2] = (0x0201).to_bytes(2, "little")  # L2[7] -> 2
        mem[2 * 16 + 2 * 1:2 * 16 + 2 * 1 + 2] = (0x0301).to_bytes(2, "little")  # L3[1] -> 3
        mem[3 * 16 + 9] = 0xAB
        path = tmp_path / "img.txt"
        path.write_text(" ".join(f"{b:02x}" for b in mem))
        va = (5 << 10) | (7 << 7) | (1 << 4) | 9
        objs = js(capsys, "translate", "walk", "--image", str(path), "--root", "0",
                  "--page-size", "16", "--levels", "3,3,3", "--entry-size", "2",
                  "--valid-mask", "1", "--pfn-mask", "0xff00", "--pfn-shift", "8",
                  "--va", f"{va},{va ^ (1 << 4)}")
        ok, fault = objs[1:]
        assert (ok["l1_index"], ok["l2_index"], ok["l3_index"]) == (5, 7, 1)
        assert (ok["result"], ok["pa"], ok["value"]) == ("ok", 3 * 16 + 9, 0xAB)
        assert (fault["l3_index"], fault["result"]) == (0, "l3_fault")

    def test_walk_bad_input(self, capsys, image, tmp_path):
        assert "outside the 15-bit address space" in bad(
            capsys, "vmtui translate walk: ", "translate", "walk", "--image", image, "--root",
            "0", "--va", "0x8000")
        junk = tmp_path / "junk.txt"
        junk.write_text("page 0: 8g\n")
        assert "line 1: want hex bytes" in bad(capsys, "vmtui translate walk: ", "translate",
                                               "walk", "--image", str(junk), "--root", "0",
                                               "--va", "1")
        assert "more than one 32-byte page" in bad(
            capsys, "vmtui translate walk: ", "translate", "walk", "--image", image, "--root",
            "0", "--levels", "6,5", "--va", "1")

    def test_ostep_multilevel_image_walks_as_printed(self, capsys):
        """The exercise's own dump, walked by hand for every VA of seed 0."""
        objs = js(capsys, "ostep", "paging-multilevel-translate", "-s", "0", "-c")
        mem = bytes.fromhex("".join(objs[0]["pages"]))
        pdbr = objs[0]["pdbr"]
        for t in objs[1:]:
            va = t["va"]
            pde = mem[pdbr * 32 + (va >> 10)]
            assert t["pde_value"] == pde
            if not pde & 0x80:
                assert t["result"] == "pde_fault" and t["pte_value"] is None
                continue
            pte = mem[(pde & 0x7F) * 32 + ((va >> 5) & 0x1F)]
            assert t["pte_value"] == pte
            if not pte & 0x80:
                assert t["result"] == "pte_fault"
                continue
            pa = (pte & 0x7F) * 32 + (va & 0x1F)
            assert (t["result"], t["pa"], t["value"]) == ("ok", pa, mem[pa])

    def test_multilevel_memory_full_is_an_error(self, capsys):
        assert "physical memory (128 pages of 32 bytes) is full" in bad(
            capsys, "vmtui ostep paging-multilevel-translate: ", "ostep",
            "paging-multilevel-translate", "-a", "200")


class TestSegments:
    def test_segment_bounds_exactly_at_limit(self, capsys):
        # 128-byte space: VAs 64..127 are segment 1, offset VA - 128. Limit 20:
        # -20 is in (PA 512 - 20 = 492), -21 is out; segment 0: VA 19 in, 20 out.
        objs = js(capsys, "ostep", "segmentation", "-a", "128", "-p", "512", "-b", "0", "-l",
                  "20", "-B", "512", "-L", "20", "-A", "0,19,20,107,108,127", "-c")
        assert objs[0] == {"kind": "registers", "asize": 128, "psize": 512, "base0": 0,
                           "limit0": 20, "base1": 512, "limit1": 20}
        assert [(o["segment"], o["pa"]) for o in objs[1:]] == \
            [(0, 0), (0, 19), (0, None), (1, None), (1, 492), (1, 511)]

    def test_native_segments(self, capsys):
        objs = js(capsys, "translate", "segments", "--asize", "1k", "--base0", "0x100",
                  "--limit0", "300", "--base1", "0x2000", "--limit1", "100", "--va",
                  "299,300,511,512,923,924,1023")
        # 511 is segment 0 (beyond 300); 512 is segment 1 with offset -512; 924: -100.
        assert [o["pa"] for o in objs[1:]] == [0x100 + 299, None, None, None, None,
                                               0x2000 - 100, 0x2000 - 1]

    @pytest.mark.parametrize(("argv", "needle"), [
        (["-a", "128", "-p", "512", "-b", "0", "-l", "20", "-B", "512", "-L", "20", "-A", "128"],
         "VA 128 is outside the address space of 128 bytes"),
        (["-a", "128", "-p", "512", "-b", "0", "-l", "64", "-B", "60", "-L", "10"],
         "overlap"),
        (["-a", "128", "-p", "512", "-l", "65"], "larger than half the address space"),
        (["-a", "1k", "-p", "1500"], "more than twice -a"),
    ])
    def test_bad_input(self, capsys, argv, needle):
        assert needle in bad(capsys, "vmtui ostep segmentation: ", "ostep", "segmentation",
                             *argv)


class TestBounds:
    def test_native_bounds_at_the_limit(self, capsys):
        objs = js(capsys, "translate", "bounds", "--base", "100", "--limit", "300", "--va",
                  "0,299,300")
        assert [o["pa"] for o in objs[1:]] == [100, 399, None]

    def test_ostep_relocation_given_registers(self, capsys):
        objs = js(capsys, "ostep", "relocation", "-b", "100", "-l", "300", "-n", "8", "-s",
                  "4", "-c")
        assert objs[0]["base"] == 100 and objs[0]["limit"] == 300
        for o in objs[1:]:
            assert o["pa"] == (o["va"] + 100 if o["va"] < 300 else None)
            assert 0 <= o["va"] < 1024

    def test_relocation_base_beyond_memory(self, capsys):
        assert "beyond physical memory" in bad(capsys, "vmtui ostep relocation: ", "ostep",
                                               "relocation", "-b", "16000", "-l", "500")
