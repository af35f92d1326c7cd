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
traces of any length; `steps()` (and `count_hits()`) yield only each
access's outcome, in O(1) per access, O(log frames) for OPT and UNOPT,
instead of the O(frames) of recording the frames after it.
"""

from __future__ import annotations

import heapq
import random
from array import array
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

__all__ = ["POLICIES", "TIES", "CLOCKS", "Access", "Options", "Result", "Step", "count_hits",
           "iterate", "misses", "random_trace", "random_pages", "simulate", "steps"]

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


class Step:
    """One reference and its outcome, without the frames: what `steps()` yields.

    The same first five fields as `Access`, in an object that costs a sixth
    of an `Access` to make.
    """

    __slots__ = ("index", "page", "hit", "victim", "slot")

    def __init__(self, index: int, page: int, hit: bool, victim: int | None, slot: int) -> None:
        self.index, self.page, self.hit, self.victim, self.slot = index, page, hit, victim, slot

    def __repr__(self) -> str:
        return (f"Step(index={self.index}, page={self.page}, hit={self.hit}, "
                f"victim={self.victim}, slot={self.slot})")


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
    Slots fill in order and a slot is only ever emptied to be refilled at
    once, so the lowest free slot is the number of resident pages.

    `detail` False: `access()` returns a `Step` (the index, page, hit, victim
    and slot), without the snapshot of the frames, the policy's own state or
    the note, so that an access costs O(1) (O(log frames) for OPT and UNOPT)
    instead of the O(frames) of copying the frames.
    """

    name = ""

    def __init__(self, nframes: int, trace: Sequence[int], opts: Options = DEFAULT,
                 detail: bool = True) -> None:
        self.nframes = nframes
        self.trace = trace
        self.opts = opts
        self.detail = detail
        self.slots: list[int | None] = [None] * nframes
        self.where: dict[int, int] = {}
        # The resident pages in the order they were loaded: a linked hash map, so
        # removing any page and finding the oldest are O(1).
        self.loaded: OrderedDict[int, None] = OrderedDict()
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

    def access(self, i: int, page: int) -> Access | Step:
        """Reference `page` (the trace's `i`-th) and say what happened (a `Step`
        without `detail`)."""
        self.note = ""
        where = self.where
        if page in where:
            self.on_hit(page, i)
            if not self.detail:
                return Step(i, page, True, None, where[page])
            return self.record(i, page, True, None)
        victim: int | None = None
        if len(where) < self.nframes:
            slot = len(where)
        else:
            slot = self.choose_victim(i)
            victim = self.slots[slot]
            assert victim is not None
            del where[victim]
            del self.loaded[victim]
            self.on_evict(victim, slot)
        self.slots[slot] = page
        where[page] = slot
        self.loaded[page] = None
        self.on_load(page, slot, i)
        if not self.detail:
            return Step(i, page, False, victim, slot)
        return self.record(i, page, False, victim)

    def state_size(self) -> int:
        """How many entries the policy's containers hold (for tests: O(frames))."""
        return len(self.slots) + len(self.where) + len(self.loaded)


class _Fifo(_Policy):
    """First in, first out: evict the page loaded longest ago (OSTEP 22.4).

    FIFO is not a stack algorithm, so more frames can mean more misses:
    Belady's anomaly (Belady, Nelson and Shedler, CACM 1969).
    Runtime complexity: O(1) per access; the queue is the load order itself.
    """

    name = "FIFO"

    def choose_victim(self, i: int) -> int:
        return self.where[next(iter(self.loaded))]


