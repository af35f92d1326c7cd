"""What the kernel's fs/ holds for memory: exec (fs/exec.c, fs/binfmt_elf.c) and the /proc
files (fs/proc/task_mmu.c, fs/proc/meminfo.c, ...) in the kernel's exact formats.
"""
