"""Dashboard: every pane, laid out for the terminal's size.

Wide terminals (150x41 and up) show all panes at once. Smaller ones show a
page at a time (Tabs, or keys 1-6) with the narration always at the bottom,
rather than squeezing ten panes into 80x24.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Tab, Tabs

from vmtui.ui.address_space import AddressSpacePane
from vmtui.ui.call_chain import CallChainPane
from vmtui.ui.lines_view import LinesView
from vmtui.ui.narration import NarrationPane
from vmtui.ui.page_walk import PageWalkPane
from vmtui.ui.phys_mem import PhysMemPane
from vmtui.ui.reclaim import ReclaimPane
from vmtui.ui.tlb import TlbPane
from vmtui.ui.vma_detail import VmaDetailPane
from vmtui.ui.vma_list import VmaListPane
from vmtui.ui.vma_tree import VmaTreePane
from vmtui.ui.vmstat import VmstatPane
from vmtui.view.i18n import tr
from vmtui.view.snapshot import Snapshot

PAGES = (("map", "1 Map"), ("tree", "2 Tree"), ("walk", "3 Walk"), ("ram", "4 RAM"),
         ("reclaim", "5 Reclaim"), ("kernel", "6 Kernel"))
WIDE = (150, 41)
"""The smallest terminal that shows every pane at once, each at least its MIN_WIDTH and
MIN_HEIGHT: the address column (38), the VMA list (40 + its frame) and the walk (40 + its
frame) beside the TLB (22); below 41 rows physical memory would have no room."""
NODES_EXTRA_ROWS = 3
"""More than one NUMA node: the reclaim pane grows by two rows (a kswapd line each) and
physical memory needs one more (a second node's head)."""


class Dashboard(Vertical):
    """The panes in rows and columns; `page` picks what a small terminal shows.

    Wide: the address space and the rbtree, the VMA list and the vm_area_struct, then
    the walk with the TLB, physical memory and reclaim; the narration, the call chain
    and /proc/vmstat along the bottom. Narrow: one page at a time above the narration.
    """

    DEFAULT_CSS = """
    Dashboard { height: 1fr; }
    Dashboard > Tabs { display: none; height: 1; }
    Dashboard > Tabs Underline { display: none; }
    Dashboard > Tabs Tab.-active { background: $accent 35%; text-style: bold; }
    Dashboard #top { height: 1fr; }
    Dashboard #bottom { height: 27%; min-height: 10; max-height: 20; }
    Dashboard #col-addr { width: 38; }
    Dashboard #col-vma { width: 1fr; min-width: 45; }
    Dashboard #col-mm { width: 1.25fr; min-width: 67; }
    Dashboard AddressSpacePane { height: 1fr; }
    Dashboard VmaTreePane { height: 1fr; }
    Dashboard VmaListPane { height: 1fr; }
    Dashboard VmaDetailPane { height: 1fr; }
    Dashboard #walk-row { height: 13; }
    Dashboard PageWalkPane { width: 1fr; }
    Dashboard TlbPane { width: 22; }
    Dashboard PhysMemPane { height: 1fr; }
    Dashboard ReclaimPane { height: 9; }
    Dashboard.-nodes ReclaimPane { height: 11; }
    Dashboard NarrationPane { width: 3fr; }
    Dashboard CallChainPane { width: 2fr; }
    Dashboard VmstatPane { width: 34; }

    Dashboard.-narrow > Tabs { display: block; }
    Dashboard.-narrow .col { display: none; }
    Dashboard.-narrow .pane { display: none; }
    Dashboard.-narrow #bottom { height: 9; min-height: 5; }
    Dashboard.-narrow #col-vma { min-width: 0; }
    Dashboard.-narrow #col-mm { min-width: 0; }
    Dashboard.-narrow #col-addr { width: 28; }
    Dashboard.-narrow.-page-tree #col-addr { width: 1fr; }
    Dashboard.-narrow #walk-row { height: 1fr; }
    Dashboard.-narrow TlbPane { width: 24; }
    Dashboard.-narrow ReclaimPane { height: 1fr; }
    Dashboard.-narrow VmstatPane { width: 34; }
    Dashboard.-narrow NarrationPane { display: block; }

    Dashboard.-page-map .col.page-map, Dashboard.-page-map .pane.page-map,
    Dashboard.-page-tree .col.page-tree, Dashboard.-page-tree .pane.page-tree,
    Dashboard.-page-walk .col.page-walk, Dashboard.-page-walk .pane.page-walk,
    Dashboard.-page-ram .col.page-ram, Dashboard.-page-ram .pane.page-ram,
    Dashboard.-page-reclaim .col.page-reclaim,
    Dashboard.-page-reclaim .pane.page-reclaim { display: block; }
    Dashboard.-narrow.-page-kernel #top { display: none; }
    Dashboard.-narrow.-page-kernel #bottom { height: 1fr; }
    Dashboard.-narrow.-page-kernel NarrationPane { display: none; }
    Dashboard.-narrow.-page-kernel .pane.page-kernel { display: block; }
    """

    def __init__(self, **kw) -> None:  # type: ignore[no-untyped-def]
        super().__init__(**kw)
        self._term_size: tuple[int, int] | None = None
        self._maple = False  # the snapshot shown has a maple tree (6.1+), not an rbtree

    def compose(self) -> ComposeResult:
        yield Tabs(*[Tab(label, id=f"tab-{key}") for key, label in PAGES], id="pages")
        with Horizontal(id="top"):
            with Vertical(id="col-addr", classes="col page-map page-tree"):
                yield AddressSpacePane(id="addr", classes="pane page-map")
                yield VmaTreePane(id="tree", classes="pane page-tree")
            with Vertical(id="col-vma", classes="col page-map page-tree"):
                yield VmaListPane(id="vmas", classes="pane page-map")
                yield VmaDetailPane(id="detail", classes="pane page-tree")
            with Vertical(id="col-mm", classes="col page-walk page-ram page-reclaim"):
                with Horizontal(id="walk-row", classes="pane page-walk"):
                    yield PageWalkPane(id="walk", classes="pane page-walk")
                    yield TlbPane(id="tlb", classes="pane page-walk")
                yield PhysMemPane(id="phys", classes="pane page-ram")
                yield ReclaimPane(id="reclaim", classes="pane page-reclaim")
        with Horizontal(id="bottom"):
            yield NarrationPane(id="narration")
            yield CallChainPane(id="calls", classes="pane page-kernel")
            yield VmstatPane(id="vmstat", classes="pane page-kernel")

    def on_mount(self) -> None:
        self.set_page("map")

    @property
    def panes(self) -> list[LinesView]:
        return list(self.query(LinesView))

    def show(self, snap: Snapshot, lang: str) -> None:
        """Hand the snapshot to every pane (the caller batches the repaint)."""
        nodes = len(snap.nodes) > 1
        if nodes != self.has_class("-nodes"):
            self.set_class(nodes, "-nodes")  # room for every node's kswapd
            if self._term_size is not None:
                self.fit(*self._term_size)
        self._maple = snap.maple is not None
        self.label_tabs(lang)
        for pane in self.panes:
            pane.show(snap, lang)

    def label_tabs(self, lang: str) -> None:
        """The page tabs' words in `lang` (the tree tab names the tree the kernel keeps:
        the rbtree of 5.4, the maple tree of 6.1+)."""
        maple = self._maple
        for key, label in PAGES:
            tab = self.query_one(f"#tab-{key}", Tab)
            word = tr(label + (" (maple)" if key == "tree" and maple and lang != "en" else ""),
                      lang)
            if str(tab.label) != word:
                tab.label = word

    def rebuild(self, lang: str) -> None:
        self.label_tabs(lang)
        for pane in self.panes:
            pane.lang = lang
            pane.rebuild()

    def fit(self, width: int, height: int) -> None:
        """Wide or narrow layout for a terminal of this size (called at start and on every
        resize): wide only when every pane gets its minimum, else a page at a time."""
        self._term_size = (width, height)
        rows = WIDE[1] + (NODES_EXTRA_ROWS if self.has_class("-nodes") else 0)
        self.set_class(width < WIDE[0] or height < rows, "-narrow")

    @property
    def narrow(self) -> bool:
        return self.has_class("-narrow")

    def set_page(self, page: str) -> None:
        for key, _label in PAGES:
            self.set_class(key == page, f"-page-{key}")
        tabs = self.query_one(Tabs)
        if tabs.active != f"tab-{page}":
            tabs.active = f"tab-{page}"

    @property
    def page(self) -> str:
        for key, _label in PAGES:
            if self.has_class(f"-page-{key}"):
                return key
        return "map"

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        event.stop()
        if event.tab is not None and event.tab.id:
            key = event.tab.id.removeprefix("tab-")
            for k, _label in PAGES:
                self.set_class(k == key, f"-page-{k}")
