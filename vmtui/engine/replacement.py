"""Textbook page replacement, one reference trace at a time: the `vmtui policy` lab.

The policies are the ones every operating-systems course compares:

- FIFO, LRU, OPT, UNOPT, RAND and MRU as in OSTEP chapter 22 ("Beyond Physical
  Memory: Policies") and its homework simulator
  `vm-beyondphys-policy/paging-policy.py`;
- CLOCK, the second-chance algorithm, two ways: a sweeping hand (Corbato's
  clock, as in Tanenbaum's *Modern Operating Systems* 3.4.5) or the random
  probe with an N-bit counter of OSTEP's homework simulator;
- LINUX, the two-list LRU of Linux 5.4: `mark_page_accessed()` in mm/swap.c and
  `shrink_active_list()` / `shrink_inactive_list()` / `inactive_list_is_low()`
  in mm/vmscan.c, with the simplifications listed in `_Linux`.

Everything is deterministic: the same policy, frame count, trace and options
(RAND and the probing CLOCK draw from a `random.Random` the caller seeds) give
the same records. `simulate()` holds one `Access` per reference and the totals;
`iterate()` yields them one at a time and keeps only O(frames) state, for
traces of any length.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

__all__ = ["POLICIES", "TIES", "CLOCKS", "Access", "Options", "Result", "iterate", "misses",
           "random_trace", "simulate"]

POLICIES: tuple[str, ...] = ("FIFO", "LRU", "OPT", "UNOPT", "MRU", "RAND", "CLOCK", "LINUX")
"""Every policy `simulate()` knows, in the order the lab compares them."""

TIES: tuple[str, ...] = ("slot", "ostep")
"""How OPT and UNOPT break a tie among pages never used again: `slot`, the page
in the lowest frame slot; `ostep`, paging-policy.py's rule (OPT takes the one
loaded last, UNOPT the one loaded first, in its memory list)."""

CLOCKS: tuple[str, ...] = ("hand", "probe")
"""CLOCK's way to look for a victim: a hand sweeping the slots in order, or
paging-policy.py's random probe of its memory list."""


@dataclass(frozen=True, slots=True)
class Options:
    """The knobs some policies have; the defaults are vmtui's own lab.

    `ties` (OPT, UNOPT): one of `TIES`. `clock` (CLOCK): one of `CLOCKS`.
    `clockbits` (CLOCK): the width of the per-page reference counter; a
    reference adds one up to this cap, a pass of the hand or a probe takes one
    away, and 0 is the victim. A page just loaded starts at 1 whatever the
    width (even 0), as paging-policy.py does. `rng` (RAND, CLOCK probe): the
    generator the choices draw from, `random.random()` once per draw as
    paging-policy.py does; None means `random.Random(0)`.
    """

    ties: str = "slot"
    clock: str = "hand"
    clockbits: int = 1
    rng: random.Random | None = None


DEFAULT = Options()


