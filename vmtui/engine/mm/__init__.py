"""Generic memory management, one module per kernel file of mm/ (mmap.c, memory.c, vmscan.c,
swap.c, swapfile.c, rmap.c, page_alloc.c, ...). Modules here may call each other as mm/*.c do,
through module-level imports of modules (`from vmtui.engine.mm import swap`, then
`swap.lru_cache_add(...)`).
"""
