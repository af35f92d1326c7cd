"""vmtui: an interactive terminal explorer of Linux virtual memory."""

__version__ = "0.1.0"
