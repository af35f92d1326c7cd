"""The VMA red-black tree, augmented with `rb_subtree_gap` (Linux 5.4).

The balancing code is a port of `lib/rbtree.c` (`__rb_insert`,
`__rb_erase_augmented`, `____rb_erase_color`) with the augmented callbacks of
`include/linux/rbtree_augmented.h` (`RB_DECLARE_CALLBACKS_MAX`): *propagate*,
*copy* and *rotate*. The augmentation and the searches come from `mm/mmap.c`:
`vma_compute_gap`, `vma_gap_update`, `find_vma`, `unmapped_area` and
`unmapped_area_topdown`.

Each node stores `subtree_gap`, the largest free gap found just below any VMA
of its subtree. A gap belongs to the VMA that follows it, so it depends on the
VMA's `vm_prev`; the tree does not own that link. Whoever changes `vm_prev` or
`vm_start` of a VMA in the tree calls `update_gap(vma.vm_rb)` afterwards, as
mm/mmap.c calls `vma_gap_update(vma->vm_next)`.

Everything is iterative: trees hold tens of thousands of VMAs.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Generic, Protocol, TypeVar

__all__ = [
    "GapItem",
    "RbNode",
    "RbTree",
    "rb_next",
    "rb_prev",
    "vma_compute_gap",
]


class GapItem(Protocol):
    """What the tree needs of a VMA (`struct vm_area_struct` in include/linux/mm_types.h)."""

    @property
    def vm_start(self) -> int: ...

    @property
    def vm_end(self) -> int: ...

    @property
    def vm_prev(self) -> GapItem | None: ...

    def start_gap(self) -> int:
        """`vm_start_gap()`: vm_start lowered by the stack guard gap of a VM_GROWSDOWN VMA."""
        ...

    def end_gap(self) -> int:
        """`vm_end_gap()`: vm_end raised by the stack guard gap of a VM_GROWSUP VMA."""
        ...


V = TypeVar("V", bound=GapItem)


class RbNode(Generic[V]):
    """One tree node, `struct rb_node vm_rb` plus `rb_subtree_gap` of the VMA that owns it."""

    __slots__ = ("left", "right", "parent", "red", "vma", "subtree_gap")

    def __init__(self, vma: V) -> None:
        self.left: RbNode[V] | None = None
        self.right: RbNode[V] | None = None
        self.parent: RbNode[V] | None = None
        self.red: bool = False
        self.vma: V = vma
        self.subtree_gap: int = 0

    def __repr__(self) -> str:
        vma = self.vma
        colour = "red" if self.red else "black"
        return (
            f"RbNode({vma.vm_start:#x}-{vma.vm_end:#x} {colour} "
            f"subtree_gap={self.subtree_gap:#x})"
        )


def vma_compute_gap(vma: GapItem) -> int:
    """Free space just below `vma`: mm/mmap.c `vma_compute_gap()`.

    In the rare case of a VM_GROWSDOWN VMA above a VM_GROWSUP one the two
    guard gaps may overlap; the gap is then 0, never negative.
    """
    gap = vma.start_gap()
    prev = vma.vm_prev
    if prev is not None:
        prev_end = prev.end_gap()
        gap = gap - prev_end if gap > prev_end else 0
    return gap


def _compute_max(node: RbNode[V]) -> int:
    """The subtree gap of `node` from its own gap and its children's stored values."""
    gap = vma_compute_gap(node.vma)
    left = node.left
    if left is not None and left.subtree_gap > gap:
        gap = left.subtree_gap
    right = node.right
    if right is not None and right.subtree_gap > gap:
        gap = right.subtree_gap
    return gap


# The augmented callbacks, `vma_gap_callbacks` in mm/mmap.c, generated there by
# RB_DECLARE_CALLBACKS_MAX (include/linux/rbtree_augmented.h).


