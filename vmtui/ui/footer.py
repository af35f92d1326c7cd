"""KeyFooter: Textual's Footer, fitted to the terminal's width by the keys' importance."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class KeyFooter(Footer):
    """The keys of the focused widget and the app, in their usual order, as many as fit on
    one line: when some must go, the least important go first, so help and quit (and the
    predict key) stay visible at 80 columns, in any language. Textual's Footer instead
    shows the first keys that fit and lets the rest run under the command-palette key.

    `KEEP` lists actions from most to least important; any other key ranks after them,
    earlier keys before later ones.
    """

    KEEP: tuple[str, ...] = ("help", "quit", "predict", "next", "back", "command_line")

    def __init__(self, *, compact: bool = True, **kw) -> None:  # type: ignore[no-untyped-def]
        super().__init__(compact=compact, **kw)
        self._fitted_to = -1  # the width the keys were chosen for
        self._recompose_queued = False

    def key_width(self, binding: Binding, description: str) -> int:
        """The cells a key takes: its key and description, and the margin after it."""
        key = Text(self.app.get_key_display(binding)).cell_len
        desc = Text(description).cell_len
        if self.compact:
            return key + (1 + desc if desc else 0) + 1
        return key + 2 + (desc + 1 if desc else 0)

    def fit(self, keys: list[tuple[Binding, bool, str]], width: int) -> list[int]:
        """The indexes of `keys` (in order) that fit in `width` cells, by importance."""
        def rank(i: int) -> tuple[int, int]:
            action = keys[i][0].action
            return (self.KEEP.index(action) if action in self.KEEP else len(self.KEEP), i)

        chosen: list[int] = []
        used = 0
        for i in sorted(range(len(keys)), key=rank):
            w = self.key_width(keys[i][0], keys[i][0].description)
            if used + w <= width:
                chosen.append(i)
                used += w
        return sorted(chosen)

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        active = self.screen.active_bindings
        keys: list[tuple[Binding, bool, str]] = []
        seen: set[str] = set()
        for _node, binding, enabled, tooltip in active.values():
            if binding.show and binding.action not in seen:  # one key per action
                seen.add(binding.action)
                keys.append((binding, enabled, tooltip))
        width = self.app.size.width
        self._fitted_to = width
        palette: tuple[Binding, bool, str] | None = None
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            got = active.get(self.app.COMMAND_PALETTE_BINDING)
            if got is not None:
                palette = (got[1], got[2], got[3])
                # docked right after a one-cell border
                width -= self.key_width(palette[0], palette[0].description) + 1
        for i in self.fit(keys, width):
            binding, enabled, tooltip = keys[i]
            yield FooterKey(binding.key, self.app.get_key_display(binding),
                            binding.description, binding.action, disabled=not enabled,
                            tooltip=tooltip).data_bind(compact=Footer.compact)
        if palette is not None:
            binding, enabled, tooltip = palette
            yield FooterKey(binding.key, self.app.get_key_display(binding),
                            binding.description, binding.action, classes="-command-palette",
                            disabled=not enabled,
                            tooltip=binding.tooltip or binding.description)

    def bindings_changed(self, screen: Screen) -> None:
        """As Footer's, but the changes made before a recompose share it: Footer queues
        one per change, four at start-up, each of them remounting every key."""
        self._bindings_ready = True
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self._recompose_soon()

    def on_resize(self, event: events.Resize) -> None:
        if self._bindings_ready and self.app.size.width != self._fitted_to:
            self._recompose_soon()

    def _recompose_soon(self) -> None:
        if not self._recompose_queued:
            self._recompose_queued = True
            self.call_after_refresh(self._recompose_queued_one)

    async def _recompose_queued_one(self) -> None:
        self._recompose_queued = False  # a change from now on queues another
        await self.recompose()
