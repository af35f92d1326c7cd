"""The Linux commands of the lecture notes, typed as on a real machine, on the simulated one.

    cat /proc/sys/vm/swappiness
    sysctl -w vm.swappiness=10
    echo "vm.swappiness = 10" >> /etc/sysctl.conf
    free -m

Each prints what the real tool prints (procps-ng free/vmstat/pmap/ps/sysctl,
numactl, util-linux swapon, bash's echo and ulimit): the /proc files come from
the engine's renderers (vmtui/engine/views/show.py); the tools'
own layouts are copied from their sources. Errors print the tool's message and
give its errno as the result.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from typing import Any

from vmtui.engine.boot import new_machine
from vmtui.engine.fs import meminfo, task_mmu
from vmtui.engine.include.errors import KernelError
from vmtui.engine.include.layout import PAGE_SHIFT
from vmtui.engine.include.machine import Machine, Task
from vmtui.engine.kernel import sysctl
from vmtui.engine.mm import mlock, swapfile
from vmtui.engine.views import teaching
from vmtui.scenario.lang import (
    SHOW_KERNEL,
    SHOW_WHAT,
    Command,
)

# the parsing half: the language's parser (lang.py) takes it from there, without the engine
from vmtui.scenario.shell_args import FREE_OPTIONS, PS_FIELDS

SYSCTL_CONF = "/etc/sysctl.conf"
ERRNO_TEXT = {"EINVAL": "Invalid argument", "ENOENT": "No such file or directory",
              "EACCES": "Permission denied", "EPERM": "Operation not permitted",
              "ENOMEM": "Cannot allocate memory", "EBUSY": "Device or resource busy",
              "EROFS": "Read-only file system", "ESRCH": "No such process",
              "EAGAIN": "Resource temporarily unavailable"}


class ShellError(Exception):
    """A command that failed: its errno and everything it printed (stdout and stderr)."""

    def __init__(self, errno: str, text: str) -> None:
        super().__init__(text)
        self.errno = errno
        self.text = text


# ---------------------------------------------------------------- running
def run_shell(m: Machine, cmd: Command) -> tuple[Any, str | None]:
    """Run a shell command; returns (value, text) or raises ShellError / KernelError."""
    fn = _RUN[cmd.name]
    return fn(m, cmd, list(cmd.args.get("argv", [])))


def _task(m: Machine) -> Task:
    if not m.tasks or not m.current.alive:
        raise KernelError("ESRCH", "no running process: the last one died; `spawn` starts one")
    return m.current


def _etc(m: Machine) -> dict[str, str]:
    return m.etc_files


# ------------------------------------------------ files: cat and echo
PID_FILES = ("maps", "smaps", "smaps_rollup", "status", "statm", "numa_maps")
PROC_FILES = ("meminfo", "vmstat", "buddyinfo", "zoneinfo", "pagetypeinfo", "swaps")


def read_file(m: Machine, path: str) -> str:
    """The text of a simulated file; ShellError with cat's message when there is none."""
    from vmtui.engine.views import show

    p = posixpath.normpath("/" + path.lstrip("/")) if path else "/"
    parts = p.strip("/").split("/")
    if p == SYSCTL_CONF or p in _etc(m):
        return _etc(m).get(p, "")
    if parts[0] == "proc" and len(parts) == 3 and parts[2] in PID_FILES:
        who = parts[1]
        task = None
        if who == "self":
            task = _task(m)
        elif who.isdigit() and int(who) in m.tasks and m.tasks[int(who)].alive:
            task = m.tasks[int(who)]
        if task is not None:
            return show.TEXTS[parts[2]](m, task)
    if parts[0] == "proc" and len(parts) == 2 and parts[1] in PROC_FILES:
        return show.TEXTS[parts[1]](m, _any_task(m))
    if parts[:3] == ["proc", "sys", "vm"] and len(parts) == 4:
        if parts[3] == "drop_caches":
            raise ShellError("EACCES", f"cat: {path}: Permission denied")
        key = "vm." + parts[3]
        if key in m.sysctl:
            return f"{m.sysctl[key]}\n"
    if parts[:4] == ["sys", "devices", "system", "node"] and len(parts) == 6 and \
            parts[5] == "meminfo" and parts[4].startswith("node") and parts[4][4:].isdigit():
        nid = int(parts[4][4:])
        if nid < len(m.mem.nodes):
            return meminfo.node_meminfo_text(m, nid)
    if p == "/sys/kernel/mm/transparent_hugepage/enabled":
        return meminfo.thp_enabled_text(m)
    raise ShellError("ENOENT", f"cat: {path}: No such file or directory")


def _any_task(m: Machine) -> Task:
    live = m.live_tasks()
    if m.tasks and m.current.alive:
        return m.current
    if live:
        return live[0]
    return next(iter(m.tasks.values()))


def _cat(m: Machine, cmd: Command, argv: list[str]) -> tuple[Any, str | None]:
    out = []
    first_err = None
    for path in argv:
        try:
            out.append(read_file(m, path))
        except ShellError as e:
            first_err = first_err or e.errno
            out.append(e.text + "\n")
    text = "".join(out)
    if first_err:
        raise ShellError(first_err, text)
    m.log.emit("seq_read", "fs/seq_file.c", f"read {', '.join(argv)}")
    return None, text


