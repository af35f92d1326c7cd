"""Pure data structures, as the kernel's lib/: the red-black tree (lib/rbtree.c) and the
sorted VMA index. Generic: they know nothing of memory management and import nothing of the
engine.
"""
