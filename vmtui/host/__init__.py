"""Read-only views of the real machine: /proc and /sys parsed into plain dataclasses.

Nothing here imports Textual or Rich, and nothing here writes: every file is
opened read-only. `procfs` parses, `snapshot` gathers a consistent picture of
one process or of the whole machine and turns it into JSON or text.
"""