class _Recency(_Policy):
    """Keeps pages in recency order, least recently used first (O(1) per access)."""

    def __init__(self, nframes: int, trace: Sequence[int], opts: Options = DEFAULT,
                 detail: bool = True) -> None:
        super().__init__(nframes, trace, opts, detail)
        # A linked hash map: move_to_end and either end are O(1).
        self.recency: OrderedDict[int, None] = OrderedDict()

    def on_hit(self, page: int, i: int) -> None:
        self.recency.move_to_end(page)

    def on_load(self, page: int, slot: int, i: int) -> None:
        self.recency[page] = None

    def on_evict(self, page: int, slot: int) -> None:
        del self.recency[page]

    def record(self, i: int, page: int, hit: bool, victim: int | None) -> Access:
        return Access(
            i, page, hit, victim, self.where[page], tuple(self.slots), order=tuple(self.recency)
        )

    def state_size(self) -> int:
        return super().state_size() + len(self.recency)


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

    OPT needs the future: it holds the whole trace and, per reference, the
    index of the next reference to the same page (an array of 8 bytes each).
    The victim comes from a heap keyed by (next use, tie rank) with stale
    entries skipped when they surface and the heap rebuilt when it holds twice
    the frames. Runtime complexity: O(log frames) per access, amortized.
    """

    name = "OPT"

    def __init__(self, nframes: int, trace: Sequence[int], opts: Options = DEFAULT,
                 detail: bool = True) -> None:
        super().__init__(nframes, trace, opts, detail)
        never = len(trace)
        # nxt[i]: the index of the next reference to trace[i] after i, or `never`.
        nxt = array("q", bytes(8 * len(trace)))
        seen: dict[int, int] = {}
        for j in range(len(trace) - 1, -1, -1):
            page = trace[j]
            nxt[j] = seen.get(page, never)
            seen[page] = j
        del seen
        self.nxt = nxt
        self.never = never
        self.next_of: dict[int, int] = {}
        self.ostep = opts.ties == "ostep"
        # ostep ties: the rank of a page in the load order (a counter of loads).
        self.loads = 0
        self.rank: dict[int, int] = {}
        self.heap: list[tuple[int, int, int]] = []

    def key(self, page: int, nxt: int) -> tuple[int, int, int]:
        """The heap entry of `page`: the smallest entry is the victim."""
        if self.ostep:
            return (-nxt, -self.rank[page], page)  # the last of equal maxima
        return (-nxt, self.where[page], page)  # the lowest slot

    def _set_next(self, page: int, nxt: int) -> None:
        self.next_of[page] = nxt
        heap = self.heap
        if len(heap) > 2 * self.nframes + 16:
            # Drop the stale entries: one per resident page is left.
            self.heap = heap = [self.key(p, n) for p, n in self.next_of.items()]
            heapq.heapify(heap)
        else:
            heapq.heappush(heap, self.key(page, nxt))

    def on_hit(self, page: int, i: int) -> None:
        self._set_next(page, self.nxt[i])

    def on_load(self, page: int, slot: int, i: int) -> None:
        self.loads += 1
        self.rank[page] = self.loads
        self._set_next(page, self.nxt[i])

    def on_evict(self, page: int, slot: int) -> None:
        del self.next_of[page]
        del self.rank[page]

    def next_of_entry(self, entry: tuple[int, int, int]) -> int:
        return -entry[0]

    def choose_victim(self, i: int) -> int:
        heap, next_of = self.heap, self.next_of
        while True:
            entry = heapq.heappop(heap)
            page = entry[2]
            best_next = self.next_of_entry(entry)
            # A page's next use only grows while it is resident and a page
            # loaded again is next used later than its old entry says: an entry
            # is current exactly when it names the page's next use.
            if next_of.get(page) == best_next:
                break
        if best_next == self.never and self.detail:
            self.note = "never used again"
        return self.where[page]

    def record(self, i: int, page: int, hit: bool, victim: int | None) -> Access:
        never = self.never
        nexts = tuple(
            None if p is None or self.next_of[p] == never else self.next_of[p] for p in self.slots
        )
        return Access(i, page, hit, victim, self.where[page], tuple(self.slots),
                      order=tuple(self.loaded), next_use=nexts, note=self.note)

    def state_size(self) -> int:
        return (super().state_size() + len(self.next_of) + len(self.rank) + len(self.heap))


class _Unopt(_Opt):
    """The anti-optimal policy of OSTEP's homework: evict the page wanted soonest.

    The mirror of OPT, a ceiling to OPT's floor. Pages never used again are
    the last choice; they tie only when every resident page is never used
    again. With ties `slot` the tie goes to the lowest slot; with `ostep`, as
    paging-policy.py keeps the first strict minimum, to the page loaded first.
    """

    name = "UNOPT"

    def key(self, page: int, nxt: int) -> tuple[int, int, int]:
        if self.ostep:
            return (nxt, self.rank[page], page)  # the first of equal minima
        return (nxt, self.where[page], page)

    def next_of_entry(self, entry: tuple[int, int, int]) -> int:
        return entry[0]


class _Rand(_Policy):
    """Random replacement (OSTEP 22.5): a uniformly random resident page.

    As paging-policy.py does, the victim is position int(random() * frames) of
    the memory list (resident pages in load order), one draw per eviction.
    The list is a Python list: taking out one position is a memmove of at
    most `frames` pointers, O(frames) but a few nanoseconds a frame.
    """

    name = "RAND"

    def __init__(self, nframes: int, trace: Sequence[int], opts: Options = DEFAULT,
                 detail: bool = True) -> None:
        super().__init__(nframes, trace, opts, detail)
        self.rng = opts.rng if opts.rng is not None else random.Random(0)
        self.memory: list[int] = []  # the load order, as `loaded`, but indexable

    def choose_victim(self, i: int) -> int:
        memory = self.memory
        k = int(self.rng.random() * len(memory))
        if self.detail:
            self.note = f"random pick: position {k}"
        return self.where[memory.pop(k)]

    def on_load(self, page: int, slot: int, i: int) -> None:
        self.memory.append(page)

    def state_size(self) -> int:
        return super().state_size() + len(self.memory)


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
    started: CLOCK then degenerates to FIFO. Each pass of the hand takes away
    what a reference added, so a sweep is O(1) amortized per access (times
    `clockbits`).

    With clock `probe`, OSTEP's paging-policy.py instead: no hand, but
    repeated random probes of the memory list (position int(random() *
    frames)); a probed page above 0 is lowered by one, the first found at 0 is
    the victim. A textbook model, not the kernel's: Linux ages pages on its
    LRU lists (see LINUX), with no clock at all.
    """

    name = "CLOCK"

    def __init__(self, nframes: int, trace: Sequence[int], opts: Options = DEFAULT,
                 detail: bool = True) -> None:
        super().__init__(nframes, trace, opts, detail)
        self.bits = [0] * nframes
        self.hand = 0
        self.replacing = False
        self.probe = opts.clock == "probe"
        self.rng = opts.rng if opts.rng is not None else random.Random(0)
        self.memory: list[int] = []  # probe: the load order, indexable

    def on_hit(self, page: int, i: int) -> None:
        slot = self.where[page]
        self.bits[slot] = min(self.bits[slot] + 1, self.opts.clockbits)

    def choose_victim(self, i: int) -> int:
        return self._probe() if self.probe else self._sweep()

    def _sweep(self) -> int:
        bits, n = self.bits, self.nframes
        if not self.detail:
            hand = self.hand
            while bits[hand]:
                bits[hand] -= 1
                hand = (hand + 1) % n
            self.hand = hand
            return hand
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
        memory = self.memory
        bits, where, rng = self.bits, self.where, self.rng
        probed: list[str] = []
        while True:
            k = int(rng.random() * len(memory))
            page = memory[k]
            slot = where[page]
            if bits[slot] == 0:
                break
            bits[slot] -= 1
            if self.detail:
                probed.append(f"{page}({bits[slot]})")
        del memory[k]
        if self.detail:
            self.note = "probed " + " ".join([*probed, f"{page}: victim"])
        return slot

    def on_evict(self, page: int, slot: int) -> None:
        self.replacing = True

    def on_load(self, page: int, slot: int, i: int) -> None:
        self.bits[slot] = 1
        if self.probe:
            self.memory.append(page)
        elif self.replacing:
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

    def state_size(self) -> int:
        return super().state_size() + len(self.bits) + len(self.memory)


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

    def __init__(self, nframes: int, trace: Sequence[int], opts: Options = DEFAULT,
                 detail: bool = True) -> None:
        super().__init__(nframes, trace, opts, detail)
        # Each list is a linked hash map, tail first and head last: adding at the
        # head, taking the tail and moving a page out of the middle are O(1).
        self.active: OrderedDict[int, None] = OrderedDict()
        self.inactive: OrderedDict[int, None] = OrderedDict()
        self.referenced: set[int] = set()

    def mark_page_accessed(self, page: int) -> None:
        """mm/swap.c: activate on the second access, else set PG_referenced."""
        if page not in self.active and page in self.referenced:
            del self.inactive[page]
            self.active[page] = None
            self.referenced.discard(page)
            if self.detail:
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
            page = self.active.popitem(last=False)[0]
            self.inactive[page] = None
            moved.append(page)
        return moved

    def choose_victim(self, i: int) -> int:
        # One shrink pass visits the inactive list, then the active list
        # (for_each_evictable_lru in shrink_node_memcg). A pass that finds the
        # inactive list empty only deactivates, and the next pass reclaims.
        moved = [] if self.inactive else self.shrink_active_list()
        victim = self.inactive.popitem(last=False)[0]
        self.referenced.discard(victim)
        moved += self.shrink_active_list()
        if moved and self.detail:
            self.note = "deactivate " + " ".join(map(str, moved))
        return self.where[victim]

    def on_load(self, page: int, slot: int, i: int) -> None:
        self.inactive[page] = None
        self.mark_page_accessed(page)

    def record(self, i: int, page: int, hit: bool, victim: int | None) -> Access:
        return Access(
            i,
            page,
            hit,
            victim,
            self.where[page],
            tuple(self.slots),
            active=tuple(reversed(self.active)),
            inactive=tuple(reversed(self.inactive)),
            order=tuple(self.loaded),
            referenced=tuple(sorted(self.referenced)),
            note=self.note,
        )

    def _check(self) -> None:
        """Assert the invariants: the lists partition the resident pages."""
        assert len(self.active) + len(self.inactive) == len(self.where)
        assert set(self.active) | set(self.inactive) == set(self.where)
        assert self.referenced <= set(self.where)

    def state_size(self) -> int:
        return (super().state_size() + len(self.active) + len(self.inactive)
                + len(self.referenced))


