"""What frames.py says about frames without reading a machine: the classes of owners, their
glyphs and names, and the spelling of a PFN range. A module of their own (importing
nothing) so that parsing a scenario and the TUI's first frame (the frame map's legend)
do not load the engine that classifies frames."""

from __future__ import annotations

Owner = int | str
"""A pid (a frame only that process maps), or one of CLASSES."""

CLASSES = ("shared", "kernel", "pagetable", "pagecache", "swapcache", "reserved", "free")
CLASS_GLYPHS = {"shared": "+", "kernel": "K", "pagetable": "P", "pagecache": "C",
                "swapcache": "S", "reserved": "R", "free": "."}
CLASS_NAMES = {"shared": "shared by several processes", "kernel": "kernel",
               "pagetable": "page table", "pagecache": "page cache",
               "swapcache": "swap cache", "reserved": "reserved at boot", "free": "free"}


def owner_glyph(owner: Owner) -> str:
    """One character per owner: pids 1-9 as digits, 10-35 as a-z, larger ones `#`."""
    if isinstance(owner, str):
        return CLASS_GLYPHS[owner]
    if 1 <= owner <= 9:
        return str(owner)
    if 10 <= owner <= 35:
        return chr(ord("a") + owner - 10)
    return "#"


def owner_name(owner: Owner, comms: dict[int, str] | None = None) -> str:
    if isinstance(owner, str):
        return CLASS_NAMES[owner]
    comm = (comms or {}).get(owner)
    return f"pid {owner} ({comm})" if comm else f"pid {owner}"


def owner_sort_key(owner: Owner) -> tuple[int, int, str]:
    """Processes first by pid, then the classes in CLASSES order."""
    if isinstance(owner, int):
        return (0, owner, "")
    return (1, CLASSES.index(owner), owner)


def parse_range(text: str) -> tuple[int, int] | None:
    """`LO-HI` (hex or decimal; HI excluded) as a pair, None if it is not a range."""
    lo_s, sep, hi_s = text.partition("-")
    if not sep:
        return None
    try:
        lo, hi = int(lo_s, 0), int(hi_s, 0)
    except ValueError:
        return None
    return lo, hi