def _propagate(node: RbNode[V] | None, stop: RbNode[V] | None) -> None:
    """`vma_gap_callbacks_propagate()`: recompute upwards until a value holds.

    Runtime complexity: O(log(n))
    """
    while node is not stop:
        assert node is not None
        gap = _compute_max(node)
        # Ancestors only depend on this value: if it did not move, they hold.
        if node.subtree_gap == gap:
            break
        node.subtree_gap = gap
        node = node.parent


def _copy(old: RbNode[V], new: RbNode[V]) -> None:
    """`vma_gap_callbacks_copy()`: `new` takes `old`'s place, and its subtree."""
    new.subtree_gap = old.subtree_gap


def _rotate(old: RbNode[V], new: RbNode[V]) -> None:
    """`vma_gap_callbacks_rotate()`: `new` became the parent of `old`."""
    new.subtree_gap = old.subtree_gap
    old.subtree_gap = _compute_max(old)


def rb_next(node: RbNode[V]) -> RbNode[V] | None:
    """The node after `node` in address order: lib/rbtree.c `rb_next()`.

    Runtime complexity: O(log(n)) worst case, O(1) amortised over a walk.
    """
    right = node.right
    if right is not None:
        while right.left is not None:
            right = right.left
        return right
    parent = node.parent
    while parent is not None and node is parent.right:
        node = parent
        parent = node.parent
    return parent


def rb_prev(node: RbNode[V]) -> RbNode[V] | None:
    """The node before `node` in address order: lib/rbtree.c `rb_prev()`.

    Runtime complexity: O(log(n)) worst case, O(1) amortised over a walk.
    """
    left = node.left
    if left is not None:
        while left.right is not None:
            left = left.right
        return left
    parent = node.parent
    while parent is not None and node is parent.left:
        node = parent
        parent = node.parent
    return parent


def _describe(node: RbNode[V]) -> str:
    vma = node.vma
    return f"vma {vma.vm_start:#x}-{vma.vm_end:#x}"