_CLASSES: dict[str, type[_Policy]] = {
    cls.name: cls for cls in (_Fifo, _Lru, _Opt, _Unopt, _Mru, _Rand, _Clock, _Linux)
}


def iterate(policy: str, frames: int, trace: Iterable[int],
            opts: Options = DEFAULT) -> Iterator[Access]:
    """Yield one `Access` per reference of `trace`, as the reference is simulated.

    The policy keeps O(frames) state, and `trace` is read one page at a time
    as the accesses are asked for, so a generator of any length streams
    through. OPT and UNOPT need the future: they read the whole trace first
    and keep it with one next-use index per reference (8 bytes each). Each
    `Access` copies the frames: O(frames) per access; `steps()` does without.

    Raises ValueError as `simulate()` does, before the first access when
    `trace` is a sequence; a negative page in any other iterable raises when
    it is reached.
    """
    return _start(policy, frames, trace, opts, True)  # type: ignore[return-value]


def steps(policy: str, frames: int, trace: Iterable[int],
          opts: Options = DEFAULT) -> Iterator[Step]:
    """`iterate()` without the frames, the policy's state or the notes: one `Step` each.

    An access then costs O(1) (FIFO, LRU, MRU, CLOCK, LINUX; RAND and the
    probing CLOCK a memmove of at most `frames` pointers per eviction) or
    O(log frames) amortized (OPT, UNOPT). The hits, victims and slots are
    exactly `iterate()`'s.
    """
    return _start(policy, frames, trace, opts, False)  # type: ignore[return-value]


