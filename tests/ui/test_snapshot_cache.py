"""What the snapshot builder keeps between key presses (a VMA's counted RSS, the lines of
/proc/PID/maps, the zones' histograms) is always what the engine says at that step, and it
is kept: a step that does not change a big VMA does not count its PTEs again, one that adds
a VMA to 2,000 makes one line of maps, not 2,000."""

from __future__ import annotations

import pytest

from vmtui.engine.fs.procfs import maps_lines, rss_pages
from vmtui.scenario.loader import load_scenario, parse_scenario
from vmtui.view import snapshot
from vmtui.view.driver import Driver, Op
from vmtui.view.snapshot import View

ALL_ROWS = View(vma_top=0, vma_rows=100_000)

CHURN = """
[scenario]
title = "munmap, mremap, madvise and fork around a big mapping"
[machine]
ram = "64M"
swap = "32M"
[[step]]
do = ["big = mmap 8M rw private,anon", "write big 4M"]
[[step]]
do = "x = mmap 8K rw private,anon"
[[step]]
do = ["madvise big 1M dontneed", "write x 8K"]
[[step]]
do = "munmap big+2M 1M"
[[step]]
do = "mprotect big 1M r"
[[step]]
do = ["y = mmap 2M rw private,anon", "write y 2M", "mremap y 2M 4M"]
[[step]]
do = "fork"
[[step]]
do = "write big 1M"
[[step]]
do = "write big+6M 2M"
"""


def check_every_row(d: Driver, snap) -> None:  # type: ignore[no-untyped-def]
    """The snapshot's zones, maps and RSS are the engine's, counted afresh."""
    m = d.player.machine
    assert snap.nodes == snapshot._nodes(m), f"zones at step {snap.position}"
    task = m.tasks.get(snap.pid)
    if task is None or not task.alive:
        return
    assert snap.maps == maps_lines(m, task), f"maps at step {snap.position}"
    vmas = list(task.mm.vmas)
    for i, rss in snap.rss.items():
        v = vmas[i]
        assert rss == rss_pages(m, task, v.vm_start, v.vm_end), \
            f"RSS of {v!r} at step {snap.position}"


@pytest.mark.parametrize("name", ["swap", "fork-cow", "munmap-mprotect", "mmap-path",
                                  "replacement", "mlock", "file-mapping", "oom", "numa",
                                  "kswapd-watermarks", "churn"])
