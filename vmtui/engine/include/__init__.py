"""The state layer, as the kernel's include/linux/*.h: the structs and constants that the
operations in mm/, arch/, kernel/ and fs/ share (mm_types.h, mmzone.h, the page-table types,
the page cache's File, swap types, the event log, errors, the address-space layout, the
settings table, and `Machine` with its fields). Modules here import only lib/ and each other,
never a module above them, not even under TYPE_CHECKING: that is what keeps the import graph
free of cycles, as the headers do for mm/*.c.
"""
