"""The address-space bar's bands of a process of many VMAs, kept between steps (BandCache):
after every step they are the bands a scan of all its VMAs gives, while a step that changed
one VMA of hundreds scans a few of them."""

from __future__ import annotations

import random

import pytest

from vmtui.scenario.loader import from_commands
from vmtui.scenario.player import Player
from vmtui.view import snapshot
from vmtui.view.snapshot import BandCache, VmaFields, _bands

N = 160  # VMAs mapped one by one, alternately r and rw (they cannot merge)


def commands(seed: int) -> list[str]:
    """The mappings, then changes anywhere among them: unmap, protect (merging with the
    neighbours), map again where one was unmapped, grow one, a file mapping and the heap
    in the middle of the anonymous ones, and one far away (a run of its own)."""
    rng = random.Random(seed)
    out = [f"v{i} = mmap 4K {'r' if i % 2 else 'rw'} private,anon" for i in range(N)]
    out += ["file F 16K", "m = malloc 1M", "h = malloc 100"]
    gone: list[int] = []
    for k in range(60):
        i = rng.randrange(N)
        op = rng.randrange(6)
        if op == 0 and i not in gone:
            out.append(f"munmap v{i} 4K")
            gone.append(i)
        elif op == 1 and gone:
            j = gone.pop(rng.randrange(len(gone)))
            out.append(f"w{k} = mmap 4K rw private,anon,fixed addr=v{j}")
        elif op == 2 and i not in gone:
            out.append(f"mprotect v{i} 4K {rng.choice(['r', 'rw', 'rwx'])}")
        elif op == 3:
            out.append(f"f{k} = mmap 8K r private file=F addr=v{i}-64K")
        elif op == 4:
            far = rng.randrange(65, 900)
            out.append(f"far{k} = mmap 4K rw private,anon,fixed addr=v{i}-{far}M")
        else:
            out.append(f"x{k} = mmap {rng.choice(['4K', '12K', '1M'])} rw private,anon")
    return out


@pytest.mark.parametrize("shared", [False, True])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kept_bands_are_the_bands_of_every_vma(monkeypatch, seed: int, shared: bool) -> None:
    """GIVEN a process of ~160 VMAs and random changes among them WHEN the bands are kept
    between steps (the VMAs' fields read by the bands alone, or kept between steps too, as
    the snapshot builder shares them with the maps lines) THEN after each step they equal
    the bands made from nothing, and a step that changed a VMA or two scanned far fewer
    than all of them."""
    monkeypatch.setattr(snapshot, "BAND_CHECKPOINT", 4)
    p = Player(from_commands("; ".join(commands(seed))), snapshot_every=10_000)
    cache = BandCache()
    fields = VmaFields() if shared else None
    scanned: list[int] = []
    while not p.at_end:
        p.forward()
        m = p.machine
        task = m.current
        want = _bands(m, task)
        assert _bands(m, task, cache, fields) == want, f"step {p.position}: {p.last.do}"
        if p.position > N + 3 and len(task.mm.vmas) > 100:
            scanned.append(cache.scanned)
    assert scanned and sorted(scanned)[len(scanned) // 2] < 40
