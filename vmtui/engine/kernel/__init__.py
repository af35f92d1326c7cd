"""Process life cycle, as the kernel's kernel/: fork (kernel/fork.c).
"""
