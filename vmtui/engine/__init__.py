"""The simulated kernel: pure Python, deterministic, no UI imports.

Laid out as the kernel's source tree, in layers (docs/architecture.md):

    lib/        pure data structures (rbtree, the VMA index): import nothing of the engine
    include/    the state: structs, constants, `Machine` as fields: import only lib/
    mm/         generic memory management, one module per mm/*.c file
    arch/x86/   the fault entry, MMU walk, TLB, segmentation
    kernel/     fork;  fs/  exec and /proc
    check/      invariants;  views/  read-only views for the UI;  user/  glibc malloc

`boot` (a booted machine) and `replacement` (the page-replacement lab) sit at the
top: they use the engine, nothing in it uses them.
"""