class RbTree(Generic[V]):
    """`mm->mm_rb`: the VMAs of one address space, keyed by `vm_start`."""

    __slots__ = ("root", "_len")

    def __init__(self) -> None:
        self.root: RbNode[V] | None = None
        self._len = 0

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[V]:
        return self.inorder()

    def __repr__(self) -> str:
        return f"RbTree(len={self._len})"

    # ------------------------------------------------------------------ links

    def _change_child(
        self, old: RbNode[V], new: RbNode[V] | None, parent: RbNode[V] | None
    ) -> None:
        """`__rb_change_child()`: make `parent` (or the root) point at `new` instead of `old`."""
        if parent is None:
            self.root = new
        elif parent.left is old:
            parent.left = new
        else:
            parent.right = new

    def _rotate_set_parents(self, old: RbNode[V], new: RbNode[V], red: bool) -> None:
        """`__rb_rotate_set_parents()`: `new` takes `old`'s parent and colour."""
        parent = old.parent
        new.parent = parent
        new.red = old.red
        old.parent = new
        old.red = red
        self._change_child(old, new, parent)

    # ----------------------------------------------------------------- insert

    def insert(self, node: RbNode[V]) -> None:
        """Link `node` by `vm_start` and rebalance: mm/mmap.c `__vma_link_rb()`.

        The VMA's `vm_prev` must already be right. As in the kernel, the node
        goes in with a zero gap, `vma_gap_update()` fixes the path above it,
        then `rb_insert_augmented()` rebalances.

        Runtime complexity: O(log(n))
        """
        start = node.vma.vm_start
        parent: RbNode[V] | None = None
        cur = self.root
        go_left = False
        while cur is not None:
            parent = cur
            go_left = start < cur.vma.vm_start
            cur = cur.left if go_left else cur.right
        # rb_link_node()
        node.parent = parent
        node.left = None
        node.right = None
        node.red = True
        if parent is None:
            self.root = node
        elif go_left:
            parent.left = node
        else:
            parent.right = node
        node.subtree_gap = 0
        _propagate(node, None)
        self._insert_color(node)
        self._len += 1

    def _insert_color(self, node: RbNode[V]) -> None:
        """Restore the red-black rules after linking a red node: lib/rbtree.c `__rb_insert()`."""
        parent = node.parent
        while True:
            # Loop invariant: node is red.
            if parent is None:
                # The root: the first node, or Case 1 climbed all the way up.
                node.red = False
                break
            if not parent.red:
                break
            gparent = parent.parent
            assert gparent is not None  # a red node is never the root
            tmp = gparent.right
            if parent is not tmp:  # parent is gparent.left
                if tmp is not None and tmp.red:
                    # Case 1: the uncle is red; flip colours and go up.
                    tmp.red = False
                    parent.red = False
                    node = gparent
                    parent = node.parent
                    node.red = True
                    continue
                tmp = parent.right
                if node is tmp:
                    # Case 2: node is the right child; left rotate at parent.
                    tmp = node.left
                    parent.right = tmp
                    node.left = parent
                    if tmp is not None:
                        tmp.parent = parent
                        tmp.red = False
                    parent.parent = node
                    parent.red = True
                    _rotate(parent, node)
                    parent = node
                    tmp = node.right
                # Case 3: node is the left child; right rotate at gparent.
                gparent.left = tmp
                parent.right = gparent
                if tmp is not None:
                    tmp.parent = gparent
                    tmp.red = False
                self._rotate_set_parents(gparent, parent, True)
                _rotate(gparent, parent)
                break
            else:  # parent is gparent.right: the mirror image
                tmp = gparent.left
                if tmp is not None and tmp.red:
                    tmp.red = False
                    parent.red = False
                    node = gparent
                    parent = node.parent
                    node.red = True
                    continue
                tmp = parent.left
                if node is tmp:
                    tmp = node.right
                    parent.left = tmp
                    node.right = parent
                    if tmp is not None:
                        tmp.parent = parent
                        tmp.red = False
                    parent.parent = node
                    parent.red = True
                    _rotate(parent, node)
                    parent = node
                    tmp = node.left
                gparent.right = tmp
                parent.left = gparent
                if tmp is not None:
                    tmp.parent = gparent
                    tmp.red = False
                self._rotate_set_parents(gparent, parent, True)
                _rotate(gparent, parent)
                break

    # ------------------------------------------------------------------ erase

    def erase(self, node: RbNode[V]) -> None:
        """Unlink `node` and rebalance: `rb_erase_augmented()` as in mm/mmap.c `vma_rb_erase()`.

        Afterwards fix the neighbours' `vm_prev` and call `update_gap()` on
        the VMA that followed the erased one.

        Runtime complexity: O(log(n))
        """
        child = node.right
        left = node.left
        rebalance: RbNode[V] | None
        if left is None:
            # Case 1: at most one child, the right one. If there is one, it
            # is red and node black: recolouring it settles the black height.
            parent = node.parent
            self._change_child(node, child, parent)
            if child is not None:
                child.parent = parent
                child.red = node.red
                rebalance = None
            else:
                rebalance = None if node.red else parent
            top = parent
        elif child is None:
            # Still case 1, but the child is the left one.
            parent = node.parent
            left.parent = parent
            left.red = node.red
            self._change_child(node, left, parent)
            rebalance = None
            top = parent
        else:
            successor = child
            tmp = child.left
            if tmp is None:
                # Case 2: the successor is node's right child.
                #
                #    (n)          (s)
                #    / \          / \
                #  (x) (s)  ->  (x) (c)
                #        \
                #        (c)
                succ_parent = successor
                child2 = successor.right
                _copy(node, successor)
            else:
                # Case 3: the successor is the leftmost node under node's
                # right child.
                #
                #    (n)          (s)
                #    / \          / \
                #  (x) (y)  ->  (x) (y)
                #      /            /
                #    (p)          (p)
                #    /            /
                #  (s)          (c)
                #    \
                #    (c)
                while True:
                    succ_parent = successor
                    successor = tmp
                    tmp = tmp.left
                    if tmp is None:
                        break
                child2 = successor.right
                succ_parent.left = child2
                successor.right = child
                child.parent = successor
                _copy(node, successor)
                _propagate(succ_parent, successor)
            successor.left = left
            left.parent = successor
            gparent = node.parent
            self._change_child(node, successor, gparent)
            if child2 is not None:
                child2.parent = succ_parent
                child2.red = False
                rebalance = None
            else:
                rebalance = None if successor.red else succ_parent
            successor.parent = gparent
            successor.red = node.red
            top = successor
        _propagate(top, None)
        if rebalance is not None:
            self._erase_color(rebalance)
        self._len -= 1
        node.left = None
        node.right = None
        node.parent = None

    def _erase_color(self, parent: RbNode[V]) -> None:
        """Restore the black height below `parent`: lib/rbtree.c `____rb_erase_color()`."""
        node: RbNode[V] | None = None
        while True:
            # Loop invariants: node is black (or None at first); paths through
            # parent and node have one black node fewer than the others.
            sibling = parent.right
            if node is not sibling:  # node is parent.left
                assert sibling is not None
                if sibling.red:
                    # Case 1: left rotate at parent.
                    tmp1 = sibling.left
                    assert tmp1 is not None
                    parent.right = tmp1
                    sibling.left = parent
                    tmp1.parent = parent
                    tmp1.red = False
                    self._rotate_set_parents(parent, sibling, True)
                    _rotate(parent, sibling)
                    sibling = tmp1
                tmp1 = sibling.right
                if tmp1 is None or not tmp1.red:
                    tmp2 = sibling.left
                    if tmp2 is None or not tmp2.red:
                        # Case 2: sibling colour flip (parent may be either colour).
                        sibling.parent = parent
                        sibling.red = True
                        if parent.red:
                            parent.red = False
                        else:
                            node = parent
                            grand = node.parent
                            if grand is not None:
                                parent = grand
                                continue
                        break
                    # Case 3: right rotate at sibling.
                    tmp1 = tmp2.right
                    sibling.left = tmp1
                    tmp2.right = sibling
                    parent.right = tmp2
                    if tmp1 is not None:
                        tmp1.parent = sibling
                        tmp1.red = False
                    _rotate(sibling, tmp2)
                    tmp1 = sibling
                    sibling = tmp2
                # Case 4: left rotate at parent and colour flips.
                tmp2 = sibling.left
                parent.right = tmp2
                sibling.left = parent
                tmp1.parent = sibling
                tmp1.red = False
                if tmp2 is not None:
                    tmp2.parent = parent
                self._rotate_set_parents(parent, sibling, False)
                _rotate(parent, sibling)
                break
            else:  # node is parent.right: the mirror image
                sibling = parent.left
                assert sibling is not None
                if sibling.red:
                    tmp1 = sibling.right
                    assert tmp1 is not None
                    parent.left = tmp1
                    sibling.right = parent
                    tmp1.parent = parent
                    tmp1.red = False
                    self._rotate_set_parents(parent, sibling, True)
                    _rotate(parent, sibling)
                    sibling = tmp1
                tmp1 = sibling.left
                if tmp1 is None or not tmp1.red:
                    tmp2 = sibling.right
                    if tmp2 is None or not tmp2.red:
                        sibling.parent = parent
                        sibling.red = True
                        if parent.red:
                            parent.red = False
                        else:
                            node = parent
                            grand = node.parent
                            if grand is not None:
                                parent = grand
                                continue
                        break
                    tmp1 = tmp2.left
                    sibling.right = tmp1
                    tmp2.left = sibling
                    parent.left = tmp2
                    if tmp1 is not None:
                        tmp1.parent = sibling
                        tmp1.red = False
                    _rotate(sibling, tmp2)
                    tmp1 = sibling
                    sibling = tmp2
                tmp2 = sibling.right
                parent.left = tmp2
                sibling.right = parent
                tmp1.parent = sibling
                tmp1.red = False
                if tmp2 is not None:
                    tmp2.parent = parent
                self._rotate_set_parents(parent, sibling, False)
                _rotate(parent, sibling)
                break

    # ---------------------------------------------------------- augmentation

    def update_gap(self, node: RbNode[V]) -> None:
        """Recompute `node`'s subtree gap and carry it up: mm/mmap.c `vma_gap_update()`.

        Call it on a VMA in the tree after its `vm_prev` or `vm_start` changed,
        or after its predecessor's `vm_end` changed.

        Runtime complexity: O(log(n))
        """
        _propagate(node, None)

    # --------------------------------------------------------------- save / restore

    def shape(self, nodes: list[RbNode[V]]) -> list[int]:
        """The tree's shape over `nodes` (every node, in address order) as flat integers:
        the root's position, then per node its left and right child's positions (-1 for
        none), its colour (1 red) and its subtree gap. A tree rebuilt by inserting its
        VMAs again would balance differently from the one the history of inserts and
        erases made; `set_shape` puts back exactly this one.
        """
        pos = {id(n): i for i, n in enumerate(nodes)}
        out = [pos[id(self.root)] if self.root is not None else -1]
        for n in nodes:
            left, right = n.left, n.right
            out += (pos[id(left)] if left is not None else -1,
                    pos[id(right)] if right is not None else -1,
                    1 if n.red else 0, n.subtree_gap)
        return out

    def set_shape(self, nodes: list[RbNode[V]], shape: list[int]) -> None:
        """Link `nodes` (fresh, in address order) into the tree `shape()` described."""
        for i, n in enumerate(nodes):
            left, right, red, gap = shape[1 + 4 * i: 5 + 4 * i]
            n.left = nodes[left] if left >= 0 else None
            n.right = nodes[right] if right >= 0 else None
            n.red = bool(red)
            n.subtree_gap = gap
            for child in (n.left, n.right):
                if child is not None:
                    child.parent = n
        root = nodes[shape[0]] if shape[0] >= 0 else None
        if root is not None:
            root.parent = None
        self.root = root
        self._len = len(nodes)

    # --------------------------------------------------------------- lookups

    def clear(self) -> None:
        """Forget every node (the nodes themselves are left as they are)."""
        self.root = None
        self._len = 0

    def first(self) -> V | None:
        """The lowest VMA: `rb_first()`, or None when empty.

        Runtime complexity: O(log(n))
        """
        node = self.root
        if node is None:
            return None
        while node.left is not None:
            node = node.left
        return node.vma

    def last(self) -> V | None:
        """The highest VMA: `rb_last()`, or None when empty.

        Runtime complexity: O(log(n))
        """
        node = self.root
        if node is None:
            return None
        while node.right is not None:
            node = node.right
        return node.vma

    def inorder(self) -> Iterator[V]:
        """Every VMA in address order, walked with `rb_next()` (no recursion, no stack).

        Do not change the tree while iterating.
        """
        node = self.root
        if node is None:
            return
        while node.left is not None:
            node = node.left
        nxt: RbNode[V] | None = node
        while nxt is not None:
            yield nxt.vma
            nxt = rb_next(nxt)

    def find(self, addr: int) -> V | None:
        """The first VMA with `vm_end > addr`, or None: mm/mmap.c `find_vma()`.

        The VMA may start above `addr`; check `vm_start <= addr` for "contains".

        Runtime complexity: O(log(n))
        """
        found: V | None = None
        node = self.root
        while node is not None:
            vma = node.vma
            if vma.vm_end > addr:
                found = vma
                if vma.vm_start <= addr:
                    break
                node = node.left
            else:
                node = node.right
        return found

    # ------------------------------------------------------------- searching

    def unmapped_area(
        self,
        length: int,
        low_limit: int,
        high_limit: int,
        highest_vm_end: int,
        align_mask: int = 0,
        align_offset: int = 0,
    ) -> int | None:
        """Lowest free range of `length` bytes in [low_limit, high_limit): `unmapped_area()`.

        A port of mm/mmap.c (v5.4): walk the tree in address order, skipping
        every subtree whose `subtree_gap` is too small, then try the space
        above `highest_vm_end` (`mm->highest_vm_end`, the `vm_end_gap()` of
        the last VMA). Returns the address, or None where Linux returns
        -ENOMEM. `align_mask`/`align_offset` as in `vm_unmapped_area_info`.

        Runtime complexity: O(log(n))
        """
        info_length = length
        # Worst case alignment overhead. Python ints do not wrap, so the
        # kernel's overflow check has nothing to catch here.
        length = info_length + align_mask
        if high_limit < length:
            return None
        high = high_limit - length
        if low_limit > high:
            return None
        low = low_limit + length

        gap_start = 0
        found = False
        node = self.root
        if node is not None and node.subtree_gap >= length:
            gap_end = 0
            descend = True
            while True:
                if descend:
                    # Visit the left subtree if it looks promising.
                    vma = node.vma
                    gap_end = vma.start_gap()
                    left = node.left
                    if gap_end >= low and left is not None and left.subtree_gap >= length:
                        node = left
                        continue
                    prev = vma.vm_prev
                    gap_start = 0 if prev is None else prev.end_gap()
                # check_current: does the gap below this node fit?
                if gap_start > high:
                    return None
                if gap_end >= low and gap_end > gap_start and gap_end - gap_start >= length:
                    found = True
                    break
                # Visit the right subtree if it looks promising.
                right = node.right
                if right is not None and right.subtree_gap >= length:
                    node = right
                    descend = True
                    continue
                # Go back up to the next node in address order not yet seen.
                up: RbNode[V] | None = node
                while up is not None:
                    child = up
                    up = up.parent
                    if up is not None and child is up.left:
                        break
                if up is None:
                    break  # check_highest
                node = up
                vma = node.vma
                prev = vma.vm_prev
                assert prev is not None  # node has a left subtree
                gap_start = prev.end_gap()
                gap_end = vma.start_gap()
                descend = False

        if not found:
            # check_highest: the gap above every VMA.
            gap_start = highest_vm_end
            if gap_start > high:
                return None
        # found: clip with the original low_limit, then align upwards.
        if gap_start < low_limit:
            gap_start = low_limit
        gap_start += (align_offset - gap_start) & align_mask
        return gap_start

    def unmapped_area_topdown(
        self,
        length: int,
        low_limit: int,
        high_limit: int,
        highest_vm_end: int,
        align_mask: int = 0,
        align_offset: int = 0,
    ) -> int | None:
        """Highest free range of `length` bytes below high_limit: `unmapped_area_topdown()`.

        A port of mm/mmap.c (v5.4): first the space above `highest_vm_end`,
        then a walk of the tree in reverse address order that skips every
        subtree whose `subtree_gap` is too small. Returns the address, or
        None where Linux returns -ENOMEM.

        Runtime complexity: O(log(n))
        """
        info_length = length
        length = info_length + align_mask
        gap_end = high_limit
        if gap_end < length:
            return None
        high = gap_end - length
        if low_limit > high:
            return None
        low = low_limit + length

        # Check the highest gap, which does not precede any tree node.
        gap_start = highest_vm_end
        if gap_start > high:
            node = self.root
            if node is None or node.subtree_gap < length:
                return None
            descend = True
            while True:
                if descend:
                    # Visit the right subtree if it looks promising.
                    prev = node.vma.vm_prev
                    gap_start = 0 if prev is None else prev.end_gap()
                    right = node.right
                    if gap_start <= high and right is not None and right.subtree_gap >= length:
                        node = right
                        continue
                # check_current: does the gap below this node fit?
                gap_end = node.vma.start_gap()
                if gap_end < low:
                    return None
                if gap_start <= high and gap_end > gap_start and gap_end - gap_start >= length:
                    break  # found
                # Visit the left subtree if it looks promising.
                left = node.left
                if left is not None and left.subtree_gap >= length:
                    node = left
                    descend = True
                    continue
                # Go back up to the previous node in address order not yet seen.
                up: RbNode[V] | None = node
                while up is not None:
                    child = up
                    up = up.parent
                    if up is not None and child is up.right:
                        break
                if up is None:
                    return None
                node = up
                prev = node.vma.vm_prev
                gap_start = 0 if prev is None else prev.end_gap()
                descend = False
            # found: clip with the original high_limit.
            if gap_end > high_limit:
                gap_end = high_limit
        # found_highest: the highest address at the wanted alignment.
        gap_end -= info_length
        gap_end -= (gap_end - align_offset) & align_mask
        return gap_end

    # -------------------------------------------------------------------- UI

    def levels(self, max_depth: int) -> Iterator[tuple[int, int, RbNode[V]]]:
        """Yield `(depth, slot, node)` breadth first, down to `max_depth` (the root is depth 0).

        `slot` is the node's place in a full binary tree at that depth
        (0 .. 2**depth - 1, left to right), so a pane can draw the top of the
        tree with gaps where subtrees are missing.
        """
        if self.root is None or max_depth < 0:
            return
        queue: deque[tuple[int, int, RbNode[V]]] = deque([(0, 0, self.root)])
        while queue:
            depth, slot, node = queue.popleft()
            yield depth, slot, node
            if depth < max_depth:
                if node.left is not None:
                    queue.append((depth + 1, 2 * slot, node.left))
                if node.right is not None:
                    queue.append((depth + 1, 2 * slot + 1, node.right))

    # ---------------------------------------------------------------- checks

    def check(self) -> None:
        """Assert every invariant, like mm/mmap.c `browse_rb()` / `validate_mm_rb()`.

        Order by vm_start without overlap, `vm_prev` equal to the in-order
        predecessor, parent links, a black root, no red node with a red child,
        equal black heights, each `subtree_gap` equal to its recomputed value,
        and the length. Runtime complexity: O(n).
        """
        root = self.root
        if root is None:
            assert self._len == 0, f"empty tree but len is {self._len}"
            return
        assert root.parent is None, f"root {_describe(root)} has a parent"
        assert not root.red, f"root {_describe(root)} is red"

        # Depth first with an explicit stack, counting black nodes per path.
        black_height = -1
        stack: list[tuple[RbNode[V], int]] = [(root, 0)]
        while stack:
            node, blacks = stack.pop()
            if not node.red:
                blacks += 1
            for child in (node.left, node.right):
                if child is None:
                    if black_height < 0:
                        black_height = blacks
                    assert blacks == black_height, (
                        f"black height {blacks} below {_describe(node)}, "
                        f"elsewhere {black_height}"
                    )
                    continue
                assert child.parent is node, (
                    f"{_describe(child)} has parent "
                    f"{_describe(child.parent) if child.parent else None}, "
                    f"expected {_describe(node)}"
                )
                assert not (
                    node.red and child.red
                ), f"red {_describe(node)} has red child {_describe(child)}"
                stack.append((child, blacks))
            want = _compute_max(node)
            assert (
                node.subtree_gap == want
            ), f"{_describe(node)} subtree_gap {node.subtree_gap:#x}, recomputed {want:#x}"

        # In order: keys, overlaps and vm_prev links.
        count = 0
        prev: V | None = None
        for vma in self.inorder():
            count += 1
            assert (
                vma.vm_start < vma.vm_end
            ), f"vma {vma.vm_start:#x}-{vma.vm_end:#x} is empty or inverted"
            if prev is not None:
                assert vma.vm_start >= prev.vm_end, (
                    f"vma {vma.vm_start:#x}-{vma.vm_end:#x} overlaps or precedes "
                    f"{prev.vm_start:#x}-{prev.vm_end:#x}"
                )
            assert vma.vm_prev is prev, (
                f"vma {vma.vm_start:#x}-{vma.vm_end:#x} has vm_prev "
                f"{_range(vma.vm_prev)}, tree order says {_range(prev)}"
            )
            prev = vma
        assert count == self._len, f"{count} nodes reachable but len is {self._len}"


def _range(vma: GapItem | None) -> str:
    return "None" if vma is None else f"{vma.vm_start:#x}-{vma.vm_end:#x}"