@dataclass(frozen=True, slots=True)
class Access:
    """One reference of the trace and what the policy did about it.

    `frames` is the content of every frame slot after the access (None for a
    free one). The policy-specific fields are empty for the other policies:

    - `order`: the resident pages as paging-policy.py lists its memory: FIFO's
      queue (first in first), LRU/MRU's recency list (least recently used
      first), and for the others the order the pages were loaded in.
    - `next_use`: OPT and UNOPT, per slot, the trace index where its page is
      used next (None: never again, or a free slot).
    - `ref_bits`, `hand`: CLOCK, the reference counter per slot and the slot
      the hand points at after the access (None for the probing CLOCK).
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

    def __init__(self, nframes: int, trace: tuple[int, ...], opts: Options = DEFAULT) -> None:
        self.nframes = nframes
        self.trace = trace
        self.opts = opts
        self.slots: list[int | None] = [None] * nframes
        self.where: dict[int, int] = {}
        # The resident pages in the order they were loaded (a dict keeps insertion order).
        self.loaded: dict[int, None] = {}
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
        return Access(i, page, hit, victim, self.where[page], tuple(self.slots),
                      order=tuple(self.loaded), note=self.note)

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
            del self.loaded[victim]
            self.on_evict(victim, slot)
        self.slots[slot] = page
        self.where[page] = slot
        self.loaded[page] = None
        self.on_load(page, slot, i)
        return self.record(i, page, False, victim)


class _Fifo(_Policy):
    """First in, first out: evict the page loaded longest ago (OSTEP 22.4).

    FIFO is not a stack algorithm, so more frames can mean more misses:
    Belady's anomaly (Belady, Nelson and Shedler, CACM 1969).
    """

    name = "FIFO"

    def __init__(self, nframes: int, trace: tuple[int, ...], opts: Options = DEFAULT) -> None:
        super().__init__(nframes, trace, opts)
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

    def __init__(self, nframes: int, trace: tuple[int, ...], opts: Options = DEFAULT) -> None:
        super().__init__(nframes, trace, opts)
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
    can tie (two pages cannot be next used at the same index). With ties
    `slot` the tie goes to the page in the lowest frame slot; with `ostep`,
    as paging-policy.py scans its memory list keeping the last maximum, to
    the page loaded most recently.
    Runtime complexity: O(frames) per miss.
    """

    name = "OPT"

    def __init__(self, nframes: int, trace: tuple[int, ...], opts: Options = DEFAULT) -> None:
        super().__init__(nframes, trace, opts)
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

    def candidates(self) -> Iterable[int]:
        """The resident pages in tie-breaking order."""
        if self.opts.ties == "ostep":
            return self.loaded
        return (p for p in self.slots if p is not None)

    def better(self, nxt: int, best: int | None) -> bool:
        """Does a page next used at `nxt` beat the best so far?"""
        if best is None:
            return True
        # ostep keeps the last of equal maxima (>=), slot the first (>).
        return nxt >= best if self.opts.ties == "ostep" else nxt > best

    def choose_victim(self, i: int) -> int:
        best_page, best_next = -1, None
        next_of = self.next_of
        for page in self.candidates():
            if self.better(next_of[page], best_next):
                best_page, best_next = page, next_of[page]
        if best_next == self.never:
            self.note = "never used again"
        return self.where[best_page]

    def record(self, i: int, page: int, hit: bool, victim: int | None) -> Access:
        never = self.never
        nexts = tuple(
            None if p is None or self.next_of[p] == never else self.next_of[p] for p in self.slots
        )
        return Access(i, page, hit, victim, self.where[page], tuple(self.slots),
                      order=tuple(self.loaded), next_use=nexts, note=self.note)


class _Unopt(_Opt):
    """The anti-optimal policy of OSTEP's homework: evict the page wanted soonest.

    The mirror of OPT, a ceiling to OPT's floor. Pages never used again are
    the last choice; they tie only when every resident page is never used
    again. With ties `slot` the tie goes to the lowest slot; with `ostep`, as
    paging-policy.py keeps the first strict minimum, to the page loaded first.
    """

    name = "UNOPT"

    def better(self, nxt: int, best: int | None) -> bool:
        return best is None or nxt < best


class _Rand(_Policy):
    """Random replacement (OSTEP 22.5): a uniformly random resident page.

    As paging-policy.py does, the victim is position int(random() * frames) of
    the memory list (resident pages in load order), one draw per eviction.
    """

    name = "RAND"

    def __init__(self, nframes: int, trace: tuple[int, ...], opts: Options = DEFAULT) -> None:
        super().__init__(nframes, trace, opts)
        self.rng = opts.rng if opts.rng is not None else random.Random(0)

    def choose_victim(self, i: int) -> int:
        pages = list(self.loaded)
        k = int(self.rng.random() * len(pages))
        self.note = f"random pick: position {k}"
        return self.where[pages[k]]