def parse_kernel_int(text: str) -> int | None:
    """proc_get_long(): optional '-', then a number in base 0 (0x hex, 0 octal); blanks
    around it; None for anything else (the write fails with EINVAL)."""
    s = text.strip()
    neg = s.startswith("-")
    if neg:
        s = s[1:]
    if not s or not s.isascii() or "_" in s:  # kstrtoul(): ASCII digits, no separators
        return None
    try:
        if s[:2].lower() == "0x":
            v = int(s[2:], 16)
        elif len(s) > 1 and s[0] == "0":
            v = int(s[1:], 8)
        else:
            v = int(s, 10) if s.isdigit() else None  # type: ignore[assignment]
    except ValueError:
        return None
    if v is None:
        return None
    return -v if neg else v


def write_sysctl(m: Machine, key: str, text: str) -> int:
    """proc_dointvec_minmax() through the engine's setter: KernelError on a bad value."""
    v = parse_kernel_int(text)
    if v is None:
        raise KernelError("EINVAL", f"{key}: {text.strip()!r} is not a number")
    sysctl.sysctl_set(m, key, v)
    m.log.emit("proc_sys_call_handler", "fs/proc/proc_sysctl.c",
               f"/proc/sys/{key.replace('.', '/')} = {v}")
    return v


def drop_caches(m: Machine, text: str) -> int:
    """drop_caches_sysctl_handler() (fs/drop_caches.c): 1 page cache, 2 slab, 3 both,
    4 quiet; anything else is EINVAL (proc_dointvec_minmax, 1..4)."""
    from vmtui.engine.mm import vmscan

    v = parse_kernel_int(text)
    if v is None or not 1 <= v <= 4:
        raise KernelError("EINVAL", "drop_caches takes 1..4")
    n = 0
    if v & 1:
        n = vmscan.drop_pagecache(m)
    m.log.emit("drop_caches_sysctl_handler", "fs/drop_caches.c",
               f"drop_caches: {v}" + (f": {n} clean page-cache page(s) freed" if v & 1 else
                                     ": slab objects (not simulated)"))
    return n


def _echo(m: Machine, cmd: Command, argv: list[str]) -> tuple[Any, str | None]:
    newline = True
    if argv and argv[0] == "-n":
        newline = False
        argv = argv[1:]
    text = " ".join(argv) + ("\n" if newline else "")
    redir = cmd.args.get("redirect")
    if redir is None:
        return None, text
    op, path = redir
    p = "/" + "/".join(s for s in path.split("/") if s)
    parts = p.strip("/").split("/")
    if p in (SYSCTL_CONF,) or (p.startswith("/etc/sysctl.d/") and p.endswith(".conf")):
        etc = _etc(m)
        etc[p] = (etc.get(p, "") if op == ">>" else "") + text
        m.log.emit("vfs_write", "fs/read_write.c", f"{'appended to' if op == '>>' else 'wrote'}"
                   f" {p}: read at boot (systemd-sysctl) and by `sysctl -p`")
        return None, None
    if parts[:3] == ["proc", "sys", "vm"] and len(parts) == 4:
        key = "vm." + parts[3]
        try:
            if parts[3] == "drop_caches":
                return drop_caches(m, text), None
            if key not in m.sysctl:
                raise ShellError("ENOENT", f"bash: {path}: No such file or directory")
            return write_sysctl(m, key, text), None
        except KernelError as e:
            raise ShellError(e.errno, f"bash: echo: write error: {ERRNO_TEXT.get(e.errno, e.errno)}"
                             ) from None
    try:
        read_file(m, p)
    except ShellError:
        raise ShellError("EROFS", f"bash: {path}: Read-only file system (the simulated machine "
                         "writes /proc/sys/vm/* and /etc/sysctl.conf)") from None
    raise ShellError("EACCES", f"bash: {path}: Permission denied")


# ------------------------------------------------ sysctl and reboot
def _sysctl_key(name: str) -> str:
    """sysctl accepts vm.swappiness and vm/swappiness."""
    return name.strip().replace("/", ".")


def _sysctl_show(m: Machine, key: str, values_only: bool, names_only: bool = False) -> str:
    if key in ("vm.drop_caches",):
        return ""  # write-only: sysctl skips it silently
    if key not in m.sysctl:
        raise ShellError("ENOENT", f"sysctl: cannot stat /proc/sys/{key.replace('.', '/')}: "
                         "No such file or directory")
    if names_only:
        return f"{key}\n"
    return f"{m.sysctl[key]}\n" if values_only else f"{key} = {m.sysctl[key]}\n"


def _sysctl_set(m: Machine, assignment: str, quiet: bool, values_only: bool) -> tuple[int, str]:
    """sysctl's WriteSetting(): set one key; its line, or ShellError with sysctl's message."""
    name, _, value = assignment.partition("=")
    key = _sysctl_key(name)
    value = value.strip()
    if not key:
        raise ShellError("EINVAL", f'sysctl: malformed setting "{assignment}"')
    if key == "vm.drop_caches":
        try:
            n = drop_caches(m, value)
        except KernelError as e:
            raise ShellError(e.errno, f'sysctl: setting key "{key}": '
                             f"{ERRNO_TEXT.get(e.errno, e.errno)}") from None
        return n, "" if quiet else (f"{value}\n" if values_only else f"{key} = {value}\n")
    if key not in m.sysctl:
        raise ShellError("ENOENT", f"sysctl: cannot stat /proc/sys/{key.replace('.', '/')}: "
                         "No such file or directory")
    try:
        v = write_sysctl(m, key, value)
    except KernelError as e:
        if e.why:  # sysctl(8) prints no range; the narration says what the kernel allows
            m.log.emit("proc_dointvec_minmax", "kernel/sysctl.c", f"{key}: {e.why}")
        raise ShellError(e.errno, f'sysctl: setting key "{key}": '
                         f"{ERRNO_TEXT.get(e.errno, e.errno)}") from None
    return v, "" if quiet else (f"{value}\n" if values_only else f"{key} = {value}\n")


