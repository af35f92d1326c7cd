"""`vmtui` subcommands: one module each, every one with `register(subparsers)`.

A module's `register` adds its parser and sets `func=run`, where
`run(args) -> int` returns the exit status (2 for bad input).
"""

SUBCOMMANDS = ("run", "check", "list", "shot", "policy", "attach", "host", "serve", "diff",
               "slides", "ostep", "translate", "malloc")