def _start(policy: str, frames: int, trace: Iterable[int], opts: Options,
           detail: bool) -> Iterator[Access | Step]:
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
    if cls in (_Opt, _Unopt) and not isinstance(trace, Sequence):
        trace = tuple(trace)
    if not isinstance(trace, Sequence):
        return _run_checked(cls(frames, (), opts, detail), trace)
    for page in trace:
        if page < 0:
            raise ValueError(f"page numbers are >= 0, got {page}")
    return _run(cls(frames, trace if cls in (_Opt, _Unopt) else (), opts, detail), trace)


def _run(sim: _Policy, trace: Iterable[int]) -> Iterator[Access | Step]:
    access = sim.access
    for i, page in enumerate(trace):
        yield access(i, page)


def _run_checked(sim: _Policy, trace: Iterable[int]) -> Iterator[Access | Step]:
    access = sim.access
    for i, page in enumerate(trace):
        if page < 0:
            raise ValueError(f"page numbers are >= 0, got {page}")
        yield access(i, page)


def count_hits(policy: str, frames: int, trace: Iterable[int],
               opts: Options = DEFAULT) -> tuple[int, int]:
    """(hits, accesses) of `trace` through `policy`, streaming, without any record.

    Memory O(frames) (OPT and UNOPT: O(len(trace))); time as `steps()`.
    """
    hits = n = 0
    for a in steps(policy, frames, trace, opts):
        hits += a.hit
        n += 1
    return hits, n


def simulate(policy: str, frames: int, trace: Iterable[int],
             opts: Options = DEFAULT) -> Result:
    """Run `trace` (page numbers) through `policy` with `frames` frames.

    `policy` is one of `POLICIES` (any case). Raises ValueError for an unknown
    policy or option, fewer than one frame or a negative page number.
    Runtime complexity: O(len(trace) * frames), the cost of recording the
    frames after every access; `iterate()` streams them instead and
    `count_hits()` only counts.
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
    return tuple(random_pages(seed, length, pages))


def random_pages(seed: int, length: int, pages: int) -> Iterator[int]:
    """`random_trace()` one page at a time, for traces too long to hold."""
    if length < 0 or pages < 1:
        raise ValueError("a random trace needs length >= 0 and pages >= 1")
    rng = random.Random(seed)
    randrange = rng.randrange
    for _ in range(length):
        yield randrange(pages)


def misses(policy: str, frames: int, trace: Sequence[int]) -> int:
    """Just the miss count of `simulate(policy, frames, trace)`, without the records."""
    hits, n = count_hits(policy, frames, trace)
    return n - hits