def load_conf(m: Machine, path: str, quiet: bool = False) -> tuple[str, str | None]:
    """sysctl -p FILE (procps Preload()): every `key = value` line in order; blank lines and
    lines starting with # or ; are skipped; a key starting with - ignores its errors."""
    etc = _etc(m)
    if path not in etc:
        return f'sysctl: cannot open "{path}": No such file or directory\n', "ENOENT"
    out = []
    err = None
    for n, raw in enumerate(etc[path].splitlines(), 1):
        s = raw.strip()
        if not s or s[0] in "#;":
            continue
        if "=" not in s:
            out.append(f"sysctl: {path}({n}): invalid syntax, continuing...\n")
            continue
        name, _, value = s.partition("=")
        ignore = name.startswith("-")
        try:
            _v, line = _sysctl_set(m, name.lstrip("-") + "=" + value.strip(), quiet, False)
            out.append(line)
        except ShellError as e:
            if not ignore:
                out.append(e.text + "\n")
                err = err or e.errno
    return "".join(out), err


def _sysctl(m: Machine, cmd: Command, argv: list[str]) -> tuple[Any, str | None]:
    opts = {a for a in argv if a.startswith("-")}
    args = [a for a in argv if not a.startswith("-")]
    values_only = bool(opts & {"-n", "--values"})
    names_only = bool(opts & {"-N", "--names"})
    quiet = "-q" in opts
    if opts & {"-p", "--load"}:
        text = ""
        err = None
        for path in args or [SYSCTL_CONF]:
            out, e = load_conf(m, posixpath.normpath("/" + path.lstrip("/")), quiet)
            text += out
            err = err or e
        if err:
            raise ShellError(err, text)
        return None, text
    if opts & {"-a", "-A", "-X", "--all"} or args == ["vm"]:
        text = "".join(_sysctl_show(m, k, values_only, names_only) for k in sorted(m.sysctl))
        return None, text
    out = []
    err = None
    value: Any = None
    for a in args:
        try:
            if "=" in a:
                value, line = _sysctl_set(m, a, quiet, values_only)
            else:
                key = _sysctl_key(a)
                line = _sysctl_show(m, key, values_only, names_only)
                value = m.sysctl.get(key)  # `expect = "value=60"` can check a read
            out.append(line)
        except ShellError as e:
            out.append(e.text + "\n")
            err = err or e.errno
    if err:
        raise ShellError(err, "".join(out))
    return (value if len(args) == 1 else None), "".join(out)


def reboot(m: Machine) -> None:
    """A new boot of the same machine: RAM, swap and processes start afresh from [machine];
    the disk keeps its files and /etc, and systemd-sysctl applies /etc/sysctl.conf, as on
    Linux. Settings made with sysctl -w or echo > /proc/sys survive only through that file."""
    etc = dict(_etc(m))
    files = [(f.name, f.size) for f in m.files.values() if not f.shmem and not f.unlinked]
    keep = {"reclaim_hook": m.reclaim_hook, "progress": m.progress}
    fresh = new_machine(m.config)
    m.__dict__.clear()
    m.__dict__.update(fresh.__dict__)
    m.__dict__.update(keep)
    m.etc_files = etc
    for name, size in files:
        m.new_file(name, size)
    m.log.emit("start_kernel", "init/main.c", "the machine reboots: memory, swap and every "
               "process start afresh; files on disk and /etc stay")
    # systemd-sysctl: /etc/sysctl.d/*.conf in name order, then /etc/sysctl.conf (Debian links
    # it as 99-sysctl.conf)
    confs = sorted(p for p in etc if p.startswith("/etc/sysctl.d/")) + [SYSCTL_CONF]
    text = "".join(load_conf(m, p, quiet=True)[0] for p in confs)
    m.log.emit("systemd-sysctl", "", "applies /etc/sysctl.d/*.conf and /etc/sysctl.conf at boot" +
               (": " + text.strip().replace("\n", "; ") if text.strip() else ""))


def _reboot(m: Machine, cmd: Command, argv: list[str]) -> tuple[Any, str | None]:
    reboot(m)
    return None, None


# ------------------------------------------------ memory tools: free, vmstat
def meminfo_kb(m: Machine) -> dict[str, int]:
    """/proc/meminfo as the tools read it (procps' meminfo library): name -> kB."""
    out = {}
    for line in meminfo.meminfo_text(m, _any_task(m)).splitlines():
        name, _, rest = line.partition(":")
        fields = rest.split()
        if fields and fields[0].isdigit():
            out[name] = int(fields[0])
    return out


