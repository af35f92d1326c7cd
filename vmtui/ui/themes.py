"""Themes: a light one made for projectors (dark text, saturated colours, no greys on grey)."""

from __future__ import annotations

from textual.theme import Theme

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
        "text-muted": "#4a4a4a",
        "footer-key-foreground": "#0b4fa8",
        "input-selection-background": "#0b4fa8 35%",
    },
)

DARK = "textual-dark"
LIGHT = PROJECTOR_LIGHT.name
THEMES = {"dark": DARK, "light": LIGHT}
