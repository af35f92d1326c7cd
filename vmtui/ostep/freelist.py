"""A free-list allocator as OSTEP 17 ("Free-Space Management") draws it.

The free list is a Python list of (address, size) chunks in the list order the
policy keeps: ADDRSORT (by address), SIZESORT+ / SIZESORT- (by size, up or
down; equal sizes keep their order), INSERT-FRONT or INSERT-BACK (a freed
chunk goes to the head or the tail). A request is rounded up to the alignment,
then the header is added; BEST takes the smallest chunk that fits (the first
of equals), WORST the largest (the first of equals), FIRST the first that
fits, and the chunk is split from its front. Coalescing, when on, walks the
list once after each free and merges neighbours in the list whose addresses
touch, so in a size-sorted list only chunks that happen to be neighbours merge,
as in malloc.py. A textbook model beside, not inside, the engine's brk/mmap
malloc (`vmtui.engine.user.malloc`).
"""

from __future__ import annotations

from dataclasses import dataclass

POLICIES = ("BEST", "WORST", "FIRST")
ORDERS = ("ADDRSORT", "SIZESORT+", "SIZESORT-", "INSERT-FRONT", "INSERT-BACK")


@dataclass(frozen=True)
class Alloc:
    request: int
    size: int  # the chunk taken: request rounded up to the alignment, plus the header
    block: int | None  # where the chunk (its header first) starts; None when nothing fits
    searched: int  # free-list elements looked at

    @property
    def ptr(self) -> int | None:
        return self.block


class FreeList:
    def __init__(self, base: int, size: int, policy: str = "BEST", order: str = "ADDRSORT",
                 coalesce: bool = False, header: int = 0, align: int = -1) -> None:
        if policy not in POLICIES:
            raise ValueError(f"unknown policy {policy!r} (choose {', '.join(POLICIES)})")
        if order not in ORDERS:
            raise ValueError(f"unknown list order {order!r} (choose {', '.join(ORDERS)})")
        if align != -1 and align <= 0:
            raise ValueError(f"alignment must be -1 (none) or at least 1, got {align}")
        if size < 0 or header < 0:
            raise ValueError("the heap size and the header size must be >= 0")
        self.size, self.policy, self.order = size, policy, order
        self.coalesce, self.header, self.align = coalesce, header, align
        self.chunks: list[tuple[int, int]] = [(base, size)]
        self.allocated: dict[int, int] = {}

    def malloc(self, request: int) -> Alloc:
        size = request
        if self.align != -1 and size % self.align:
            size += self.align - size % self.align
        size += self.header
        best = -1
        best_size = self.size + 1 if self.policy == "BEST" else -1
        searched = 0
        for i, (_, csize) in enumerate(self.chunks):
            searched += 1
            if csize >= size and (self.policy == "FIRST" or
                                  (self.policy == "BEST" and csize < best_size) or
                                  (self.policy == "WORST" and csize > best_size)):
                best, best_size = i, csize
                if self.policy == "FIRST":
                    break
        if best == -1:
            return Alloc(request, size, None, searched)
        addr, csize = self.chunks[best]
        if addr in self.allocated:
            raise ValueError(f"a chunk of 0 bytes at {addr} is already allocated: "
                             "ask for at least 1 byte")
        if csize > size:
            self.chunks[best] = (addr + size, csize - size)
        else:
            self.chunks.pop(best)
        self.allocated[addr] = size
        return Alloc(request, size, addr, searched)

    def free(self, block: int) -> bool:
        """Put the chunk at `block` back; False when no chunk starts there (nothing done)."""
        if block not in self.allocated:
            return False
        chunk = (block, self.allocated.pop(block))
        if self.order == "INSERT-FRONT":
            self.chunks.insert(0, chunk)
        else:
            self.chunks.append(chunk)
            if self.order == "ADDRSORT":
                self.chunks.sort(key=lambda c: c[0])
            elif self.order == "SIZESORT+":
                self.chunks.sort(key=lambda c: c[1])
            elif self.order == "SIZESORT-":
                self.chunks.sort(key=lambda c: c[1], reverse=True)
        if self.coalesce:
            merged = [self.chunks[0]]
            for addr, size in self.chunks[1:]:
                last_addr, last_size = merged[-1]
                if addr == last_addr + last_size:
                    merged[-1] = (last_addr, last_size + size)
                else:
                    merged.append((addr, size))
            self.chunks = merged
        return True
