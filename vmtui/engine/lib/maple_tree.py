"""The maple tree: a B-tree of ranges, as lib/maple_tree.c (Linux 6.1+) keeps mm->mm_mt.

Each node holds up to 16 slots (`maple_leaf_64`, `maple_range_64`) or 10 slots with a
gap per slot (`maple_arange_64`, the internal nodes of a tree made with
MT_FLAGS_ALLOC_RANGE, as the mm's tree is). Slot i covers the range that ends at pivot
i; the first slot starts at the node's minimum and the last one ends at its maximum,
both implied by the parent's pivots (0 and ULONG_MAX at the root). Here a node keeps
`len(slots) - 1` pivots: the last slot's end is always the implied maximum.

Empty ranges are NULL (None) entries in the leaves, so every free range of the index
space is a slot: an arange node records, per child, the largest NULL range below it,
and `empty_area` / `empty_area_rev` (the kernel's mas_empty_area[_rev], which
get_unmapped_area uses) find a gap in O(log n). As in the kernel, two NULL slots are
never next to each other and no leaf but the last ends with a NULL.

Stores follow the kernel's write paths (mas_wr_store_type): an exact fit rewrites a
slot; a store that fits rewrites one leaf (mas_wr_node_store); one that overflows it
splits upwards (mas_split, first trying to push data into a sibling, then
mab_calc_split); one that leaves a non-root node below mt_min_slots rebalances with a
neighbour (mas_rebalance); one that spans leaves combines the left and right leaves
and rebuilds the path above them (mas_wr_spanning_store, mas_spanning_rebalance).
The kernel copies nodes for RCU readers; this model changes nodes in place where the
result is the same shape.

Everything is iterative, and every operation walks one or two root-to-leaf paths:
O(log n), plus k for the entries a range operation visits.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterator
from typing import Any

__all__ = [
    "ULONG_MAX", "MAPLE_LEAF_64", "MAPLE_RANGE_64", "MAPLE_ARANGE_64", "MT_SLOTS",
    "MT_MIN_SLOTS", "MT_FLAGS_ALLOC_RANGE", "MM_MT_FLAGS", "MapleNode", "MapleTree",
]

ULONG_MAX = (1 << 64) - 1

# enum maple_type (include/linux/maple_tree.h)
MAPLE_DENSE, MAPLE_LEAF_64, MAPLE_RANGE_64, MAPLE_ARANGE_64 = 0, 1, 2, 3
TYPE_NAMES = {MAPLE_LEAF_64: "maple_leaf_64", MAPLE_RANGE_64: "maple_range_64",
              MAPLE_ARANGE_64: "maple_arange_64"}
# mt_slots[], mt_pivots[], mt_min_slots[] (lib/maple_tree.c, 64-bit)
MT_SLOTS = {MAPLE_LEAF_64: 16, MAPLE_RANGE_64: 16, MAPLE_ARANGE_64: 10}
MT_PIVOTS = {t: n - 1 for t, n in MT_SLOTS.items()}
MT_MIN_SLOTS = {MAPLE_LEAF_64: 16 // 2 - 2, MAPLE_RANGE_64: 16 // 2 - 2,
                MAPLE_ARANGE_64: 10 // 2 - 1}

MT_FLAGS_ALLOC_RANGE = 0x01
MT_FLAGS_USE_RCU = 0x02
MT_FLAGS_HEIGHT_OFFSET = 0x02
MT_FLAGS_LOCK_EXTERN = 0x300
# include/linux/mm_types.h: the flags of mm->mm_mt
MM_MT_FLAGS = MT_FLAGS_ALLOC_RANGE | MT_FLAGS_LOCK_EXTERN | MT_FLAGS_USE_RCU

# A made-up kernel address for the dump's pointers (nodes are 256-byte aligned).
_NODE_BASE = 0xFFFF888000000000


class MapleNode:
    """struct maple_node, seen as maple_range_64 / maple_arange_64 (a leaf is maple_leaf_64).

    `slots` holds entries (leaf) or child nodes; `pivots[i]` is the last index of slot
    i, for every slot but the last; `gaps[i]` (arange only) is the largest NULL range
    under child i; `parent` is None for the root.
    """

    __slots__ = ("nid", "type", "slots", "pivots", "gaps", "parent")

    def __init__(self, nid: int, type_: int, slots: list[Any], pivots: list[int],
                 gaps: list[int] | None = None) -> None:
        self.nid = nid
        self.type = type_
        self.slots = slots
        self.pivots = pivots
        self.gaps = gaps
        self.parent: MapleNode | None = None

    @property
    def leaf(self) -> bool:
        return self.type == MAPLE_LEAF_64

    @property
    def end(self) -> int:
        """ma_data_end(): the offset of the last slot in use."""
        return len(self.slots) - 1

    def __repr__(self) -> str:
        return f"MapleNode(#{self.nid} {TYPE_NAMES[self.type]} end={self.end})"


# A path from the root down to a node: (node, min, max) per level.
Path = list[tuple[MapleNode, int, int]]


class _Big:
    """struct maple_big_node: the data of one to three nodes while they are rebuilt.

    `piv[i]` is the end of entry i (the last one included), `slot[i]` the entry or
    child, `gap[i]` the child's largest gap (internal nodes only).
    """

    __slots__ = ("piv", "slot", "gap", "type")

    def __init__(self, type_: int) -> None:
        self.piv: list[int] = []
        self.slot: list[Any] = []
        self.gap: list[int] = []
        self.type = type_

    def __len__(self) -> int:
        return len(self.slot)

    def add(self, piv: int, slot: Any, gap: int = 0) -> None:
        self.piv.append(piv)
        self.slot.append(slot)
        self.gap.append(gap)

    def copy_node(self, node: MapleNode, hi: int, first: int = 0, last: int | None = None,
                  ) -> None:
        """mas_mab_cp(): slots first..last of `node` (whose max is `hi`) onto the end."""
        end = node.end if last is None else last
        for i in range(first, end + 1):
            self.add(node.pivots[i] if i < node.end else hi, node.slots[i],
                     node.gaps[i] if node.gaps is not None else 0)

    def prepend(self, other: _Big) -> None:
        self.piv[:0] = other.piv
        self.slot[:0] = other.slot
        self.gap[:0] = other.gap


def _slot_range(node: MapleNode, lo: int, hi: int, i: int) -> tuple[int, int]:
    """The range [min, max] of slot i: mas_safe_min() and mas_safe_pivot()."""
    start = node.pivots[i - 1] + 1 if i else lo
    end = node.pivots[i] if i < len(node.pivots) else hi
    return start, end


def _offset(node: MapleNode, index: int) -> int:
    """The slot of `node` that holds `index` (the loop of mtree_range_walk())."""
    return bisect_left(node.pivots, index)


def _child_offset(parent: MapleNode, child: MapleNode) -> int:
    """mte_parent_slot(): where `child` sits in `parent`."""
    for i, s in enumerate(parent.slots):
        if s is child:
            return i
    raise AssertionError(f"node #{child.nid} is not a child of #{parent.nid}")


def _leaf_max_gap(node: MapleNode, lo: int, hi: int) -> int:
    """mas_leaf_max_gap(): the size of the largest NULL range in a leaf."""
    best = 0
    pivots = node.pivots
    for i, entry in enumerate(node.slots):
        if entry is None:
            start = pivots[i - 1] + 1 if i else lo
            end = pivots[i] if i < len(pivots) else hi
            if end - start + 1 > best:
                best = end - start + 1
    return best


def _max_gap(node: MapleNode, lo: int, hi: int) -> int:
    """mas_max_gap(): a node's largest gap (a leaf's NULLs, or its largest child gap)."""
    if node.leaf:
        return _leaf_max_gap(node, lo, hi)
    assert node.gaps is not None
    return max(node.gaps)


class MapleTree:
    """struct maple_tree with the advanced (mas_*) API on (index, last) ranges.

    `alloc=True` makes it an MT_FLAGS_ALLOC_RANGE tree (internal nodes are
    maple_arange_64 with gaps), as mm->mm_mt is.
    """

    def __init__(self, alloc: bool = True, flags: int | None = None) -> None:
        self.alloc = alloc
        self.flags = (MM_MT_FLAGS if alloc else 0) if flags is None else flags
        self.root: MapleNode | None = None
        self.height = 0
        self._next_nid = 1
        self.last_path: list[int] = []  # node ids of the last look-up, root first

    # ------------------------------------------------------------------ nodes

    @property
    def internal_type(self) -> int:
        return MAPLE_ARANGE_64 if self.alloc else MAPLE_RANGE_64

    def _new_node(self, type_: int, slots: list[Any], pivots: list[int],
                  gaps: list[int] | None) -> MapleNode:
        """mas_pop_node() + the copy of mab_mas_cp(): a fresh node, its children adopted."""
        node = MapleNode(self._next_nid, type_, slots, pivots,
                         gaps if type_ == MAPLE_ARANGE_64 else None)
        self._next_nid += 1
        if type_ != MAPLE_LEAF_64:
            for child in slots:
                child.parent = node  # mas_adopt_children()
        return node

    def _node_from_big(self, bn: _Big, first: int, last: int) -> MapleNode:
        """mab_mas_cp(): entries first..last of a big node into a new node."""
        return self._new_node(bn.type, bn.slot[first:last + 1], bn.piv[first:last],
                              bn.gap[first:last + 1])

    def _set_root(self, node: MapleNode | None, height: int) -> None:
        """mas_put_in_tree() at the root, and mas_set_height()."""
        self.root = node
        self.height = height
        if node is not None:
            node.parent = None

    def _replace(self, path: Path, new: MapleNode) -> None:
        """Put `new` where path[-1]'s node was (mas_replace_node()), then fix the gaps."""
        old = path[-1][0]
        if len(path) == 1:
            self._set_root(new, self.height)
            return
        parent, plo, phi = path[-2]
        off = _child_offset(parent, old)
        parent.slots[off] = new
        new.parent = parent
        self._update_gaps(path[:-1] + [(new, path[-1][1], path[-1][2])])

    def _update_gaps(self, path: Path) -> None:
        """mas_update_gap() / mas_parent_gap(): carry a node's largest gap upwards."""
        if not self.alloc:
            return
        for level in range(len(path) - 1, 0, -1):
            node, lo, hi = path[level]
            parent = path[level - 1][0]
            assert parent.gaps is not None
            off = _child_offset(parent, node)
            gap = _max_gap(node, lo, hi)
            if parent.gaps[off] == gap:
                return
            parent.gaps[off] = gap

    # ------------------------------------------------------------------ walks

    def _walk(self, index: int) -> Path:
        """mas_walk() down to the leaf that holds `index`: the path, recorded."""
        path = self.path(index)
        self.last_path = [n.nid for n, _, _ in path]
        return path

    def path(self, index: int) -> Path:
        """The nodes mas_walk() visits for `index`, root first, each with its [min, max]:
        what a look-up of `index` reads. Changes nothing (not even `last_path`).
        Runtime complexity: O(height)."""
        path: Path = []
        node, lo, hi = self.root, 0, ULONG_MAX
        while node is not None:
            path.append((node, lo, hi))
            if node.leaf:
                break
            i = _offset(node, index)
            lo, hi = _slot_range(node, lo, hi, i)
            node = node.slots[i]
        return path

    @staticmethod
    def slots_of(node: MapleNode, lo: int, hi: int) -> list[tuple[int, int, Any]]:
        """(first, last, entry or child) of every slot of `node`, whose range is [lo, hi]:
        slot i ends at pivot i, the last one at hi. Runtime: O(slots)."""
        return [(*_slot_range(node, lo, hi, i), s) for i, s in enumerate(node.slots)]

    def walk(self, index: int) -> tuple[Any, int, int]:
        """mas_walk(): (entry or None, first, last) of the range that holds `index`."""
        if self.root is None:
            self.last_path = []
            return None, 0, ULONG_MAX
        leaf, lo, hi = self._walk(index)[-1]
        i = _offset(leaf, index)
        start, end = _slot_range(leaf, lo, hi, i)
        return leaf.slots[i], start, end

    def load(self, index: int) -> Any:
        """mtree_load(): the entry at `index`, or None."""
        return self.walk(index)[0]

    def find(self, index: int, max_: int = ULONG_MAX) -> tuple[Any, int, int] | None:
        """mt_find(): the first entry whose range holds an index in [index, max_], with
        its range, or None. Runtime: O(log n)."""
        if index > max_ or self.root is None:
            self.last_path = []
            return None
        path = self._walk(index)
        leaf, lo, hi = path[-1]
        i = _offset(leaf, index)
        while True:
            start, end = _slot_range(leaf, lo, hi, i)
            if start > max_:
                return None
            entry = leaf.slots[i]
            if entry is not None:
                return entry, start, end
            i += 1
            if i > leaf.end:
                if not self._next_leaf(path):
                    return None
                leaf, lo, hi = path[-1]
                self.last_path += [leaf.nid]
                i = 0

    def find_prev(self, index: int, min_: int = 0) -> tuple[Any, int, int] | None:
        """mas_prev() / mt_prev(): the last entry whose range starts at or below `index`
        and ends at or above `min_`. Runtime: O(log n)."""
        if index < min_ or self.root is None:
            self.last_path = []
            return None
        path = self._walk(index)
        leaf, lo, hi = path[-1]
        i = _offset(leaf, index)
        while True:
            start, end = _slot_range(leaf, lo, hi, i)
            if end < min_:
                return None
            entry = leaf.slots[i]
            if entry is not None:
                return entry, start, end
            i -= 1
            if i < 0:
                if not self._prev_leaf(path):
                    return None
                leaf, lo, hi = path[-1]
                self.last_path += [leaf.nid]
                i = leaf.end

    def _next_leaf(self, path: Path) -> bool:
        """mas_next_node(): move `path` to the next leaf; False after the last one."""
        depth = len(path)
        while len(path) > 1:
            node = path.pop()[0]
            parent, plo, phi = path[-1]
            off = _child_offset(parent, node)
            if off < parent.end:
                lo, hi = _slot_range(parent, plo, phi, off + 1)
                child = parent.slots[off + 1]
                path.append((child, lo, hi))
                while len(path) < depth:
                    node2, lo, hi = path[-1]
                    lo, hi = _slot_range(node2, lo, hi, 0)
                    path.append((node2.slots[0], lo, hi))
                return True
        while len(path) < depth:  # restore a valid path before failing
            node2, lo, hi = path[-1]
            lo, hi = _slot_range(node2, lo, hi, node2.end)
            path.append((node2.slots[node2.end], lo, hi))
        return False

    def _prev_leaf(self, path: Path) -> bool:
        """mas_prev_node(): move `path` to the previous leaf; False before the first."""
        depth = len(path)
        while len(path) > 1:
            node = path.pop()[0]
            parent, plo, phi = path[-1]
            off = _child_offset(parent, node)
            if off > 0:
                lo, hi = _slot_range(parent, plo, phi, off - 1)
                path.append((parent.slots[off - 1], lo, hi))
                while len(path) < depth:
                    node2, lo, hi = path[-1]
                    lo, hi = _slot_range(node2, lo, hi, node2.end)
                    path.append((node2.slots[node2.end], lo, hi))
                return True
        while len(path) < depth:
            node2, lo, hi = path[-1]
            lo, hi = _slot_range(node2, lo, hi, 0)
            path.append((node2.slots[0], lo, hi))
        return False

    def items(self, index: int = 0, max_: int = ULONG_MAX) -> Iterator[tuple[int, int, Any]]:
        """mt_for_each(): (first, last, entry) of every entry meeting [index, max_], in
        order. Runtime: O(log n + k). Do not change the tree while iterating."""
        if self.root is None or index > max_:
            return
        path = self._walk(index)
        leaf, lo, hi = path[-1]
        i = _offset(leaf, index)
        while True:
            start, end = _slot_range(leaf, lo, hi, i)
            if start > max_:
                return
            if leaf.slots[i] is not None:
                yield start, end, leaf.slots[i]
            i += 1
            if i > leaf.end:
                if not self._next_leaf(path):
                    return
                leaf, lo, hi = path[-1]
                i = 0

    def nodes(self) -> Iterator[tuple[int, MapleNode, int, int]]:
        """Every node, depth first in address order: (depth, node, min, max)."""
        if self.root is None:
            return
        stack: list[tuple[int, MapleNode, int, int]] = [(0, self.root, 0, ULONG_MAX)]
        while stack:
            depth, node, lo, hi = stack.pop()
            yield depth, node, lo, hi
            if not node.leaf:
                for i in range(node.end, -1, -1):
                    clo, chi = _slot_range(node, lo, hi, i)
                    stack.append((depth + 1, node.slots[i], clo, chi))

    # ------------------------------------------------------------------ stores

    def insert(self, index: int, last: int, entry: Any) -> None:
        """mtree_insert_range(): store `entry` at [index, last], which must be empty."""
        assert entry is not None
        if self.find(index, last) is not None:
            raise KeyError(f"[{index:#x}, {last:#x}] is not empty (-EEXIST)")
        self.store(index, last, entry)

    def erase(self, index: int) -> Any:
        """mtree_erase(): remove the entry that holds `index`; returns it."""
        entry, start, end = self.walk(index)
        if entry is not None:
            self.store(start, end, None)
        return entry

    def store(self, index: int, last: int, entry: Any) -> None:
        """mas_store() / mtree_store_range(): `entry` over [index, last] (None erases).

        The store type is chosen as mas_wr_store_type() does.
        Runtime complexity: O(log n), plus the leaves a spanning store empties.
        """
        if not 0 <= index <= last <= ULONG_MAX:
            raise ValueError(f"bad range [{index:#x}, {last:#x}]")
        if self.root is None:
            if entry is not None:
                self._root_expand(index, last, entry)
            return
        if index == 0 and last == ULONG_MAX:
            return self._new_root(entry)
        path = self._walk(index)
        leaf, lmin, lmax = path[-1]
        # mas_is_span_wr(): the store ends in another leaf, or a NULL ends this one
        if last > lmax or (entry is None and last == lmax and lmax != ULONG_MAX):
            return self._spanning_store(path, index, last, entry)

        off = _offset(leaf, index)
        r_min, r_max = _slot_range(leaf, lmin, lmax, off)
        content = leaf.slots[off]
        # mas_wr_end_piv()
        off_end = off
        while off_end < leaf.end and last > leaf.pivots[off_end]:
            off_end += 1
        end_piv = leaf.pivots[off_end] if off_end < leaf.end else lmax
        if entry is None:  # mas_wr_extend_null()
            if leaf.slots[off_end] is None:
                last = end_piv
            elif last == end_piv and off_end != leaf.end and leaf.slots[off_end + 1] is None:
                off_end += 1
                last = end_piv = leaf.pivots[off_end] if off_end < leaf.end else lmax
            if content is None:
                index = r_min
            elif index == r_min and off and leaf.slots[off - 1] is None:
                off -= 1
                content = None
                r_min, r_max = _slot_range(leaf, lmin, lmax, off)
                index = r_min
        if r_min == index and r_max == last:  # wr_exact_fit
            leaf.slots[off] = entry
            if (entry is None) != (content is None):
                self._update_gaps(path)
            return
        if index == 0 and last == ULONG_MAX:
            return self._new_root(entry)

        # mas_store_b_node(): the leaf's data with the store applied
        bn = _Big(MAPLE_LEAF_64)
        bn.copy_node(leaf, lmax, 0, off - 1)
        if r_min < index:
            bn.add(index - 1, content)
        bn.add(last, entry)
        if last < end_piv:
            bn.add(end_piv, leaf.slots[off_end])
        if off_end < leaf.end:
            bn.copy_node(leaf, lmax, off_end + 1)
        new_end = len(bn) - 1
        if new_end < MT_MIN_SLOTS[MAPLE_LEAF_64] and len(path) > 1:
            return self._rebalance(path, bn)  # wr_rebalance
        if new_end >= MT_SLOTS[MAPLE_LEAF_64]:
            return self._split(path, bn)  # wr_split_store
        # wr_node_store / wr_append / wr_slot_store: the leaf is rewritten in place
        leaf.slots = bn.slot
        leaf.pivots = bn.piv[:-1]
        self._update_gaps(path)

    def _root_expand(self, index: int, last: int, entry: Any) -> None:
        """mas_root_expand(): the first entry of an empty tree makes a leaf root."""
        slots: list[Any] = []
        pivots: list[int] = []
        if index:
            slots.append(None)
            pivots.append(index - 1)
        slots.append(entry)
        if last != ULONG_MAX:
            pivots.append(last)
            slots.append(None)
        self._set_root(self._new_node(MAPLE_LEAF_64, slots, pivots, None), 1)

    def _new_root(self, entry: Any) -> None:
        """mas_new_root(): one entry over the whole range (or an empty tree)."""
        if entry is None:
            self._set_root(None, 0)
        else:
            self._set_root(self._new_node(MAPLE_LEAF_64, [entry], [], None), 1)

    def _spanning_store(self, lpath: Path, index: int, last: int, entry: Any) -> None:
        """mas_wr_spanning_store(): a store whose range ends in another leaf.

        The left leaf up to `index`, the entry, and the right leaf from `last` + 1 go
        into one big node, which mas_spanning_rebalance() writes out, rebuilding the
        path above; the leaves between them drop out of the tree.
        """
        rpath = self._walk(last + 1 if last != ULONG_MAX else last)
        rleaf, rmin, rmax = rpath[-1]
        r_off = _offset(rleaf, last + 1 if last != ULONG_MAX else last)
        r_start, r_end = _slot_range(rleaf, rmin, rmax, r_off)
        lleaf, lmin, lmax = lpath[-1]
        l_off = _offset(lleaf, index)
        l_start, l_end = _slot_range(lleaf, lmin, lmax, l_off)
        l_content = lleaf.slots[l_off]
        if entry is None:  # mas_extend_spanning_null()
            if l_content is None:
                index = l_start
            if index == l_start and l_off and lleaf.slots[l_off - 1] is None:
                l_off -= 1
                l_start, l_end = _slot_range(lleaf, lmin, lmax, l_off)
                index = l_start
                l_content = None
            if rleaf.slots[r_off] is None and last != ULONG_MAX:
                last = r_end
                r_off += 1
        if index == 0 and last == ULONG_MAX:
            return self._new_root(entry)
        bn = _Big(MAPLE_LEAF_64)
        bn.copy_node(lleaf, lmax, 0, l_off - 1)
        if l_start < index:
            bn.add(index - 1, l_content)
        bn.add(last, entry)
        if rmax > last and r_off <= rleaf.end:
            bn.copy_node(rleaf, rmax, r_off)
        self._spanning_rebalance(lpath, rpath, bn, self.height + 1)

    # ------------------------------------------------------- split and rebalance

    def _calc_split(self, bn: _Big, min_: int) -> tuple[int, int]:
        """mab_calc_split(): where to cut a big node (and the second cut of a rare
        3-way split, else 0). Left gets 0..split."""
        b_end = len(bn) - 1
        split = b_end // 2
        slot_count = MT_SLOTS[bn.type]
        mid_split = 0
        # mab_middle_node()
        if b_end >= 2 * slot_count or (bn.slot[split] is None and b_end >= 2 * slot_count - 1):
            split = b_end // 3
            mid_split = split * 2
        else:
            slot_min = MT_MIN_SLOTS[bn.type]
            # (unsigned long arithmetic: a pivot below min_ wraps to a huge distance)
            while (split < slot_count - 1 and (bn.piv[split] - min_) & ULONG_MAX < slot_count - 1
                   and b_end - split > slot_min):
                split += 1
        split = self._no_null_split(bn, split, slot_count, b_end)
        if mid_split:
            mid_split = self._no_null_split(bn, mid_split, slot_count, b_end)
        return split, mid_split

    @staticmethod
    def _no_null_split(bn: _Big, split: int, slot_count: int, b_end: int) -> int:
        """mab_no_null_split(): never end the left node on a NULL entry."""
        if bn.slot[split] is None:
            if split < slot_count - 1 and b_end - split > MT_MIN_SLOTS[bn.type]:
                split += 1
            else:
                split -= 1
        return split

    def _nodes_from_big(self, bn: _Big, lo: int, hi: int, min_: int,
                        ) -> list[tuple[MapleNode, int, int]]:
        """mas_mab_to_node() + mast_cp_to_nodes(): one, two or three nodes of bn's data."""
        if len(bn) <= MT_SLOTS[bn.type]:
            return [(self._node_from_big(bn, 0, len(bn) - 1), lo, hi)]
        split, mid = self._calc_split(bn, min_)
        cuts = [split] + ([mid] if mid else [])
        out = []
        first = 0
        start = lo
        for cut in cuts:
            out.append((self._node_from_big(bn, first, cut), start, bn.piv[cut]))
            start = bn.piv[cut] + 1
            first = cut + 1
        out.append((self._node_from_big(bn, first, len(bn) - 1), start, hi))
        return out

    def _big_of(self, nodes: list[tuple[MapleNode, int, int]]) -> _Big:
        bn = _Big(self.internal_type)
        for node, lo, hi in nodes:
            bn.add(hi, node, _max_gap(node, lo, hi) if self.alloc else 0)  # mab_set_b_end()
        return bn

    def _split(self, path: Path, bn: _Big) -> None:
        """mas_split(): data too big for one node, split upwards.

        At each level, first try to push data into the left, then the right sibling
        (mas_push_data()); else cut at mab_calc_split() and carry the two halves up.
        """
        prev_l_min = 0  # prev_l_mas.min: 0 at the leaves, then the left half's min
        while True:
            node, lo, hi = path[-1]
            if len(bn) <= MT_SLOTS[bn.type]:  # mas_split_final_node()
                new = self._node_from_big(bn, 0, len(bn) - 1)
                self._replace(path, new)
                return
            if len(path) > 1 and (self._push_data(path, bn, True)
                                  or self._push_data(path, bn, False)):
                return
            split, _ = self._calc_split(bn, prev_l_min)
            left = self._node_from_big(bn, 0, split)
            right = self._node_from_big(bn, split + 1, len(bn) - 1)
            halves = [(left, lo, bn.piv[split]), (right, bn.piv[split] + 1, hi)]
            if len(path) == 1:  # the root splits: a new root above, one level more
                up = self._big_of(halves)
                root = self._node_from_big(up, 0, len(up) - 1)
                self._set_root(root, self.height + 1)
                return
            parent, plo, phi = path[-2]
            off = _child_offset(parent, node)
            up = _Big(parent.type)
            up.copy_node(parent, phi, 0, off - 1)  # mast_fill_bnode()
            halves_bn = self._big_of(halves)
            up.piv += halves_bn.piv
            up.slot += halves_bn.slot
            up.gap += halves_bn.gap
            up.copy_node(parent, phi, off + 1)
            bn = up
            prev_l_min = lo
            path = path[:-1]

    def _push_data(self, path: Path, bn: _Big, left: bool) -> bool:
        """mas_push_data(): instead of splitting, share the data with a sibling that has
        room, keeping the parent's fan-out (and the tree's height) unchanged."""
        node, lo, hi = path[-1]
        parent, plo, phi = path[-2]
        off = _child_offset(parent, node)
        s_off = off - 1 if left else off + 1
        if s_off < 0 or s_off > parent.end:
            return False
        sib = parent.slots[s_off]
        s_lo, s_hi = _slot_range(parent, plo, phi, s_off)
        slots = MT_SLOTS[bn.type]
        slot_total = (len(bn) - 1) + sib.end
        space = 2 * slots - 2  # -2 instead of -1 to ensure there isn't a triple split
        if bn.type == MAPLE_LEAF_64:
            space -= 1
        if hi == ULONG_MAX:
            space -= 1
        if slot_total >= space:
            return False
        both = _Big(bn.type)
        if left:
            both.copy_node(sib, s_hi)
            both.piv += bn.piv
            both.slot += bn.slot
            both.gap += bn.gap
            split = self._no_null_split(both, slots - 2, slots, slot_total + 1)
            a_lo, b_hi, a_off = s_lo, hi, s_off
        else:
            both.piv, both.slot, both.gap = list(bn.piv), list(bn.slot), list(bn.gap)
            both.copy_node(sib, s_hi)
            split = self._no_null_split(both, slot_total - (slots - 2), slots, slot_total + 2)
            a_lo, b_hi, a_off = lo, s_hi, off
        # Not in the kernel: a push that would leave either node below mt_min_slots
        # (a large node next to a nearly empty last one) splits instead, so that
        # check() (mt_validate) holds after every store.
        floor = MT_MIN_SLOTS[bn.type]
        if split < floor or (len(both) - split - 2 < floor and b_hi != ULONG_MAX):
            return False
        a = self._node_from_big(both, 0, split)
        b = self._node_from_big(both, split + 1, len(both) - 1)
        parent.slots[a_off] = a
        parent.slots[a_off + 1] = b
        a.parent = b.parent = parent
        parent.pivots[a_off] = both.piv[split]
        if parent.gaps is not None:
            parent.gaps[a_off] = _max_gap(a, a_lo, both.piv[split])
            parent.gaps[a_off + 1] = _max_gap(b, both.piv[split] + 1, b_hi)
        self._update_gaps(path[:-1])
        return True

    def _rebalance(self, path: Path, bn: _Big) -> None:
        """mas_rebalance(): a node below mt_min_slots takes in its next sibling (or, for
        the last child, its previous one), and the pair is written out again."""
        node, lo, hi = path[-1]
        parent, plo, phi = path[-2]
        off = _child_offset(parent, node)
        lpath, rpath = path, path
        if off < parent.end:
            s_lo, s_hi = _slot_range(parent, plo, phi, off + 1)
            bn.copy_node(parent.slots[off + 1], s_hi)
            rpath = path[:-1] + [(parent.slots[off + 1], s_lo, s_hi)]
        else:
            s_lo, s_hi = _slot_range(parent, plo, phi, off - 1)
            prev = _Big(bn.type)
            prev.copy_node(parent.slots[off - 1], s_hi)
            bn.prepend(prev)
            lpath = path[:-1] + [(parent.slots[off - 1], s_lo, s_hi)]
        self._spanning_rebalance(lpath, rpath, bn, self.height)

    def _pull_neighbour(self, lpath: Path, rpath: Path, bn: _Big) -> tuple[Path, Path]:
        """mast_spanning_rebalance(): take in the whole node just right of the range at
        the same level (else the one just left), found through the nearest ancestor
        that has one."""
        depth = len(lpath)
        for level in range(depth - 2, -1, -1):
            rnode, rlo, rhi = rpath[level]
            r_off = _child_offset(rnode, rpath[level + 1][0])
            if r_off < rnode.end:
                path = rpath[:level + 1]
                node, lo, hi = rnode, rlo, rhi
                i = r_off + 1
                while len(path) < depth:
                    lo, hi = _slot_range(node, lo, hi, i)
                    node = node.slots[i]
                    path.append((node, lo, hi))
                    i = 0
                bn.copy_node(node, hi)
                return lpath, path
            lnode, llo, lhi = lpath[level]
            l_off = _child_offset(lnode, lpath[level + 1][0])
            if l_off > 0:
                path = lpath[:level + 1]
                node, lo, hi = lnode, llo, lhi
                i = l_off - 1
                while len(path) < depth:
                    lo, hi = _slot_range(node, lo, hi, i)
                    node = node.slots[i]
                    path.append((node, lo, hi))
                    i = node.end
                prev = _Big(bn.type)
                prev.copy_node(node, hi)
                bn.prepend(prev)
                return path, rpath
        return lpath, rpath

    def _spanning_rebalance(self, lpath: Path, rpath: Path, bn: _Big, count: int) -> None:
        """mas_spanning_rebalance(): write bn (the data of [left node's min, right node's
        max]) out as one to three nodes, then do the same one level up with the
        parents' other children, up to the root. A level left below mt_min_slots takes
        in a neighbour; a single node over the whole range becomes the new root."""
        lo, hi = lpath[-1][1], rpath[-1][2]
        if (lo != 0 or hi != ULONG_MAX) and len(bn) <= MT_MIN_SLOTS[bn.type]:
            lpath, rpath = self._pull_neighbour(lpath, rpath, bn)
        while count:
            count -= 1
            lo, hi = lpath[-1][1], rpath[-1][2]
            nodes = self._nodes_from_big(bn, lo, hi, lo)
            if len(nodes) == 1 and lo == 0 and hi == ULONG_MAX:
                # new_root: one node holds everything; the levels above it go
                self._set_root(nodes[0][0], self.height - len(lpath) + 1)
                return
            up = self._big_of(nodes)
            if len(lpath) == 1:
                # the root's data took two or three nodes: a new root above them
                self._set_root(self._node_from_big(up, 0, len(up) - 1), self.height + 1)
                return
            # mast_ascend(), mast_combine_cp_left(), mast_combine_cp_right()
            lparent, _, lphi = lpath[-2]
            rparent, _, rphi = rpath[-2]
            l_off = _child_offset(lparent, lpath[-1][0])
            r_off = _child_offset(rparent, rpath[-1][0])
            left = _Big(up.type)
            left.copy_node(lparent, lphi, 0, l_off - 1)
            up.prepend(left)
            up.copy_node(rparent, rphi, r_off + 1)
            lpath, rpath = lpath[:-1], rpath[:-1]
            bn = up
            if len(bn) > MT_MIN_SLOTS[bn.type]:  # mast_sufficient() (or overflow)
                continue
            if lpath[-1][1] == 0 and rpath[-1][2] == ULONG_MAX:
                break  # the root may hold little
            lpath, rpath = self._pull_neighbour(lpath, rpath, bn)
            if not count:
                count += 1  # rebalancing from other nodes may require another loop
        # only the root level gets here: bn is the new root's data
        assert len(lpath) == 1 and len(bn) <= MT_SLOTS[bn.type]
        self._set_root(self._node_from_big(bn, 0, len(bn) - 1), self.height)

    # ------------------------------------------------------------------ gaps

    def empty_area(self, min_: int, max_: int, size: int) -> tuple[int, int] | None:
        """mas_empty_area(): the lowest [index, last] of `size` NULL indices inside
        [min_, max_], or None (-EBUSY). Subtrees whose gap is too small are skipped.
        Runtime complexity: O(log n)."""
        if min_ > max_ or size == 0 or max_ - min_ < size - 1:
            return None
        if self.root is None:  # mas_sparse_area()
            return min_, min_ + size - 1
        return self._area(min_, max_, size, False)

    def empty_area_rev(self, min_: int, max_: int, size: int) -> tuple[int, int] | None:
        """mas_empty_area_rev(): the highest [index, last] of `size` NULL indices inside
        [min_, max_], or None (-EBUSY). Runtime complexity: O(log n)."""
        if min_ > max_ or size == 0 or max_ - min_ < size - 1:
            return None
        if self.root is None:
            return max_ - size + 1, max_
        return self._area(min_, max_, size, True)

    def _area(self, wmin: int, wmax: int, size: int, rev: bool) -> tuple[int, int] | None:
        """The walk of mas_awalk() / mas_rev_awalk(): from the root, take the first child
        (in address order, or reverse) that meets the window and whose gap is at least
        `size`; in a leaf, the first NULL slot that still fits once clipped to the
        window wins. A child that holds no fit after all (its large gap lies outside
        the window) is left for the next one (mas_skip_node() / mas_rewind_node())."""
        assert self.root is not None
        path: list[int] = []
        # (node, min, max, next offset to try): the walk's own stack of ancestors
        stack: list[tuple[MapleNode, int, int, int]] = []
        node, lo, hi = self.root, 0, ULONG_MAX
        i = (min(_offset(node, wmax), node.end) if rev else _offset(node, wmin))
        path.append(node.nid)
        while True:
            step = -1 if rev else 1
            descended = False
            while 0 <= i <= node.end:
                start, end = _slot_range(node, lo, hi, i)
                if (end < wmin) if rev else (start > wmax):
                    break
                a, b = max(start, wmin), min(end, wmax)
                if b - a + 1 >= size:
                    if node.leaf:
                        if node.slots[i] is None:
                            self.last_path = path
                            return (b - size + 1, b) if rev else (a, a + size - 1)
                    elif node.gaps is None or node.gaps[i] >= size:
                        stack.append((node, lo, hi, i + step))
                        node, lo, hi = node.slots[i], start, end
                        i = (min(_offset(node, wmax), node.end) if rev
                             else _offset(node, wmin))
                        path.append(node.nid)
                        descended = True
                        break
                i += step
            if descended:
                continue
            if not stack:
                self.last_path = path
                return None
            node, lo, hi, i = stack.pop()

    # ------------------------------------------------------------- validation

    def check(self) -> None:
        """mt_validate(): every invariant, raising AssertionError with what is wrong.

        Pivots sorted and inside the limits the parent implies; every child's gap is
        the real largest NULL range below it; non-root nodes hold at least
        mt_min_slots + 1 slots unless they end at ULONG_MAX; all leaves at one depth,
        the height; parent links; no NULL next to a NULL; no leaf but the last ending
        with NULL. Runtime complexity: O(n).
        """
        root = self.root
        if root is None:
            assert self.height == 0, f"empty tree with height {self.height}"
            return
        assert root.parent is None, f"root #{root.nid} has a parent"
        assert not (root.leaf and root.end == 0 and root.slots[0] is None), \
            "a tree of one NULL must be empty"
        prev_null = False
        for depth, node, lo, hi in self.nodes():
            name = f"node #{node.nid} [{lo:#x}, {hi:#x}]"
            want_type = MAPLE_LEAF_64 if depth == self.height - 1 else self.internal_type
            assert node.type == want_type, (
                f"{name} at depth {depth} is {TYPE_NAMES.get(node.type, node.type)}, "
                f"expected {TYPE_NAMES[want_type]} (height {self.height})")
            slots = MT_SLOTS[node.type]
            assert 1 <= len(node.slots) <= slots, f"{name} has {len(node.slots)} slots"
            assert len(node.pivots) == len(node.slots) - 1, f"{name}: pivots/slots mismatch"
            if node is not root:
                assert node.end >= MT_MIN_SLOTS[node.type] or hi == ULONG_MAX, (
                    f"{name}: end {node.end} below mt_min_slots {MT_MIN_SLOTS[node.type]}")
            prev = lo - 1
            for i, piv in enumerate(node.pivots):
                assert piv > prev, f"{name}: pivot {i} {piv:#x} not above {prev:#x}"
                assert piv < hi, f"{name}: pivot {i} {piv:#x} not below max {hi:#x}"
                prev = piv
            if node.leaf:
                for i, entry in enumerate(node.slots):
                    assert not (entry is None and prev_null), (
                        f"{name}: NULL at slot {i} follows a NULL")
                    prev_null = entry is None
                assert not (node.slots[-1] is None and hi != ULONG_MAX), (
                    f"{name}: the leaf ends with NULL")
                continue
            if self.alloc:
                assert node.gaps is not None and len(node.gaps) == len(node.slots), \
                    f"{name}: gaps missing"
            for i, child in enumerate(node.slots):
                assert isinstance(child, MapleNode), f"{name}: slot {i} is not a node"
                assert child.parent is node, (
                    f"node #{child.nid} in slot {i} of #{node.nid} has parent "
                    f"#{child.parent.nid if child.parent else None}")
                if self.alloc:
                    clo, chi = _slot_range(node, lo, hi, i)
                    real = self._real_gap(child, clo, chi)
                    assert node.gaps[i] == real, (  # type: ignore[index]
                        f"{name}: gap {i} is {node.gaps[i]:#x}, "  # type: ignore[index]
                        f"the largest gap below is {real:#x}")

    def _real_gap(self, node: MapleNode, lo: int, hi: int) -> int:
        """The largest NULL range below `node`, recomputed from its leaves."""
        if node.leaf:
            return _leaf_max_gap(node, lo, hi)
        return max(self._real_gap(c, *_slot_range(node, lo, hi, i))
                   for i, c in enumerate(node.slots))

    # ------------------------------------------------------------------- dump

    def ma_flags(self) -> int:
        """mt->ma_flags: the attributes and the height (MT_FLAGS_HEIGHT_OFFSET)."""
        return self.flags | (self.height << MT_FLAGS_HEIGHT_OFFSET)

    @staticmethod
    def _addr(node: MapleNode) -> int:
        return _NODE_BASE + node.nid * 256

    def _enode(self, node: MapleNode) -> int:
        """mt_mk_node(): node address | type << 3 | MAPLE_ENODE_NULL."""
        return self._addr(node) | (node.type << 3) | 0x04

    def _parent_ptr(self, node: MapleNode) -> int:
        if node.parent is None:  # mas_tree_parent(): the tree | MA_ROOT_PARENT
            return (_NODE_BASE - 0x1000) | 1
        return self._addr(node.parent) | (_child_offset(node.parent, node) << 3) | 0x06

    def dump(self, hex_: bool = True, entry_ptr: Callable[[Any], int] | None = None,
             max_nodes: int | None = None) -> str:
        """mt_dump(mt, mt_dump_hex) (or mt_dump_dec): the kernel's debug dump, as text.

        Pointers are made up: node #n sits at 0xffff888000000000 + n * 256; entries are
        printed by `entry_ptr` (default: an int i as xa_mk_value(i), other objects by
        a stable fake address). With `max_nodes`, the dump stops after that many nodes
        (depth first, as the kernel prints them) and ends with a line
        "... N more nodes not shown (M in all)", which the kernel never prints.
        """
        ids: dict[int, int] = {}

        def eptr(entry: Any) -> int:
            if entry is None:
                return 0
            if entry_ptr is not None:
                return entry_ptr(entry)
            if isinstance(entry, int):
                return (entry << 1) | 1
            return 0xFFFF888100000000 + 0x100 * ids.setdefault(id(entry), len(ids) + 1)

        def p(v: int) -> str:
            return f"{v:016x}"

        def num(v: int, upper: bool = False) -> str:
            if not hex_:
                return str(v)
            return f"{v:X}" if upper else f"{v:x}"

        out: list[str] = []
        root = self.root
        rootp = (self._enode(root) | 0x02) if root is not None else 0
        out.append(f"maple_tree({p(_NODE_BASE - 0x1000)}) flags {self.ma_flags():X}, "
                   f"height {self.height} root {p(rootp)}\n")
        if root is None:
            out.append("(empty)\n")
            return "".join(out)

        def rng(lo: int, hi: int, depth: int) -> str:
            pad = " " * (depth * 2)
            return f"{pad}{num(lo)}: " if lo == hi else f"{pad}{num(lo)}-{num(hi)}: "

        def entry_line(entry: Any, lo: int, hi: int, depth: int) -> None:
            if isinstance(entry, int) and entry_ptr is None:
                out.append(f"{rng(lo, hi, depth)}value {entry} (0x{entry:x}) "
                           f"[{p(eptr(entry))}]\n")
            else:
                out.append(f"{rng(lo, hi, depth)}{p(eptr(entry))}\n")

        stack: list[tuple[MapleNode, int, int, int]] = [(root, 0, ULONG_MAX, 0)]
        shown = 0
        while stack:
            if max_nodes is not None and shown >= max_nodes:
                total = sum(1 for _ in self.nodes())
                out.append(f"... {total - shown} more nodes not shown ({total} in all)\n")
                break
            shown += 1
            node, lo, hi, depth = stack.pop()
            slots_n = MT_SLOTS[node.type]
            piv = list(node.pivots)
            if len(piv) < slots_n - 1:
                piv.append(hi)  # the kernel stores the node's max after the data
            piv += [0] * (slots_n - 1 - len(piv))
            raw = [self._enode(s) if isinstance(s, MapleNode) else eptr(s)
                   for s in node.slots]
            raw += [0] * (slots_n - len(raw))
            line = [rng(lo, hi, depth),
                    f"node {p(self._addr(node))} depth {depth} type {node.type} "
                    f"parent {p(self._parent_ptr(node))} contents: "]
            if node.type == MAPLE_ARANGE_64:
                gaps = list(node.gaps or []) + [0] * (slots_n - len(node.gaps or []))
                line += [f"{num(g)} " for g in gaps]
                best = max(gaps)
                meta_gap = max((i for i, g in enumerate(gaps) if g == best), default=0) \
                    if best else 0
                line.append(f"| {node.end:02X} {meta_gap:02X}| ")
            elif node.end < slots_n - 1:
                raw[slots_n - 1] = node.end  # maple_metadata {end, gap} in the last slot
            for i in range(slots_n - 1):
                line.append(f"{p(raw[i])} {num(piv[i], True)} ")
            line.append(f"{p(raw[slots_n - 1])}\n")
            out.append("".join(line))
            children = []
            for i in range(node.end + 1):
                clo, chi = _slot_range(node, lo, hi, i)
                if node.leaf:
                    children.append(("e", node.slots[i], clo, chi))
                else:
                    children.append(("n", node.slots[i], clo, chi))
            # leaf entries print at once, child nodes depth first in order
            if node.leaf:
                for _, entry, clo, chi in children:
                    entry_line(entry, clo, chi, depth + 1)
            else:
                for _, child, clo, chi in reversed(children):
                    stack.append((child, clo, chi, depth + 1))
        return "".join(out)

    # ------------------------------------------------------------- save/restore

    def shape(self, entry_index: Callable[[Any], int]) -> list[int]:
        """The tree as flat integers, preorder: per node its id, type, slot count, pivots,
        gaps (arange) and, for a leaf, each slot's entry number (-1 for NULL). A tree
        rebuilt by storing its entries again could come out in another shape."""
        out = [self.height]
        stack = [self.root] if self.root is not None else []
        while stack:
            node = stack.pop()
            out += [node.nid, node.type, len(node.slots)]
            out += node.pivots
            if node.gaps is not None:
                out += node.gaps
            if node.leaf:
                out += [-1 if e is None else entry_index(e) for e in node.slots]
            else:
                stack.extend(reversed(node.slots))
        return out

    def set_shape(self, shape: list[int], entries: list[Any]) -> None:
        """Rebuild the very tree `shape()` described, over `entries`."""
        self.height = shape[0]
        pos = 1

        def build() -> MapleNode:
            nonlocal pos
            nid, type_, n = shape[pos], shape[pos + 1], shape[pos + 2]
            pos += 3
            pivots = shape[pos:pos + n - 1]
            pos += n - 1
            gaps = None
            if type_ == MAPLE_ARANGE_64:
                gaps = shape[pos:pos + n]
                pos += n
            if type_ == MAPLE_LEAF_64:
                slots: list[Any] = [None if k < 0 else entries[k] for k in shape[pos:pos + n]]
                pos += n
            else:
                slots = [build() for _ in range(n)]  # recursion depth is the height
            node = self._new_node(type_, slots, pivots, gaps)
            node.nid = nid  # the same ids, so a restored step highlights the same path
            self._next_nid = max(self._next_nid, nid + 1)
            return node

        self.root = build() if len(shape) > 1 else None
