"""Engine invariants checked after every step in the tests (and by `--check-invariants`): a
reader of the state, never a writer.
"""