class _Clock(_Policy):
    """Second chance with a reference counter per page (one bit by default).

    A reference adds one to the page's counter, up to `clockbits` (the MMU's
    accessed bit when the width is 1); a page just loaded starts at 1.

    With clock `hand`, on a miss with memory full a hand sweeps the slots: a
    slot whose counter is above 0 has it lowered by one and is passed over
    (its second chance); the first slot found at 0 is the victim. The new
    page takes that slot and the hand moves one past it. While free frames
    last they fill in slot order and the hand stays on slot 0, the oldest
    page. If every counter is 1 the hand clears them all and evicts where it
    started: CLOCK then degenerates to FIFO.

    With clock `probe`, OSTEP's paging-policy.py instead: no hand, but
    repeated random probes of the memory list (position int(random() *
    frames)); a probed page above 0 is lowered by one, the first found at 0 is
    the victim. A textbook model, not the kernel's: Linux ages pages on its
    LRU lists (see LINUX), with no clock at all.
    """

    name = "CLOCK"

    def __init__(self, nframes: int, trace: tuple[int, ...], opts: Options = DEFAULT) -> None:
        super().__init__(nframes, trace, opts)
        self.bits = [0] * nframes
        self.hand = 0
        self.replacing = False
        self.probe = opts.clock == "probe"
        self.rng = opts.rng if opts.rng is not None else random.Random(0)

    def on_hit(self, page: int, i: int) -> None:
        slot = self.where[page]
        self.bits[slot] = min(self.bits[slot] + 1, self.opts.clockbits)

    def choose_victim(self, i: int) -> int:
        return self._probe() if self.probe else self._sweep()

    def _sweep(self) -> int:
        bits, n = self.bits, self.nframes
        passed: list[str] = []
        while bits[self.hand]:
            bits[self.hand] -= 1
            page = self.slots[self.hand]
            assert page is not None
            passed.append(str(page) if bits[self.hand] == 0 else f"{page}({bits[self.hand]})")
            self.hand = (self.hand + 1) % n
        if passed:
            self.note = "second chance: cleared " + " ".join(passed)
        return self.hand

    def _probe(self) -> int:
        pages = list(self.loaded)
        bits, where, rng = self.bits, self.where, self.rng
        probed: list[str] = []
        while True:
            page = pages[int(rng.random() * len(pages))]
            slot = where[page]
            if bits[slot] == 0:
                break
            bits[slot] -= 1
            probed.append(f"{page}({bits[slot]})")
        self.note = "probed " + " ".join([*probed, f"{page}: victim"])
        return slot

    def on_evict(self, page: int, slot: int) -> None:
        self.replacing = True

    def on_load(self, page: int, slot: int, i: int) -> None:
        self.bits[slot] = 1
        if self.replacing and not self.probe:
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
            order=tuple(self.loaded),
            ref_bits=tuple(self.bits),
            hand=None if self.probe else self.hand,
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

    def __init__(self, nframes: int, trace: tuple[int, ...], opts: Options = DEFAULT) -> None:
        super().__init__(nframes, trace, opts)
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
            order=tuple(self.loaded),
            referenced=tuple(sorted(self.referenced)),
            note=self.note,
        )

    def _check(self) -> None:
        """Assert the invariants: the lists partition the resident pages."""
        assert len(self.active) + len(self.inactive) == len(self.where)
        assert set(self.active) | set(self.inactive) == set(self.where)
        assert self.referenced <= set(self.where)


_CLASSES: dict[str, type[_Policy]] = {
    cls.name: cls for cls in (_Fifo, _Lru, _Opt, _Unopt, _Mru, _Rand, _Clock, _Linux)
}


def iterate(policy: str, frames: int, trace: Sequence[int],
            opts: Options = DEFAULT) -> Iterator[Access]:
    """Yield one `Access` per reference of `trace`, keeping O(frames) state
    (OPT and UNOPT also keep one next-use index per reference).

    Raises ValueError as `simulate()` does, before the first access.
    """
    name = policy.upper()
    cls = _CLASSES.get(name)
    if cls is None:
        raise ValueError(f"unknown policy {policy!r} (choose {', '.join(POLICIES)})")
    if frames < 1:
        raise ValueError(f"frames must be at least 1, got {frames}")
    if opts.ties not in TIES:
        raise ValueError(f"unknown tie rule {opts.ties!r} (choose {', '.join(TIES)})")
    if opts.clock not in CLOCKS:
        raise ValueError(f"unknown clock {opts.clock!r} (choose {', '.join(CLOCKS)})")
    if opts.clockbits < 0:
        raise ValueError(f"clock bits must be at least 0, got {opts.clockbits}")
    for page in trace:
        if page < 0:
            raise ValueError(f"page numbers are >= 0, got {page}")
    return _run(cls(frames, tuple(trace) if cls in (_Opt, _Unopt) else (), opts), trace)


def _run(sim: _Policy, trace: Iterable[int]) -> Iterator[Access]:
    access = sim.access
    for i, page in enumerate(trace):
        yield access(i, page)


def simulate(policy: str, frames: int, trace: Iterable[int],
             opts: Options = DEFAULT) -> Result:
    """Run `trace` (page numbers) through `policy` with `frames` frames.

    `policy` is one of `POLICIES` (any case). Raises ValueError for an unknown
    policy or option, fewer than one frame or a negative page number.
    Runtime complexity: O(len(trace) * frames), the cost of recording the
    frames after every access.
    """
    pages = tuple(trace)
    records = tuple(iterate(policy, frames, pages, opts))
    hits = sum(1 for r in records if r.hit)
    return Result(policy.upper(), frames, pages, records, hits, len(pages) - hits)


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
