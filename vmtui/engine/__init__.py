"""The simulated kernel: pure Python, deterministic, no UI imports."""
