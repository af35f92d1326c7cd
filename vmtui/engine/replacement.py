"""Textbook page replacement, one reference trace at a time: the `vmtui policy` lab.

The policies are the ones every operating-systems course compares:

- FIFO, LRU, OPT and MRU as in OSTEP chapter 22 ("Beyond Physical Memory:
  Policies") and its homework simulator `vm-beyondphys-policy/paging-policy.py`;
- CLOCK, the second-chance algorithm (Corbato's clock, as in Tanenbaum's
  *Modern Operating Systems* 3.4.5 and OSTEP 22.8);
- LINUX, the two-list LRU of Linux 5.4: `mark_page_accessed()` in mm/swap.c and
  `shrink_active_list()` / `shrink_inactive_list()` / `inactive_list_is_low()`
  in mm/vmscan.c, with the simplifications listed in `_Linux`.

Everything is deterministic: the same policy, frame count and trace give the
same records. `simulate()` is the one entry point; the result holds one
`Access` per reference and the totals.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["POLICIES", "Access", "Result", "misses", "random_trace", "simulate"]

POLICIES: tuple[str, ...] = ("FIFO", "LRU", "OPT", "MRU", "CLOCK", "LINUX")
"""Every policy `simulate()` knows, in the order the lab compares them."""


@dataclass(frozen=True, slots=True)
class Access:
    """One reference of the trace and what the policy did about it.

    `frames` is the content of every frame slot after the access (None for a
    free one). The policy-specific fields are empty for the other policies:

    - `order`: FIFO's queue (first in first) or LRU/MRU's recency list (least
      recently used first); empty for OPT, CLOCK and LINUX.
    - `next_use`: OPT, per slot, the trace index where its page is used next
      (None: never again, or a free slot).
    - `ref_bits`, `hand`: CLOCK, the reference bit per slot and the slot the
      hand points at after the access.
    - `active`, `inactive`, `referenced`: LINUX, the two LRU lists head first
      (the head is where pages are added, the tail is where reclaim takes
      them) and the pages whose PG_referenced flag is set.

    `note` says in a few words what the policy did beyond hit or miss.
    """

    index: int
    page: int
    hit: bool
    victim: int | None
    slot: int
    frames: tuple[int | None, ...]
    order: tuple[int, ...] = ()
    next_use: tuple[int | None, ...] = ()
    ref_bits: tuple[int, ...] = ()
    hand: int | None = None
    active: tuple[int, ...] = ()
    inactive: tuple[int, ...] = ()
    referenced: tuple[int, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class Result:
    """A whole run: the policy, the frame count, the trace and one `Access` each."""

    policy: str
    frames: int
    trace: tuple[int, ...]
    accesses: tuple[Access, ...]
    hits: int
    misses: int

    @property
    def hit_ratio(self) -> float:
        """Hits over accesses (0.0 for an empty trace)."""
        return self.hits / len(self.trace) if self.trace else 0.0


class _Policy:
    """Frame slots shared by every policy; subclasses choose the victim.

    A new page goes to the lowest free slot; once memory is full it takes the
    victim's slot, so `frames` reads like the frame table on the blackboard.
    """

    name = ""

    def __init__(self, nframes: int, trace: tuple[int, ...]) -> None:
        self.nframes = nframes
        self.trace = trace
        self.slots: list[int | None] = [None] * nframes
        self.where: dict[int, int] = {}
        self.note = ""

    def on_hit(self, page: int, i: int) -> None:
        """Bookkeeping for a reference to a resident page."""

    def choose_victim(self, i: int) -> int:
        """The slot to empty when every frame is full."""
        raise NotImplementedError

    def on_load(self, page: int, slot: int, i: int) -> None:
        """Bookkeeping for a page just loaded into `slot`."""

    def on_evict(self, page: int, slot: int) -> None:
        """Bookkeeping for a page just evicted from `slot`."""

    def record(self, i: int, page: int, hit: bool, victim: int | None) -> Access:
        return Access(i, page, hit, victim, self.where[page], tuple(self.slots), note=self.note)

    def access(self, i: int, page: int) -> Access:
        """Reference `page` (the trace's `i`-th) and say what happened."""
        self.note = ""
        if page in self.where:
            self.on_hit(page, i)
            return self.record(i, page, True, None)
        victim: int | None = None
        if len(self.where) < self.nframes:
            slot = self.slots.index(None)
        else:
            slot = self.choose_victim(i)
            victim = self.slots[slot]
            assert victim is not None
            del self.where[victim]
            self.on_evict(victim, slot)
        self.slots[slot] = page
        self.where[page] = slot
        self.on_load(page, slot, i)
        return self.record(i, page, False, victim)


class _Fifo(_Policy):
    """First in, first out: evict the page loaded longest ago (OSTEP 22.4).

    FIFO is not a stack algorithm, so more frames can mean more misses:
    Belady's anomaly (Belady, Nelson and Shedler, CACM 1969).
    """

    name = "FIFO"

    def __init__(self, nframes: int, trace: tuple[int, ...]) -> None:
        super().__init__(nframes, trace)
        self.queue: deque[int] = deque()

    def choose_victim(self, i: int) -> int:
        return self.where[self.queue.popleft()]

    def on_load(self, page: int, slot: int, i: int) -> None:
        self.queue.append(page)

    def record(self, i: int, page: int, hit: bool, victim: int | None) -> Access:
        return Access(
            i, page, hit, victim, self.where[page], tuple(self.slots), order=tuple(self.queue)
        )


class _Recency(_Policy):
    """Keeps pages in recency order, least recently used first."""

    def __init__(self, nframes: int, trace: tuple[int, ...]) -> None:
        super().__init__(nframes, trace)
        # A dict keeps insertion order: re-inserting a page moves it to the end.
        self.recency: dict[int, None] = {}

    def on_hit(self, page: int, i: int) -> None:
        del self.recency[page]
        self.recency[page] = None

    def on_load(self, page: int, slot: int, i: int) -> None:
        self.recency[page] = None

    def on_evict(self, page: int, slot: int) -> None:
        del self.recency[page]

    def record(self, i: int, page: int, hit: bool, victim: int | None) -> Access:
        return Access(
            i, page, hit, victim, self.where[page], tuple(self.slots), order=tuple(self.recency)
        )


class _Lru(_Recency):
    """Least recently used: evict the page unused for the longest time (OSTEP 22.6)."""

    name = "LRU"

    def choose_victim(self, i: int) -> int:
        return self.where[next(iter(self.recency))]


class _Mru(_Recency):
    """Most recently used: evict the page used last (OSTEP 22 homework).

    Bad for locality, good for a loop a little larger than memory, where LRU
    misses on every access.
    """

    name = "MRU"

    def choose_victim(self, i: int) -> int:
        return self.where[next(reversed(self.recency))]


class _Opt(_Policy):
    """Belady's optimal policy, MIN (Belady 1966; OSTEP 22.2).

    Evict the resident page whose next use is farthest in the future; a page
    never used again counts as farthest of all. Only pages never used again
    can tie (two pages cannot be next used at the same index), and a tie goes
    to the page in the lowest frame slot, so the run is deterministic.
    Runtime complexity: O(frames) per miss.
    """

    name = "OPT"

    def __init__(self, nframes: int, trace: tuple[int, ...]) -> None:
        super().__init__(nframes, trace)
        never = len(trace)
        # nxt[i]: the index of the next reference to trace[i] after i, or `never`.
        nxt = [never] * len(trace)
        seen: dict[int, int] = {}
        for j in range(len(trace) - 1, -1, -1):
            nxt[j] = seen.get(trace[j], never)
            seen[trace[j]] = j
        self.nxt = nxt
        self.never = never
        self.next_of: dict[int, int] = {}

    def on_hit(self, page: int, i: int) -> None:
        self.next_of[page] = self.nxt[i]

    def on_load(self, page: int, slot: int, i: int) -> None:
        self.next_of[page] = self.nxt[i]

    def on_evict(self, page: int, slot: int) -> None:
        del self.next_of[page]

    def choose_victim(self, i: int) -> int:
        best_slot, best_next = 0, -1
        next_of = self.next_of
        for slot, page in enumerate(self.slots):
            assert page is not None
            # Strictly greater: on a tie the lower slot, already held, wins.
            if next_of[page] > best_next:
                best_slot, best_next = slot, next_of[page]
        return best_slot

    def record(self, i: int, page: int, hit: bool, victim: int | None) -> Access:
        never = self.never
        nexts = tuple(
            None if p is None or self.next_of[p] == never else self.next_of[p] for p in self.slots
        )
        return Access(i, page, hit, victim, self.where[page], tuple(self.slots), next_use=nexts)


class _Clock(_Policy):
    """Second chance with a clock hand and one reference bit per frame.

    A reference sets the frame's bit (the MMU's accessed bit). On a miss with
    memory full the hand sweeps: a frame whose bit is 1 has it cleared and is
    passed over (its second chance); the first frame found with 0 is the
    victim. The new page takes that frame with its bit set, since loading it
    was a reference, and the hand moves one past it. While free frames last
    they fill in slot order and the hand stays on slot 0, the oldest page.
    If every bit is 1 the hand clears them all and evicts where it started:
    CLOCK then degenerates to FIFO.
    """

    name = "CLOCK"

    def __init__(self, nframes: int, trace: tuple[int, ...]) -> None:
        super().__init__(nframes, trace)
        self.bits = [0] * nframes
        self.hand = 0
        self.replacing = False

    def on_hit(self, page: int, i: int) -> None:
        self.bits[self.where[page]] = 1

    def choose_victim(self, i: int) -> int:
        bits, n = self.bits, self.nframes
        cleared: list[int] = []
        while bits[self.hand]:
            bits[self.hand] = 0
            page = self.slots[self.hand]
            assert page is not None
            cleared.append(page)
            self.hand = (self.hand + 1) % n
        if cleared:
            self.note = "second chance: cleared " + " ".join(map(str, cleared))
        return self.hand

    def on_evict(self, page: int, slot: int) -> None:
        self.replacing = True

    def on_load(self, page: int, slot: int, i: int) -> None:
        self.bits[slot] = 1
        if self.replacing:
            # Only a replacement moves the hand; filling free frames leaves it on slot 0.
            self.hand = (slot + 1) % self.nframes
            self.replacing = False

    def record(self, i: int, page: int, hit: bool, victim: int | None) -> Access:
        return Access(
            i,
            page,
            hit,
            victim,
            self.where[page],
            tuple(self.slots),
            ref_bits=tuple(self.bits),
            hand=self.hand,
            note=self.note,
        )


class _Linux(_Policy):
    """Linux 5.4's two-list LRU for page-cache pages, for a fixed number of frames.

    What it mirrors:

    - A page read in for the first time is added at the head of the inactive
      list (`add_to_page_cache_lru()` -> `lru_cache_add()`, mm/filemap.c and
      mm/swap.c), and the read marks it accessed.
    - Each access calls `mark_page_accessed()` (mm/swap.c): an inactive page
      that already has PG_referenced is moved to the head of the active list
      (`activate_page()`) and the flag cleared; a page without the flag just
      gets it. So the second access activates, as the kernel's comment says:
      inactive,unreferenced -> inactive,referenced -> active,unreferenced
      -> active,referenced.
    - When a frame is needed, `shrink_inactive_list()` -> `shrink_page_list()`
      (mm/vmscan.c) reclaims the page at the inactive tail. For an unmapped,
      clean page-cache page `page_check_references()` returns
      PAGEREF_RECLAIM_CLEAN even with PG_referenced set: only activation
      saves a page.
    - Then, as the same shrink pass goes on to the active list,
      `shrink_active_list()` moves pages from the active tail to the inactive
      head while `inactive_list_is_low()` holds, with the ratio of 1 the
      kernel uses below 1 GiB of LRU pages (`inactive * 1 < active`). Pages
      keep PG_referenced when deactivated, as in 5.4. If the inactive list is
      empty when a frame is needed, that pass only deactivates and the next
      one reclaims.

    Simplifications, said honestly:

    - Every access is a `mark_page_accessed()` call, as for pages read with
      read(2). Pages mapped into page tables are aged instead through the PTE
      accessed bit by `page_referenced()` during the scans (and an accessed
      mapped page on the active list may be kept there); that is not
      modelled. Anonymous pages (which 5.4 puts straight on the active list
      via `lru_cache_add_active_or_unevictable()`) are not modelled either:
      there is one evictable list pair, the file one.
    - Reclaim frees exactly one page per miss, synchronously, and the active
      list is balanced only then. The kernel scans in batches
      (SWAP_CLUSTER_MAX = 32, sized by priority and `get_scan_count()`),
      reclaims ahead of need from kswapd between the watermarks, and goes
      through per-CPU pagevecs that delay list moves.
    - No refault detection (`workingset_refault()`, mm/workingset.c), no
      swappiness, no memory cgroups, one node, one zone.
    """

    name = "LINUX"
    INACTIVE_RATIO = 1
    """`inactive_list_is_low()`'s ratio: int_sqrt(10 * GiB), and 1 below 1 GiB."""

    def __init__(self, nframes: int, trace: tuple[int, ...]) -> None:
        super().__init__(nframes, trace)
        self.active: list[int] = []  # head first
        self.inactive: list[int] = []  # head first
        self.referenced: set[int] = set()

    def mark_page_accessed(self, page: int) -> None:
        """mm/swap.c: activate on the second access, else set PG_referenced."""
        if page not in self.active and page in self.referenced:
            self.inactive.remove(page)
            self.active.insert(0, page)
            self.referenced.discard(page)
            self.note = f"activate {page}"
        elif page not in self.referenced:
            self.referenced.add(page)

    def inactive_list_is_low(self) -> bool:
        """mm/vmscan.c: too few inactive pages for the active ones."""
        return len(self.inactive) * self.INACTIVE_RATIO < len(self.active)

    def on_hit(self, page: int, i: int) -> None:
        self.mark_page_accessed(page)

    def shrink_active_list(self) -> list[int]:
        """mm/vmscan.c: move pages from the active tail to the inactive head while low."""
        moved: list[int] = []
        while self.inactive_list_is_low():
            page = self.active.pop()
            self.inactive.insert(0, page)
            moved.append(page)
        return moved

    def choose_victim(self, i: int) -> int:
        # One shrink pass visits the inactive list, then the active list
        # (for_each_evictable_lru in shrink_node_memcg). A pass that finds the
        # inactive list empty only deactivates, and the next pass reclaims.
        moved = [] if self.inactive else self.shrink_active_list()
        victim = self.inactive.pop()
        self.referenced.discard(victim)
        moved += self.shrink_active_list()
        if moved:
            self.note = "deactivate " + " ".join(map(str, moved))
        return self.where[victim]

    def on_load(self, page: int, slot: int, i: int) -> None:
        self.inactive.insert(0, page)
        self.mark_page_accessed(page)

    def record(self, i: int, page: int, hit: bool, victim: int | None) -> Access:
        return Access(
            i,
            page,
            hit,
            victim,
            self.where[page],
            tuple(self.slots),
            active=tuple(self.active),
            inactive=tuple(self.inactive),
            referenced=tuple(sorted(self.referenced)),
            note=self.note,
        )

    def _check(self) -> None:
        """Assert the invariants: the lists partition the resident pages."""
        assert len(self.active) + len(self.inactive) == len(self.where)
        assert set(self.active) | set(self.inactive) == set(self.where)
        assert self.referenced <= set(self.where)


_CLASSES: dict[str, type[_Policy]] = {
    cls.name: cls for cls in (_Fifo, _Lru, _Opt, _Mru, _Clock, _Linux)
}


def simulate(policy: str, frames: int, trace: Iterable[int]) -> Result:
    """Run `trace` (page numbers) through `policy` with `frames` frames.

    `policy` is one of `POLICIES` (any case). Raises ValueError for an unknown
    policy, fewer than one frame or a negative page number.
    Runtime complexity: O(len(trace) * frames), the cost of recording the
    frames after every access.
    """
    name = policy.upper()
    cls = _CLASSES.get(name)
    if cls is None:
        raise ValueError(f"unknown policy {policy!r} (choose {', '.join(POLICIES)})")
    if frames < 1:
        raise ValueError(f"frames must be at least 1, got {frames}")
    pages = tuple(trace)
    for page in pages:
        if page < 0:
            raise ValueError(f"page numbers are >= 0, got {page}")
    sim = cls(frames, pages)
    access = sim.access
    records = tuple(access(i, page) for i, page in enumerate(pages))
    hits = sum(1 for r in records if r.hit)
    return Result(name, frames, pages, records, hits, len(pages) - hits)


def random_trace(seed: int, length: int, pages: int) -> tuple[int, ...]:
    """`length` page numbers drawn uniformly from 0..pages-1, fixed by `seed`.

    The OSTEP homework habit: the same seed always gives the same trace, so a
    class can be handed a trace and later the solution.
    """
    if length < 0 or pages < 1:
        raise ValueError("a random trace needs length >= 0 and pages >= 1")
    rng = random.Random(seed)
    return tuple(rng.randrange(pages) for _ in range(length))


def misses(policy: str, frames: int, trace: Sequence[int]) -> int:
    """Just the miss count of `simulate(policy, frames, trace)`."""
    return simulate(policy, frames, trace).misses
