"""Architecture-specific code, as the kernel's arch/: the x86 page-fault entry, the MMU walk,
segmentation and the vDSO. Generic mm code does not import it except through the entry points
a user access takes.
"""
