"""Themes: a dark one and a light one made for projectors.

Both name every text colour the panes use ($text, $text-muted, $text-disabled)
explicitly: the panes' colours live in component classes, which have no
background of their own to compute an "auto" contrast colour against.
The six colours the panes give meaning to (anon, file, page tables, kernel,
unevictable, free) are distinct from each other and from the accent.
"""

from __future__ import annotations

from textual.theme import Theme

VMTUI_DARK = Theme(
    name="vmtui-dark",
    primary="#3a8ee6",
    secondary="#26a69a",
    accent="#c792ea",
    warning="#ffa62b",
    error="#ef5350",
    success="#66bb6a",
    foreground="#e6e6e6",
    background="#121417",
    surface="#1b1e23",
    panel="#2b3038",
    dark=True,
    variables={
        "text": "#e6e6e6",
        "text-muted": "#9aa0a8",
        "text-disabled": "#5c626b",
        "footer-key-foreground": "#ffa62b",
    },
)

PROJECTOR_LIGHT = Theme(
    name="vmtui-light",
    primary="#0b4fa8",
    secondary="#00695c",
    accent="#7b1fa2",
    warning="#b34700",
    error="#b00020",
    success="#1b6e2e",
    foreground="#111111",
    background="#ffffff",
    surface="#f4f4f4",
    panel="#d8dce3",
    boost="#e8ecf2",
    dark=False,
    variables={
        "text": "#111111",
        "text-muted": "#4a4a4a",
        "text-disabled": "#9a9a9a",
        "footer-key-foreground": "#0b4fa8",
        "input-selection-background": "#0b4fa8 35%",
    },
)

DARK = VMTUI_DARK.name
LIGHT = PROJECTOR_LIGHT.name
THEMES = {"dark": DARK, "light": LIGHT}
