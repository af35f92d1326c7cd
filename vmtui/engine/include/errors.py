"""Errors as values: errno for a failing call, SIGSEGV/SIGBUS/SIGKILL for a bad access."""

from __future__ import annotations


class KernelError(Exception):
    """A system call failed with `errno` (EINVAL, ENOMEM, EEXIST, EFAULT, ...)."""

    def __init__(self, errno: str, why: str = "") -> None:
        super().__init__(f"{errno}: {why}" if why else errno)
        self.errno = errno
        self.why = why


class SignalError(Exception):
    """An access the kernel does not allow: the process gets `signal` (`code`, at `addr`)."""

    def __init__(self, signal: str, code: str, addr: int, why: str = "") -> None:
        super().__init__(f"{signal} {code} at {addr:#x}" + (f": {why}" if why else ""))
        self.signal = signal
        self.code = code
        self.addr = addr
        self.why = why