def free_scale(kb: int, exponent: int, human: bool) -> str:
    """procps-ng free.c scale_size(): kB in the unit asked for; -h as 1023Ki, 9.5Mi, 0B."""
    nbytes = kb * 1024
    if not human:
        if exponent == 0:
            return str(nbytes // 1024)
        if exponent == 1:
            return str(nbytes)
        return str(nbytes // (1024 ** (exponent - 1)))
    if len(f"{nbytes}B") <= 4:
        return f"{nbytes}B"
    for i, up in enumerate("KMGTP", 1):
        s = f"{nbytes / 1024 ** i:.1f}{up}i"
        if len(s) <= 5:
            return s
        s = f"{nbytes // 1024 ** i}{up}i"
        if len(s) <= 5:
            return s
    return s


def free_text(m: Machine, opts: list[str]) -> str:
    """free(1) of procps-ng 4.0: used is MemTotal - MemAvailable, buff/cache is
    Buffers + Cached + SReclaimable; -w splits buffers and cache; -t adds a Total line."""
    exponent = 0
    human = False
    for o in opts:
        e = FREE_OPTIONS.get(o)
        if e == -1:
            human = True
        elif e is not None:
            exponent = e
    wide = bool({"-w", "--wide"} & set(opts))
    total_line = bool({"-t", "--total"} & set(opts))
    mi = meminfo_kb(m)
    total, free_kb, avail = mi["MemTotal"], mi["MemFree"], mi["MemAvailable"]
    buffers = mi["Buffers"]
    cache = mi["Cached"] + mi["SReclaimable"]
    used = total - avail if total >= avail else total - free_kb
    shared = mi["Shmem"]
    stotal, sfree = mi["SwapTotal"], mi["SwapFree"]

    def col(kb: int) -> str:
        return f" {free_scale(kb, exponent, human):>11}"

    if wide:
        head = ("               total        used        free      shared     buffers       cache"
                "   available")
        mem = "".join(col(v) for v in (total, used, free_kb, shared, buffers, cache, avail))
    else:
        head = "               total        used        free      shared  buff/cache   available"
        mem = "".join(col(v) for v in (total, used, free_kb, shared, buffers + cache, avail))
    # "%-9s" for the label, "%11s" for the first value, " %11s" for the others
    lines = [head, f"{'Mem:':<8}{mem}",
             f"{'Swap:':<8}" + "".join(col(v) for v in (stotal, stotal - sfree, sfree))]
    if total_line:
        lines.append(f"{'Total:':<8}" + "".join(col(v) for v in (
            total + stotal, used + stotal - sfree, free_kb + sfree)))
    return "\n".join(lines) + "\n"


def _free(m: Machine, cmd: Command, argv: list[str]) -> tuple[Any, str | None]:
    return None, free_text(m, argv)


VMSTAT_HEAD = ("procs -----------memory---------- ---swap-- -----io---- -system-- "
               "------cpu-----\n"
               " r  b   swpd   free   buff  cache   si   so    bi    bo   in   cs us sy id wa st\n")


def _vmstat_sample(m: Machine) -> tuple[dict[str, int], dict[str, int]]:
    return meminfo_kb(m), dict(m.vmstat)


def vmstat_line(mi: dict[str, int], now: dict[str, int], before: dict[str, int],
                seconds: int) -> str:
    """One line of vmstat(8) (procps-ng vmstat.c new_format()): memory in kB, swap and io
    per second over the interval (the first line: since boot), cpu as percentages."""
    kb_page = (1 << PAGE_SHIFT) >> 10
    secs = max(seconds, 1)

    def rate(name: str, mult: int = 1) -> int:
        return (now.get(name, 0) - before.get(name, 0)) * mult // secs

    swpd = mi["SwapTotal"] - mi["SwapFree"]
    cache = mi["Cached"] + mi["SReclaimable"]
    return (f"{1:2d} {0:2d} {swpd:6d} {mi['MemFree']:6d} {mi['Buffers']:6d} {cache:6d} "
            f"{rate('pswpin', kb_page):4d} {rate('pswpout', kb_page):4d} "
            f"{rate('pgpgin'):5d} {rate('pgpgout'):5d} {0:4d} {0:4d} "
            f"{0:2d} {0:2d} {100:2d} {0:2d} {0:2d}\n")


def _vmstat(m: Machine, cmd: Command, argv: list[str]) -> tuple[Any, str | None]:
    from vmtui.engine.mm import vmscan

    delay, count = (int(argv[0]), int(argv[1])) if argv else (1, 1)
    mi, now = _vmstat_sample(m)
    text = VMSTAT_HEAD + vmstat_line(mi, now, {}, m.ticks)
    for _ in range(count - 1):
        before = now
        vmscan.tick(m, delay)
        mi, now = _vmstat_sample(m)
        text += vmstat_line(mi, now, before, delay)
    return None, text


# ------------------------------------------------ processes: ps, pmap, ulimit
def cmdline(task: Task) -> str:
    """/proc/PID/cmdline as the tools print it: the program's path (the executable's VMA)."""
    for vma in task.mm.vmas:
        f = vma.vm_file
        if f is not None and f.name.rsplit("/", 1)[-1][:15] == task.comm:
            return str(f.name)
    return task.comm


def _user(task: Task) -> str:
    return "root" if task.root else "1000"


def ps_text(m: Machine, argv: list[str]) -> str:
    """ps(1) of procps-ng: plain `ps` (PID TTY TIME CMD) or `ps aux` (the u format, with
    VSZ and RSS in KiB and %MEM = RSS / MemTotal)."""
    tasks = sorted(m.live_tasks(), key=lambda t: t.pid)
    if not argv or argv == ["-e"] or argv == ["-A"]:
        lines = ["    PID TTY          TIME CMD"[2:]]
        lines += [f"{t.pid:5d} {'pts/0':<8} {'00:00:00':>8} {t.comm}" for t in tasks]
        return "\n".join(lines) + "\n"
    total = meminfo_kb(m)["MemTotal"]
    rows = []
    for t in tasks:
        rss = t.mm.rss() << (PAGE_SHIFT - 10)
        vsz = t.mm.total_vm << (PAGE_SHIFT - 10)
        pmem = rss * 1000 // total if total else 0
        stat = "R+" if m.tasks and t.pid == m.current_pid else "S+"
        rows.append((_user(t), str(t.pid), "0.0", f"{pmem // 10}.{pmem % 10}", str(vsz),
                     str(rss), "pts/0", stat, "00:00", "0:00", cmdline(t)))
    heads = ("USER", "PID", "%CPU", "%MEM", "VSZ", "RSS", "TTY", "STAT", "START", "TIME",
             "COMMAND")
    widths = [8, 5, 4, 4, 6, 5, 8, 4, 5, 6, 0]
    left = {0, 6, 7, 10}
    for r in rows:
        widths = [max(w, len(v)) if i != 10 else 0 for i, (w, v) in enumerate(zip(widths, r,
                                                                              strict=True))]

    def fmt(r: tuple[str, ...]) -> str:
        cells = [v if i == 10 else (v.ljust(widths[i]) if i in left else v.rjust(widths[i]))
                 for i, v in enumerate(r)]
        return " ".join(cells)

    return "\n".join([fmt(heads)] + [fmt(r) for r in rows]) + "\n"


def ps_o_text(m: Machine, fields: list[str]) -> str:
    """ps -o FIELD,...: one column per field, numbers right-aligned, the last column left
    as it is (procps-ng)."""
    total = meminfo_kb(m)["MemTotal"]

    def value(t: Task, f: str) -> str:
        rss = t.mm.rss() << (PAGE_SHIFT - 10)
        pmem = rss * 1000 // total if total else 0
        return {"pid": str(t.pid), "ppid": str(t.ppid),
                "vsz": str(t.mm.total_vm << (PAGE_SHIFT - 10)), "rss": str(rss),
                "comm": t.comm, "cmd": cmdline(t), "args": cmdline(t), "user": _user(t),
                "%mem": f"{pmem // 10}.{pmem % 10}",
                "stat": "R+" if t.pid == m.current_pid else "S+", "tty": "pts/0",
                "time": "00:00:00"}[f]

    tasks = sorted(m.live_tasks(), key=lambda t: t.pid)
    rows = [[PS_FIELDS[f][0] for f in fields]] + [[value(t, f) for f in fields] for t in tasks]
    out = []
    for r in rows:
        cells = []
        for i, (f, v) in enumerate(zip(fields, r, strict=True)):
            _head, width, right = PS_FIELDS[f]
            last = i == len(fields) - 1
            cells.append(v.rjust(width) if right else (v if last else v.ljust(width)))
        out.append(" ".join(cells))
    return "\n".join(out) + "\n"


def _ps(m: Machine, cmd: Command, argv: list[str]) -> tuple[Any, str | None]:
    if "-o" in argv:
        spec = argv[argv.index("-o") + 1]
        return None, ps_o_text(m, [f.lower() for f in spec.split(",")])
    return None, ps_text(m, argv)


def _pid_task(m: Machine, who: str) -> Task | None:
    if who == "self":
        return _task(m)
    pid = int(who) if who.isdigit() else m.names.get(who)
    t = m.tasks.get(pid) if pid is not None else None
    return t if t is not None and t.alive else None


def pmap_text(m: Machine, task: Task, extended: bool) -> str:
    """pmap(1) of procps-ng 4.0: `PID:   cmdline`, then one line per mapping (the file's
    base name, `  [ anon ]`, or `  [ stack ]` where the stack starts) and a total; -x adds
    RSS and Dirty (Shared_Dirty + Private_Dirty) from smaps."""
    w = m.layout.pte_bytes * 2 if m.layout.arch == "i386" else 16
    mm = task.mm
    lines = [f"{task.pid}:   {cmdline(task)}"]
    if extended:
        lines.append(f"{'Address':<{w}} {'Kbytes':>7} {'RSS':>7} {'Dirty':>7} Mode  Mapping")
    rows: list[tuple[int, int, int, int, str, str]] = []
    for vma in mm.vmas:
        f = vma.vm_file
        if f is not None:
            name = f.name.rsplit("/", 1)[-1] or "/"
        elif vma.vm_start <= mm.start_stack <= vma.vm_end:
            name = "  [ stack ]"
        else:
            name = "  [ anon ]"
        perms = vma.perms()
        mode = perms[:3] + ("s" if perms[3] == "s" else "-") + "-"
        rss = dirty = 0
        if extended:
            mss = task_mmu.smap_gather_stats(m, vma)
            rss, dirty = mss.resident >> 10, (mss.shared_dirty + mss.private_dirty) >> 10
        rows.append((vma.vm_start, (vma.vm_end - vma.vm_start) >> 10, rss, dirty, mode, name))
    if m.layout.vsyscall:
        rows.append((task_mmu.VSYSCALL_START, 4, 0, 0, "--x--", "  [ anon ]"))
    for start, kb, rss, dirty, mode, name in rows:
        if extended:
            lines.append(f"{start:0{w}x} {kb:7d} {rss:7d} {dirty:7d} {mode} {name}")
        else:
            lines.append(f"{start:0{w}x} {kb:6d}K {mode} {name}")
    tk = sum(r[1] for r in rows)
    if extended:
        lines.append(f"{'-' * w} ------- ------- ------- ")
        lines.append(f"total kB {tk:{w - 1}d} {sum(r[2] for r in rows):7d} "
                     f"{sum(r[3] for r in rows):7d}")
    else:
        lines.append(f" total {tk:{w}d}K")
    return "\n".join(lines) + "\n"


def _pmap(m: Machine, cmd: Command, argv: list[str]) -> tuple[Any, str | None]:
    extended = any(a in ("-x", "--extended") for a in argv)
    out = []
    missing = False
    for who in (a for a in argv if not a.startswith("-")):
        t = _pid_task(m, who)
        if t is None:
            missing = True  # pmap prints nothing for a process that is not there
            continue
        out.append(pmap_text(m, t, extended))
    if missing:
        raise ShellError("ESRCH", "".join(out))
    return None, "".join(out)


def _ulimit(m: Machine, cmd: Command, argv: list[str]) -> tuple[Any, str | None]:
    """bash's ulimit: -l RLIMIT_MEMLOCK and -s RLIMIT_STACK in KiB, or `unlimited`."""
    task = _task(m)
    inf = 1 << 62

    def show(v: int) -> str:
        return "unlimited" if v >= inf else str(v >> 10)

    if argv[0] == "-a":
        return None, (f"max locked memory           (kbytes, -l) {show(task.rlimit_memlock)}\n"
                      f"stack size                  (kbytes, -s) {show(task.rlimit_stack)}\n")
    attr = "rlimit_memlock" if argv[0] == "-l" else "rlimit_stack"
    if len(argv) == 1:
        return None, show(getattr(task, attr)) + "\n"
    v = inf if argv[1] == "unlimited" else int(argv[1]) << 10
    setattr(task, attr, v)
    which = "RLIMIT_MEMLOCK" if argv[0] == "-l" else "RLIMIT_STACK"
    m.log.emit("do_prlimit", "kernel/sys.c", f"{which} of task {task.pid} = {show(v)} kB")
    return None, None


# ------------------------------------------------ NUMA and swap tools
def _numactl(m: Machine, cmd: Command, argv: list[str]) -> tuple[Any, str | None]:
    if not argv or argv[0] in ("--hardware", "-H"):
        return None, teaching.numa_text(m, _any_task(m))
    return None, numactl_show(m, _task(m))


def numactl_show(m: Machine, task: Task) -> str:
    """numactl --show (numactl.c show()): the task's policy, its node and CPU masks."""
    from vmtui.engine.mm import mempolicy

    pol = task.mempolicy
    mode = pol.mode if pol is not None else mempolicy.MPOL_DEFAULT
    nodes_all = [n.id for n in m.mem.nodes]
    name = {mempolicy.MPOL_LOCAL: "default"}.get(mode, mempolicy.MODE_NAMES[mode])
    lines = [f"policy: {name}"]
    if mode == mempolicy.MPOL_PREFERRED:
        pref = str(pol.nodes[0])
    elif mode == mempolicy.MPOL_INTERLEAVE:
        pref = f"{task.il_next} (interleave next)"
    elif mode == mempolicy.MPOL_BIND:
        pref = str(pol.nodes[0])
    else:
        pref = "current"
    lines.append(f"preferred node: {pref}")
    if mode == mempolicy.MPOL_INTERLEAVE:
        lines.append("interleavemask: " + "".join(f"{n} " for n in pol.nodes))
        lines.append(f"interleavenode: {task.il_next}")
    cpus = sorted(c for n in m.mem.nodes for c in n.cpus)
    lines.append("physcpubind: " + "".join(f"{c} " for c in cpus))
    lines.append("cpubind: " + "".join(f"{n} " for n in nodes_all))
    lines.append("nodebind: " + "".join(f"{n} " for n in nodes_all))
    mem = pol.nodes if mode == mempolicy.MPOL_BIND else nodes_all
    lines.append("membind: " + "".join(f"{n} " for n in mem))
    lines.append("preferred: " + (f"{pol.nodes[0]} " if mode == mempolicy.MPOL_PREFERRED
                                  else ""))
    return "\n".join(lines) + "\n"


NUMASTAT_ROWS = (("numa_hit", "numa_hit"), ("numa_miss", "numa_miss"),
                 ("numa_foreign", "numa_foreign"), ("interleave_hit", "numa_interleave"),
                 ("local_node", "numa_local"), ("other_node", "numa_other"))


def numastat_text(m: Machine) -> str:
    """numastat (numactl's numastat.c, default view): the node's numastat counters
    (/sys/devices/system/node/nodeN/numastat), a 16-column label then 16 per node."""
    from vmtui.engine.mm.vmstat import Counters

    c = Counters(m)
    nodes = m.mem.nodes
    lines = [" " * 16 + "".join(f"{'node' + str(n.id):>16}" for n in nodes)]
    for label, item in NUMASTAT_ROWS:
        vals = [sum(c.zone[z][item] for z in n.zones) for n in nodes]
        lines.append(f"{label:<16}" + "".join(f"{v:>16}" for v in vals))
    return "\n".join(lines) + "\n"


def _numastat(m: Machine, cmd: Command, argv: list[str]) -> tuple[Any, str | None]:
    return None, numastat_text(m)


def human_size(nbytes: int) -> str:
    """util-linux size_to_human_string(SIZE_SUFFIX_1LETTER): 64M, 1.5G, 0B."""
    exp = 0
    for shft in range(10, 70, 10):
        if nbytes < 1 << shft:
            exp = shft - 10
            break
    else:
        exp = 60
    letter = "BKMGTPE"[exp // 10]
    dec = nbytes >> exp if exp else nbytes
    frac = nbytes % (1 << exp) if exp else 0
    if frac:
        frac = frac * 1000 // (1 << exp)
        frac = (frac + 50) // 100
        if frac == 10:
            dec += 1
            frac = 0
    return f"{dec}.{frac}{letter}" if frac else f"{dec}{letter}"


def swapon_show(m: Machine) -> str:
    """swapon --show (util-linux, libsmartcols): NAME TYPE SIZE USED PRIO, nothing at all
    when no swap area is in use."""
    areas = [si for si in m.swap.areas if si.writeok] if m.swap.enabled else []
    if not areas:
        return ""
    rows = [("NAME", "TYPE", "SIZE", "USED", "PRIO")]
    for si in areas:
        kind = "partition" if si.name.startswith("/dev/") else "file"
        rows.append((si.name, kind, human_size(si.usable << PAGE_SHIFT),
                     human_size(si.inuse_pages << PAGE_SHIFT), str(si.prio)))
    w = [max(len(r[i]) for r in rows) for i in range(5)]
    out = []
    for r in rows:
        out.append(f"{r[0]:<{w[0]}} {r[1]:<{w[1]}} {r[2]:>{w[2]}} {r[3]:>{w[3]}} "
                   f"{r[4]:>{w[4]}}")
    return "\n".join(out) + "\n"


def swapon_summary(m: Machine) -> str:
    """swapon -s (util-linux display_summary()): /proc/swaps reprinted with its own tabs."""
    areas = [si for si in m.swap.areas if si.writeok] if m.swap.enabled else []
    if not areas:
        return ""
    kb = (1 << PAGE_SHIFT) >> 10
    lines = ["Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority"]
    for si in areas:
        kind = "partition" if si.name.startswith("/dev/") else "file"
        size, used = si.usable * kb, si.inuse_pages * kb
        pad = 40 - len(si.name) if len(si.name) < 40 else 1
        lines.append(f"{si.name}{' ' * pad}{kind}{chr(9) if len(kind) < 8 else ''}\t{size}"
                     f"{chr(9) if size < 10000000 else ''}\t{used}"
                     f"{chr(9) if used < 10000000 else ''}\t{si.prio}")
    return "\n".join(lines) + "\n"


def _swapon(m: Machine, cmd: Command, argv: list[str]) -> tuple[Any, str | None]:
    if any(a in ("-a", "--all") for a in argv):
        if m.swap.areas and not m.swap.enabled:
            swapfile.swapon(m)
        return None, None
    if any(a in ("-s", "--summary") for a in argv):
        return None, swapon_summary(m)
    return None, swapon_show(m)


def _swapoff(m: Machine, cmd: Command, argv: list[str]) -> tuple[Any, str | None]:
    if m.swap.enabled:
        swapfile.swapoff(m)
    return None, None


# ------------------------------------------------ mlockall / mlock2
def _mlockall(m: Machine, cmd: Command, argv: list[str]) -> tuple[Any, str | None]:

    mlock.sys_mlockall(m, _task(m), cmd.args["flags"])
    return None, None


def _mlock2(m: Machine, cmd: Command, argv: list[str]) -> tuple[Any, str | None]:
    from vmtui.scenario.execute import resolve

    mlock.do_mlock(m, _task(m), resolve(m, cmd, cmd.args["addr"]), cmd.args["len"], True,
                   onfault=cmd.args["onfault"])
    return None, None


# ------------------------------------------------ help
HELP: dict[str, str] = {
    "cat": "cat FILE...\n  print a file of the simulated machine: /proc/[PID|self]/{maps,smaps,"
           "smaps_rollup,status,statm,numa_maps}, /proc/{meminfo,vmstat,buddyinfo,zoneinfo,"
           "pagetypeinfo,swaps}, /proc/sys/vm/*, /sys/devices/system/node/nodeN/meminfo,\n"
           "  /sys/kernel/mm/transparent_hugepage/enabled, /etc/sysctl.conf",
    "echo": "echo VALUE > /proc/sys/vm/KEY | echo \"KEY = VALUE\" >> /etc/sysctl.conf\n"
            "  write a sysctl (the kernel checks the value) or append to /etc/sysctl.conf",
    "sysctl": "sysctl KEY... | sysctl [-w] KEY=VALUE... | sysctl -a | sysctl -p [FILE] | "
              "sysctl -n KEY\n  read or set vm.* settings; -p loads /etc/sysctl.conf",
    "reboot": "reboot\n  boot the machine again: only /etc/sysctl.conf carries settings over",
    "numactl": "numactl --hardware | -H | --show\n  NUMA nodes, their CPUs, sizes and "
               "distances; --show: the current process's policy",
    "numastat": "numastat\n  numa_hit, numa_miss, ... per node",
    "free": "free [-b|-k|-m|-g|-h] [-t] [-w]\n  memory and swap in use (procps-ng free); "
            "`free ADDR` is glibc's free",
    "vmstat": "vmstat [DELAY COUNT]\n  memory, swap and io; COUNT lines DELAY ticks apart",
    "pmap": "pmap [-x] PID...\n  a process's mappings (-x: with RSS and Dirty)",
    "ps": "ps | ps aux | ps -o pid,vsz,rss,comm\n  the simulated processes (VSZ and RSS in "
          "KiB)",
    "swapon": "swapon --show | -s | -a   (plain `swapon`: enable the swap area)",
    "swapoff": "swapoff -a   (plain `swapoff`: disable the swap area)",
    "ulimit": "ulimit -l|-s [N|unlimited] | ulimit -a\n  RLIMIT_MEMLOCK / RLIMIT_STACK in KiB",
    "mlockall": "mlockall [current,future,onfault | MCL_CURRENT|MCL_FUTURE|MCL_ONFAULT]\n"
                "  lock every mapping now (current) and every later one (future); plain "
                "`mlockall` is current,future",
    "mlock2": "mlock2 ADDR LEN [onfault]\n  mlock; with onfault pages lock as they are "
              "touched instead of being faulted in now",
    "help": "help [COMMAND]\n  what a command takes",
    "sudo": "sudo COMMAND\n  runs COMMAND (everything runs as root here)",
}
LANG_HELP = {
    "mmap": "NAME = mmap LEN PROT FLAGS [file=FILE] [offset=SIZE] [addr=ADDR]",
    "munmap": "munmap ADDR LEN", "mprotect": "mprotect ADDR LEN PROT",
    "mremap": "NAME = mremap ADDR OLDLEN NEWLEN [maymove]",
    "sbrk": "NAME = sbrk DELTA", "brk": "brk ADDR", "malloc": "NAME = malloc SIZE",
    "read": "read ADDR [LEN]", "write": "write ADDR [LEN] [= VALUE]", "exec": "exec ADDR",
    "fork": "NAME = fork", "switch": "switch PID-or-NAME", "exit": "exit [PID-or-NAME]",
    "file": "file NAME SIZE", "mlock": "mlock ADDR LEN", "munlock": "munlock ADDR LEN",
    "munlockall": "munlockall", "madvise": "madvise ADDR LEN dontneed|willneed|free",
    "numa": "numa local|interleave=0,1|bind=1|preferred=1", "cpu": "cpu NODE",
    "walk": "walk ADDR", "tick": "tick [N]", "segment": "segment SELECTOR:OFFSET",
    "show": "show " + "|".join(SHOW_WHAT + SHOW_KERNEL) + " [PID]",
    "spawn": "NAME = spawn [PROGRAM]", "vmalloc": "NAME = vmalloc SIZE", "kread": "kread ADDR",
    "kwrite": "kwrite ADDR [= VALUE]", "kill": "kill PID-or-NAME", "compact": "compact",
    "drop_caches": "drop_caches",
    "lru_gen": "lru_gen + MEMCG NODE MAX_GEN [CAN_SWAP [FORCE_SCAN]] | "
               "lru_gen - MEMCG NODE MIN_GEN [SWAPPINESS [NR_TO_RECLAIM]]\n"
               "  age or evict as /sys/kernel/debug/lru_gen does (kernel 6.18)",
}


def help_text(topic: str | None) -> str:
    from vmtui.scenario.lang import COMMANDS

    if topic is None:
        return ("Commands (help COMMAND for one):\n  " + " ".join(COMMANDS) + "\n"
                "Linux commands: " + " ".join(sorted(HELP)) + "\n")
    t = topic.lower()
    if t in HELP:
        text = HELP[t]
        if t in ("free", "swapon", "swapoff", "mlockall", "sysctl") and t in LANG_HELP:
            text += "\n  " + LANG_HELP[t]
        return text + "\n"
    if t in LANG_HELP:
        return LANG_HELP[t] + "\n"
    raise ShellError("ENOENT", f"bash: help: no help topics match `{topic}'.  Try `help' for "
                     "the list.")


def _help(m: Machine, cmd: Command, argv: list[str]) -> tuple[Any, str | None]:
    return None, help_text(argv[0] if argv else None)


_RUN: dict[str, Callable[[Machine, Command, list[str]], tuple[Any, str | None]]] = {
    "cat": _cat, "echo": _echo, "sysctl": _sysctl, "reboot": _reboot, "free": _free,
    "vmstat": _vmstat, "ps": _ps, "pmap": _pmap, "ulimit": _ulimit, "numactl": _numactl,
    "numastat": _numastat, "swapon": _swapon, "swapoff": _swapoff, "mlockall": _mlockall,
    "mlock2": _mlock2, "help": _help,
}


# ------------------------------------------------ completion (the TUI's command line)
CAT_PATHS = tuple(f"/proc/self/{f}" for f in PID_FILES) + tuple(
    f"/proc/{f}" for f in PROC_FILES) + (
    "/proc/sys/vm/swappiness", "/proc/sys/vm/min_free_kbytes", "/proc/sys/vm/overcommit_memory",
    "/proc/sys/vm/watermark_scale_factor", "/proc/sys/vm/max_map_count",
    "/proc/sys/vm/drop_caches", "/sys/devices/system/node/node0/meminfo",
    "/sys/kernel/mm/transparent_hugepage/enabled", SYSCTL_CONF)
ARG_WORDS: dict[str, tuple[str, ...]] = {
    "cat": CAT_PATHS,
    "show": SHOW_WHAT + SHOW_KERNEL,
    "sysctl": ("-w", "-a", "-p", "-n", "vm.swappiness", "vm.min_free_kbytes",
               "vm.overcommit_memory", "vm.watermark_scale_factor", "vm.max_map_count",
               "vm.drop_caches"),
    "numactl": ("--hardware", "--show", "-H"),
    "free": ("-m", "-h", "-k", "-b", "-g", "-t", "-w"),
    "swapon": ("--show", "-s", "-a"),
    "swapoff": ("-a",),
    "pmap": ("-x",),
    "ps": ("aux", "-o pid,vsz,rss,comm"),
    "ulimit": ("-l", "-s", "-a"),
    "mlockall": ("current,future", "MCL_CURRENT|MCL_FUTURE", "future,onfault"),
    "echo": ("> /proc/sys/vm/", ">> /etc/sysctl.conf", "/proc/sys/vm/"),
}


def complete(value: str) -> str | None:
    """The whole line completed at its last word, or None: a command name at the start
    (after an optional `NAME = `), then the words each Linux command takes."""
    from vmtui.scenario.lang import COMMANDS

    if not value or value[-1].isspace():
        return None
    words = value.split()
    start = 2 if len(words) >= 2 and words[1] == "=" else 0
    if len(words) <= start:
        return None
    last = words[-1]
    if len(words) == start + 1:
        pool: tuple[str, ...] = tuple(COMMANDS)
    else:
        cmd = words[start].lower()
        pool = tuple(COMMANDS) if cmd in ("help", "sudo") else ARG_WORDS.get(cmd, ())
    for cand in pool:
        if cand.startswith(last) and cand != last:
            return value + cand[len(last):]
    return None