def test_kept_figures_are_the_engines_at_every_step(name, monkeypatch):
    """Every VMA goes through the RSS cache (threshold 0), forward and back again."""
    monkeypatch.setattr(snapshot, "RSS_CACHE_PAGES", 0)
    sc = parse_scenario(CHURN, "churn.toml", "churn") if name == "churn" \
        else load_scenario(name)
    d = Driver(sc)
    check_every_row(d, d.run(Op("refresh"), ALL_ROWS))
    for _ in range(sc_total := d.player.total):
        check_every_row(d, d.run(Op("next"), ALL_ROWS))
    for target in (sc_total // 2, 1, sc_total):
        check_every_row(d, d.run(Op("goto", target), ALL_ROWS))


def test_a_step_that_leaves_a_big_vma_alone_does_not_count_it_again():
    d = Driver(parse_scenario(CHURN, "churn.toml", "churn"))
    view = View(vma_top=0, vma_rows=100)
    d.run(Op("next"), view)  # big: 2,048 pages, 1,024 of them written
    b = d.builder
    counted = b.rss_counted
    snap = d.run(Op("improvise", "walk big+4K"), view)
    big = next(i for i, line in enumerate(snap.maps) if "rw-p" in line and
               snap.rss.get(i) == 1024)
    assert snap.rss[big] == 1024
    # only the small VMAs (a page table's worth or less) were counted again
    small = sum(1 for i in snap.rss if i != big)
    assert b.rss_counted - counted == small
    # a new mapping merged into it: only the new part is counted
    counted = b.rss_counted
    snap = d.run(Op("next"), view)
    assert any(v == 1024 for v in snap.rss.values())
    assert b.rss_counted - counted == sum(1 for v in snap.rss.values() if v != 1024)


def _driver_of_2000_vmas(*steps: str) -> Driver:
    """A process of 2,000 one-page VMAs that cannot merge (one step), then `steps`."""
    maps = ", ".join(f'"mmap 4K {"r" if i % 2 else "rw"} private,anon"' for i in range(2000))
    text = ('[scenario]\ntitle = "2,000 VMAs"\n[machine]\nram = "64M"\n'
            f'max_map_count = 10000\n[[step]]\ndo = [{maps}]\n'
            + "".join(f'[[step]]\ndo = "{s}"\n' for s in steps))
    return Driver(parse_scenario(text, "many.toml", "many"))


def test_one_new_vma_among_2000_makes_one_line_of_maps():
    d = _driver_of_2000_vmas("z = mmap 64K r-x private,anon", "mprotect z 4K rw",
                             "mprotect z+4K 60K rwx")
    view = View(vma_top=0, vma_rows=40)
    snap = d.run(Op("next"), view)
    assert len(snap.maps) > 2000
    made = d.builder.maps_made
    again = d.run(Op("refresh"), view)
    assert again.maps is snap.maps  # nothing changed: the very same list
    assert d.builder.maps_made == made
    m = d.player.machine
    snap = d.run(Op("next"), view)  # one VMA more
    assert snap.maps == maps_lines(m, m.current)
    assert d.builder.maps_made - made == 1
    made = d.builder.maps_made
    snap = d.run(Op("next"), view)  # split in two: two lines
    assert snap.maps == maps_lines(m, m.current)
    assert d.builder.maps_made - made == 2
    made = d.builder.maps_made
    snap = d.run(Op("next"), view)  # the whole of a VMA made writable: its line, in place
    assert snap.maps == maps_lines(m, m.current)
    assert any("rwxp" in line for line in snap.maps)
    assert d.builder.maps_made - made == 1


def test_a_step_that_changes_one_vma_of_2000_reads_its_fields_alone():
    """The fields of a process's VMAs (what its maps lines and its bands are made of) are
    read again only for the VMAs a step changed, when the VMA set's count of changes
    says those are all; a VMA changed in place away from the others (its flags) has
    every VMA's fields read again. Maps and bands are the engine's at every step."""
    d = _driver_of_2000_vmas("z = mmap 64K r-x private,anon", "y = mmap 4K r-x private,anon",
                             "mprotect y 68K rwx")
    view = View(vma_top=0, vma_rows=40)
    d.run(Op("next"), view)
    m = d.player.machine
    fields = d.builder.fields
    vmas = m.current.mm.vmas
    # a VMA more: below every other one (mmap top-down), next to none it could merge with
    n = len(vmas)
    snap = d.run(Op("next"), view)
    assert len(vmas) == n + 1
    assert fields.read_last == 1
    assert snap.maps == maps_lines(m, m.current)
    assert snap.bands == snapshot._bands(m, m.current)
    # 4K more right below z, of its flags: z grows down over it (its start moves)
    snap = d.run(Op("next"), view)
    assert len(vmas) == n + 1
    y = int(d.player.last.result.value, 16)
    grown = vmas.find_vma(y)
    assert (grown.vm_start, grown.vm_end - grown.vm_start) == (y, 68 << 10)
    assert fields.read_last == 1
    assert snap.maps == maps_lines(m, m.current)
    assert snap.bands == snapshot._bands(m, m.current)
    # the flags of z (grown) changed in place, no neighbour to merge with: every VMA's
    # fields are read
    snap = d.run(Op("next"), view)
    assert len(vmas) == n + 1
    assert fields.read_last == n + 1
    assert any("rwxp" in line for line in snap.maps)
    assert snap.maps == maps_lines(m, m.current)
    assert snap.bands == snapshot._bands(m, m.current)
