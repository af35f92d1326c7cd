"""Run one parsed command on the machine: the system call, and its result as a value.

Errors are values: a failing call gives its errno; an access the kernel
refuses gives SIGSEGV (the process then dies, as on Linux).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vmtui.engine.arch.x86 import access
from vmtui.engine.include.errors import KernelError, SignalError
from vmtui.engine.include.events import Event
from vmtui.engine.include.machine import Machine, Task
from vmtui.engine.kernel import fork, sysctl
from vmtui.engine.mm import madvise, mempolicy, mlock, mmap, mprotect, mremap, swapfile, vmalloc
from vmtui.engine.user import malloc
from vmtui.scenario.lang import Addr, Command, ParseError
from vmtui.scenario.shell import ShellError, run_shell


@dataclass
class Result:
    """What a command gave: a value, an errno, or a signal."""

    ok: bool
    value: Any = None
    errno: str | None = None
    signal: str | None = None
    code: str | None = None
    addr: int | None = None
    text: str | None = None
    why: str = ""
    stopped: str | None = None  # "page_budget": vmtui stopped the command (access.py)

    def to_json(self) -> dict[str, Any]:
        if self.stopped:
            return {"ok": False, "stopped": self.stopped, "why": self.why}
        if self.ok:
            out: dict[str, Any] = {"ok": True, "value": self.value}
            if self.text is not None:
                out["text"] = self.text
            return out
        if self.text is not None:  # what a failing Linux command printed (shell.py)
            return {"ok": False, "errno": self.errno, "text": self.text,
                    **({"why": self.why} if self.why else {})}
        if self.signal:
            return {"ok": False, "signal": self.signal, "code": self.code,
                    "addr": hex(self.addr or 0), **({"why": self.why} if self.why else {})}
        return {"ok": False, "errno": self.errno, **({"why": self.why} if self.why else {})}

    def summary(self) -> str:
        if self.stopped:
            return f"STOPPED by the page budget {self.why}"
        if self.ok:
            return "ok" if self.value is None else f"ok: {self.value}"
        if self.signal:
            # a fault address only for the signals that have one (SIGKILL from the OOM
            # killer has none: "at 0x0" would be a lie)
            at = f" at {hex(self.addr or 0)}" if self.signal in ("SIGSEGV", "SIGBUS") else ""
            return f"{self.signal} ({self.code}){at}" + (f": {self.why}" if self.why else "")
        return f"{self.errno}" + (f": {self.why}" if self.why else "")

    def matches(self, expect: str) -> bool:
        """Does `expect` ("ok", an errno, "SIGSEGV", "SIGSEGV SEGV_ACCERR", "value=5") hold?"""
        e = expect.strip()
        if e.lower() == "ok":
            return self.ok
        if e.startswith("value="):
            want = e[6:].strip()
            return self.ok and str(self.value) == want or (
                self.ok and isinstance(self.value, int) and _int_eq(want, self.value))
        parts = e.split()
        if parts[0].startswith("SIG"):
            return not self.ok and self.signal == parts[0] and (
                len(parts) < 2 or self.code == parts[1])
        return not self.ok and self.errno == parts[0]


def _int_eq(text: str, v: int) -> bool:
    try:
        return int(text, 0) == v
    except ValueError:
        return False


class ScriptError(Exception):
    """A mistake in the script itself (an unknown name), reported with line and column."""

    def __init__(self, err: ParseError) -> None:
        super().__init__(err.msg)
        self.err = err


def _hexval(v: int) -> str:
    return hex(v)


def _unknown_name(m: Machine, cmd: Command, name: str, col: int) -> ScriptError:
    """An unknown name; when an earlier `NAME = ...` failed, which one and why."""
    failed = m.failed_names.get(name)
    if failed:
        return ScriptError(ParseError(f"{name!r} has no value: {failed}", cmd.line, col,
                                      cmd.text))
    known = ", ".join(sorted(m.names)) or "none yet"
    return ScriptError(ParseError(f"unknown name {name!r} (names so far: {known})", cmd.line,
                                  col, cmd.text))


def resolve(m: Machine, cmd: Command, a: Addr) -> int:
    if isinstance(a.base, int):
        return a.base + a.offset
    if a.base not in m.names:
        raise _unknown_name(m, cmd, a.base, a.col or 1)
    return m.names[a.base] + a.offset


def _task(m: Machine) -> Task:
    if not m.tasks:
        raise KernelError("ESRCH", "no running process: `spawn` starts one")
    task = m.current
    if not task.alive:
        live = " ".join(str(t.pid) for t in m.live_tasks())
        how = "it exited" if task.exit_code in (None, "exit") else \
            f"killed by {task.exit_code}"
        raise KernelError("ESRCH", f"the current process {task.pid} is dead ({how}); "
                          + (f"`switch PID` to one of {live} or `spawn` a new one" if live
                             else "`spawn` starts a new one"))
    return task


def run_command(m: Machine, cmd: Command) -> tuple[Result, list[Event]]:
    """Execute `cmd`; returns its result and the events it caused."""
    m.log.take()
    ran_as, first_new = m.current_pid, m.next_pid
    m.touched_mms.clear()
    m.budget_left = m.config.page_budget or None
    m.budget_done = 0
    try:
        value, text = _dispatch(m, cmd)
        res = Result(True, value, text=text)
        if cmd.target is not None and isinstance(value, str) and value.startswith("0x"):
            m.names[cmd.target] = int(value, 16)
        elif cmd.target is not None and isinstance(value, int):
            m.names[cmd.target] = value
        m.failed_names.pop(cmd.target or "", None)
    except KernelError as e:
        res = Result(False, errno=e.errno, why=e.why)
        m.log.emit("(return)", "", f"the call fails with {e.errno}" + (f": {e.why}" if e.why
                                                                      else ""))
    except ShellError as e:
        res = Result(False, errno=e.errno, text=e.text if e.text.endswith("\n") or not e.text
                     else e.text + "\n")
        m.log.emit("(exit status 1)", "", f"{cmd.name} fails: {e.errno}")
    except SignalError as e:
        res = Result(False, signal=e.signal, code=e.code, addr=e.addr, why=e.why)
        if cmd.name != "segment":  # the segment exercise computes; no process runs it
            _deliver(m, e)
    except access.PageBudgetExceeded as e:
        res = Result(False, stopped="page_budget", why=str(e))
        m.log.emit("(stopped)", "", f"vmtui stops the command {e}")
    finally:
        m.budget_left = None
    if not res.ok and cmd.target is not None:
        # like MAP_FAILED in C: the name holds no address; a later use says why
        m.names.pop(cmd.target, None)
        what = f"{res.signal} ({res.code})" if res.signal else res.errno or "STOPPED"
        m.failed_names[cmd.target] = (f"`{cmd.text.strip()}` (line {cmd.line}) failed with "
                                      f"{what}" + (f": {res.why}" if res.why else ""))
    from vmtui.engine.mm import vmscan

    vmscan.after_step(m)
    from vmtui.engine.fs.procfs import update_hiwater

    # the peaks of the tasks this command may have changed (the others' stand)
    for t in m.changed_tasks((ran_as, m.current_pid), first_new):
        if t.alive:
            update_hiwater(t)
    return res, m.log.take()


def _deliver(m: Machine, e: SignalError) -> None:
    """force_sig_fault(): the default action of SIGSEGV/SIGBUS/SIGKILL kills the process."""
    if not m.tasks:
        return
    task = m.current
    if not task.alive:
        return
    m.log.emit("force_sig_fault", "kernel/signal.c", f"{e.signal} ({e.code}) at {e.addr:#x} "
               f"to task {task.pid}: the default action kills it")
    fork.do_exit(m, task, e.signal)
    # the current process stays the dead one: the next command that needs a process says
    # so (ESRCH) instead of running quietly in another one


def _pick_current(m: Machine) -> None:
    live = m.live_tasks()
    if not live:
        return
    task = m.tasks.get(m.current_pid)
    if task is not None and task.alive:
        return
    parent = m.tasks.get(task.ppid) if task is not None else None
    m.current_pid = parent.pid if parent is not None and parent.alive else live[0].pid
    m.log.emit("schedule", "kernel/sched/core.c", f"task {m.current_pid} runs now")


FLAGS = mmap.FLAG_NAMES


def _dispatch(m: Machine, cmd: Command) -> tuple[Any, str | None]:
    a = cmd.args
    name = cmd.name
    if a.get("shell"):
        return run_shell(m, cmd)
    if name == "file":
        if a["size"] > (1 << 44):
            raise KernelError("EFBIG", "file larger than 16T")
        f = m.new_file(a["file"], a["size"])
        m.log.emit("vfs_truncate", "fs/open.c", f"created {f.name} ({a['size']} bytes, inode "
                   f"{f.ino}); nothing of it is in the page cache yet")
        return None, None
    if name == "spawn":
        from vmtui.engine.fs.exec import exec_program

        prog = a["program"] or m.config.program
        if prog not in m.files:  # do_open_execat(): the path must name an existing file
            raise KernelError("ENOENT", f"no program {prog!r}: the simulated file system holds "
                              f"{m.config.program}")
        if not prog.startswith("/"):
            raise KernelError("EACCES", f"{prog!r} is a data file made by `file`, not a "
                              "program")
        t = exec_program(m, prog)
        m.current_pid = t.pid
        m.log.emit("do_execve", "fs/exec.c", f"new process {t.pid} running "
                   f"{a['program'] or m.config.program}; it runs now")
        return t.pid, None
    if name == "sysctl":
        sysctl.sysctl_set(m, a["key"], a["value"])
        return a["value"], None
    if name == "swapon":
        swapfile.swapon(m)
        return None, None
    if name == "swapoff":
        swapfile.swapoff(m)
        return None, None
    if name == "tick":
        from vmtui.engine.mm import vmscan

        vmscan.tick(m, a["n"])
        return None, None
    if name == "vmalloc":
        return _hexval(vmalloc.vmalloc(m, a["size"])), None
    if name == "show":
        return _show(m, cmd)
    if name == "segment":
        return _segment(m, cmd)
    if name == "compact":
        raise KernelError("ENOSYS", "compaction is not simulated")
    if name == "lru_gen":
        from vmtui.engine.mm import lru_gen

        n = lru_gen.lru_gen_write(m, a["op"], a["memcg_id"], a["node_id"], a["gen"],
                                  a.get("arg4"), a.get("arg5"))
        return n, None
    if name == "drop_caches":
        from vmtui.engine.mm import vmscan

        n = vmscan.drop_pagecache(m)
        return n, None
    if name == "switch":  # needs no current process: it picks one
        t = m.task_of(_who(m, cmd))
        if not t.alive:
            raise KernelError("ESRCH", f"process {t.pid} has exited")
        m.current_pid = t.pid
        m.log.emit("context_switch", "kernel/sched/core.c", f"switch to task {t.pid}: CR3 now "
                   f"points at its PGD (frame {t.mm.pgd.pfn:#x})")  # type: ignore[union-attr]
        return t.pid, None
    if name == "kill" and "who" in a:
        t = m.task_of(_who(m, cmd))
        fork.do_exit(m, t, "SIGKILL")
        _pick_current(m)
        return None, None
    task = _task(m)
    mm = task.mm
    if name == "mmap":
        flags = 0
        for f in a["flags"]:
            flags |= FLAGS[f]
        file = None
        if "file" in a:
            file = m.files.get(a["file"])
            if file is None:
                raise KernelError("ENOENT", f"no file {a['file']!r}: create it with "
                                  f"`file {a['file']} SIZE`")
        addr = resolve(m, cmd, a["addr"]) if "addr" in a else 0
        return _hexval(mmap.do_mmap(m, task, addr, a["len"], a["prot"], flags, file,
                                    a.get("offset", 0))), None
    if name == "munmap":
        mmap.do_munmap(m, mm, resolve(m, cmd, a["addr"]), a["len"])
        return None, None
    if name == "mprotect":
        mprotect.do_mprotect(m, task, resolve(m, cmd, a["addr"]), a["len"], a["prot"])
        return None, None
    if name == "mremap":
        fl = mremap.MREMAP_MAYMOVE if a["maymove"] else 0
        new_addr = 0
        if "fixed" in a:
            fl |= mremap.MREMAP_FIXED
            new_addr = resolve(m, cmd, a["fixed"])
        return _hexval(mremap.do_mremap(m, task, resolve(m, cmd, a["addr"]), a["oldlen"],
                                        a["newlen"], fl, new_addr)), None
    if name == "sbrk":
        old = mm.brk
        if a["delta"]:
            got = mmap.do_brk(m, task, old + a["delta"])
            if got != old + a["delta"]:
                raise KernelError("ENOMEM", "the break cannot move there")
        else:
            m.log.emit("brk", "mm/mmap.c", f"sbrk(0): the break is {old:#x}")
        return _hexval(old), None
    if name == "brk":
        return _hexval(mmap.do_brk(m, task, resolve(m, cmd, a["addr"]))), None
    if name == "malloc":
        return _hexval(malloc.do_malloc(m, task, a["size"])), None
    if name == "free":
        malloc.do_free(m, task, resolve(m, cmd, a["addr"]))
        return None, None
    if name in ("read", "write", "exec"):
        addr = resolve(m, cmd, a["addr"])
        kind = {"read": "r", "write": "w", "exec": "x"}[name]
        length = a.get("len")
        _check_len(m, length)
        value = a.get("value", 0) if name == "write" else None
        return access.program_access(m, task, addr, length, kind, value), None
    if name in ("kread", "kwrite"):
        addr = resolve(m, cmd, a["addr"])
        kind = "r" if name == "kread" else "w"
        m.log.emit("(kernel mode)", "", f"kernel code, running on behalf of task {task.pid} "
                   f"with its page tables loaded (CR3), {'reads' if kind == 'r' else 'writes'} "
                   f"{addr:#x}")
        return access.program_access(m, task, addr, None, kind,
                                     a.get("value", 0) if kind == "w" else None,
                                     user=False), None
    if name == "walk":
        addr = resolve(m, cmd, a["addr"])
        w = access.follow_pte(m, task, addr)
        from vmtui.engine.views.teaching import walk_text

        text = walk_text(m, w)
        return (hex(w.phys()) if w.phys() is not None else None), text
    if name == "fork":
        child = fork.do_fork(m, task)
        return child.pid, None
    if name in ("exit", "kill"):
        t = m.task_of(_who(m, cmd)) if "who" in a else task
        fork.do_exit(m, t, "exit" if name == "exit" else "SIGKILL")
        _pick_current(m)
        return None, None
    if name == "mlock":
        mlock.do_mlock(m, task, resolve(m, cmd, a["addr"]), a["len"], True)
        return None, None
    if name == "munlock":
        mlock.do_mlock(m, task, resolve(m, cmd, a["addr"]), a["len"], False)
        return None, None
    if name == "mlockall":
        mlock.do_mlockall(m, task, True)
        return None, None
    if name == "munlockall":
        mlock.do_mlockall(m, task, False)
        return None, None
    if name == "madvise":
        madvise.do_madvise(m, task, resolve(m, cmd, a["addr"]), a["len"], a["advice"])
        return None, None
    if name == "numa":
        mempolicy.do_set_mempolicy(m, task, a["policy"])
        return None, None
    if name == "cpu":
        node = a["node"]
        if not 0 <= node < len(m.mem.nodes):
            raise KernelError("EINVAL", f"no node {node}")
        task.cpu = m.mem.nodes[node].cpus[0]
        task.node = node
        m.log.emit("sched_setaffinity", "kernel/sched/core.c", f"task {task.pid} now runs on "
                   f"CPU {task.cpu} (node {node}); local allocations come from node {node}")
        return None, None
    raise KernelError("ENOSYS", f"{name} is not implemented")


def _who(m: Machine, cmd: Command) -> str:
    who = cmd.args["who"]
    if not who.isdigit() and who not in m.names:
        raise _unknown_name(m, cmd, who, cmd.cols.get("who", 1))
    return str(m.names.get(who, who))


def _check_len(m: Machine, length: int | None) -> None:
    if length is not None and length > (m.layout.task_size):
        raise KernelError("EFAULT", "range larger than the address space")


SYSTEM_WIDE = ("meminfo", "vmstat", "buddyinfo", "zoneinfo", "numa", "swaps", "lru",
               "lru_gen")


def _show(m: Machine, cmd: Command) -> tuple[Any, str]:
    from vmtui.engine.views import show

    what = cmd.args["what"]
    if what == "frames":
        from vmtui.engine.views.frames import FramesSpecError, frames_text

        try:
            return None, frames_text(m, cmd.args.get("frames"))
        except FramesSpecError as e:
            raise KernelError("EINVAL", str(e)) from None
    if "who" in cmd.args:
        task = m.task_of(_who(m, cmd))
    elif what in SYSTEM_WIDE and m.tasks:
        task = m.current  # a whole-machine file: any process reads the same
    else:
        task = _task(m)
    fn = show.TEXTS.get(what)
    if fn is None:
        raise KernelError("ENOSYS", f"show {what} is not available")
    return None, fn(m, task)


def _segment(m: Machine, cmd: Command) -> tuple[Any, str]:
    from vmtui.engine.arch.x86 import segment

    if m.segmentation is None:
        m.segmentation = segment.Segmentation.from_arch(m.layout.arch)
    linear, text = segment.segment_command(m.segmentation, m.log, cmd.args["spec"])
    return _hexval(linear), text


