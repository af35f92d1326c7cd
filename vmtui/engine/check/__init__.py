"""Engine invariants checked after every step in the tests (and by `--check-invariants`): a
reader of the state, never a writer. `vmtui check` runs incremental.IncrementalCheck after
each step (the invariants that follow what the step changed; it arms the engine's `touched`
marks, which record and change nothing else) and check_invariants at the end; `--paranoid`
runs check_invariants after every step.
"""
