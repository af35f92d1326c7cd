"""Address-space layout: ASLR from the seed, and vm.max_map_count."""

from __future__ import annotations

from tests.conftest import run_json


def _bases(capsys, **machine):
    steps = run_json(capsys, "a = mmap 8K rw private,anon; b = sbrk 0", **machine)
    stack = next(ln for ln in steps[1]["maps"]["1"] if ln.endswith("[stack]"))
    return steps[0]["result"]["value"], steps[1]["result"]["value"], stack.split()[0]


def test_aslr_off_gives_the_classic_addresses(capsys):
    mmap_addr, brk, stack = _bases(capsys)
    assert brk == "0x555555559000"  # right after the data page (.bss fits in it)
    assert stack == "7ffffffde000-7ffffffff000"
    assert int(mmap_addr, 16) < 0x7FFFF7FFF000 <= int(mmap_addr, 16) + (8 << 20)


def test_aslr_is_fixed_by_the_seed(capsys):
    one = _bases(capsys, aslr="true", seed=7)
    again = _bases(capsys, aslr="true", seed=7)
    other = _bases(capsys, aslr="true", seed=8)
    assert one == again, "same seed, same layout"
    assert all(x != y for x, y in zip(one, other, strict=True)), "another seed moves all three"
    assert one != _bases(capsys)


def test_max_map_count_gives_enomem(capsys):
    cmds = ["sysctl vm.max_map_count=24"] + [
        f"x{i} = mmap 4K {'r' if i % 2 else 'rw'} private,anon" for i in range(8)]
    steps = run_json(capsys, "; ".join(cmds))
    errnos = [s["result"].get("errno") for s in steps[1:]]
    assert "ENOMEM" in errnos
    first = errnos.index("ENOMEM")
    assert all(e is None for e in errnos[:first]) and all(e == "ENOMEM" for e in errnos[first:])
    assert len(steps[-1]["maps"]["1"]) - 1 <= 25  # map_count stays at the limit (+[vsyscall])
