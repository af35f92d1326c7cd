"""User-space code that the lecture models on top of the kernel: glibc's malloc.
"""
