"""With the language set to zh, no pane of any built-in scenario at any step shows an English
word outside addresses, kernel identifiers, the command language and /proc text.

Every built-in scenario is opened in the real app at 160x48 and stepped through; at every
step every pane (its title, subtitle and lines, or the message it shows when empty), the
status bar and the footer are read as drawn, and each word is judged:

* allowed: numbers and addresses; identifiers (with `_` or a digit: vm_start, kswapd0);
  abbreviations in capitals (PTE, VMA, SIGSEGV); single letters (perms r--p, B/R units);
  file and path names (mm/memory.c, libc.so.6, /proc/1/maps); the kernel functions this
  step's events name (brk, free, walk); the words of the scenario's own commands (`hot =
  mmap 4M r private` is the command language, typed in English); the process names;
  and the fixed list KERNEL_WORDS below (identifiers without `_`: the names of /proc
  fields, vm_flags mnemonics and tools, each checked against the kernel or the tool);
* text a step printed through a Linux tool or a /proc file (cat, free, vmstat, sysctl,
  `show maps`...) is the kernel's own text, in English on every system: not judged.

Anything else is an English word left in a Chinese screen: the test names it, the pane,
the scenario and the step.
"""

from __future__ import annotations

import re

from tests.ui.conftest import settle
from vmtui.scenario.lang import COMMANDS, SHOW_WHAT
from vmtui.scenario.loader import builtin_names, load_scenario
from vmtui.ui.app import VmtuiApp
from vmtui.ui.lines_view import TAB_SIZE, LinesView
from vmtui.view.driver import Op

PROC_TOOLS = {"cat", "free", "vmstat", "sysctl", "numactl", "numastat", "echo", "ulimit",
              "swapon", "pmap", "ps"}
"""Linux commands of the lecture notes: what they print is the real tool's text."""
PROC_SHOWS = {"maps", "smaps", "status", "meminfo", "vmstat", "buddyinfo", "zoneinfo",
              "swaps", "numa", "lru_gen"}
"""`show X` that prints a /proc file (or numactl --hardware for numa, or
/sys/kernel/debug/lru_gen for lru_gen) as the kernel does."""

KERNEL_WORDS = {
    # kernel identifiers without `_` or a digit, as the kernel spells them
    "mm", "pgd", "pud", "pmd", "pte", "vma", "vmas", "pid", "pfn", "cr", "mmap", "brk",
    "anon", "kswapd", "vmalloc", "vmscan", "oom", "rss", "swappiness", "pgfault",
    "pgmajfault", "pswpin", "pswpout", "allocstall", "workingset", "kB", "gfp",
    "mapcount", "vsyscall", "vdso", "vvar", "heap", "stack", "malloc", "sbrk", "fork",
    "exec", "execve", "munmap", "mprotect", "mremap", "mlock", "munlock", "mlockall",
    "madvise", "sysctl", "kread", "kwrite", "readahead", "lru", "numa", "tlb", "rb",
    "dirty", "writeback", "shmem", "tmpfs", "glibc", "libc", "demo", "init",
    # struct folio (include/linux/mm_types.h, 5.16+), which 6.18's fault path names; Linux,
    # the kernel's own name, which the status bar shows beside its version
    "folio", "Linux",
    # vm_flags mnemonics of /proc/PID/smaps VmFlags (fs/proc/task_mmu.c show_smap_vma_flags)
    "rd", "wr", "ex", "sh", "mr", "mw", "me", "ms", "gd", "pf", "dw", "lo", "io", "sr",
    "rr", "dc", "de", "ac", "nr", "ht", "ar", "dd", "sd", "mm", "hg", "nh", "mg", "um",
    "uw",
    # units
    "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "kB",
    # zones and nodes as /proc/zoneinfo names them
    "Normal", "Movable", "DMA",
    # /proc/PID/smaps and status field names shown in the vm_area_struct pane
    "Rss", "Pss", "Swap", "Locked", "Anonymous",
    # mmap's parameters (mm/mmap.c ksys_mmap_pgoff), VMA neighbours (vm_prev, vm_next) and
    # struct inode, as the call chain names them
    "addr", "len", "prot", "flags", "prev", "next", "inode",
    # glibc's tcache_perthread_struct.counts and the tcache itself (malloc/malloc.c)
    "counts", "tcache",
    # the LRU lists as /proc/vmstat names them (nr_unevictable...)
    "unevictable",
    # /dev/zero, the file behind shared anonymous memory (a VMA's name)
    "zero",
    # x86 segment registers and instructions, and the SDM's max(CPL, RPL)
    "cs", "ds", "es", "fs", "gs", "ss", "ax", "movw", "far", "jmp", "max",
    # names: Intel's Software Developer's Manual
    "Intel",
    # the watermarks as /proc/zoneinfo names them (mm/vmstat.c zoneinfo_show_print)
    "min", "low", "high",
    # the TUI's own name
    "vmtui",
}

WORD = re.compile(r"[A-Za-z0-9_]+")
FILEISH = re.compile(r"\S*(?:/|\.[A-Za-z0-9])\S*")
HEX = re.compile(r"[0-9a-f]+ ?→ ?[0-9a-f]+|\b(?:0x)?[0-9a-fA-F]{4,}\b")
PERMS = re.compile(r"(?<!\w)[r-][w-][x-][ps]?(?!\w)")
VMTUI_COMMAND = re.compile(r"\bvmtui [a-z]+")
"""A vmtui subcommand as typed (`vmtui diff`), like any command."""
KEY_VALUE = re.compile(r"[\w-]+[=:](?=\S)|\bstruct \w+")
KERNEL_LOG = ("Out of memory: Killed process", "invoked oom-killer", "oom-killer")
"""The kernel's own log lines (mm/oom_kill.c), quoted as dmesg shows them."""


def english_words(text: str, allowed: set[str]) -> list[str]:
    """The words of `text` a Chinese reader would see as English."""
    for quote in KERNEL_LOG:
        text = text.replace(quote, " ")
    text = VMTUI_COMMAND.sub(" ", text)
    text = FILEISH.sub(" ", text)
    text = HEX.sub(" ", text)
    text = PERMS.sub(" ", text)
    text = KEY_VALUE.sub(" ", text)
    out = []
    for w in WORD.findall(text):
        if len(w) < 2 or any(c.isdigit() or c == "_" for c in w) or w.isupper():
            continue
        if w in allowed:
            continue
        out.append(w)
    return out


def exempt_texts(step) -> bool:  # type: ignore[no-untyped-def]
    """Did every command of the step that prints text print a tool's or /proc's text?"""
    printing = []
    for cmd in step.commands:
        if cmd.name == "show":
            printing.append(str(cmd.args.get("what", "")).lower() in PROC_SHOWS)
        elif cmd.name in PROC_TOOLS:
            printing.append(True)
        elif cmd.name in ("walk", "segment"):
            printing.append(False)
    return bool(printing) and all(printing)


def pane_lines(pane: LinesView) -> list[str]:
    """What the pane draws: its title, subtitle and every line (unwrapped), or the
    message it shows when it has no lines."""
    out = [str(pane.border_title or ""), str(pane.border_subtitle or "")]
    n = len(pane._lines) if pane.wrap else pane.line_count()
    if n == 0:
        out.append(pane._empty)
    elif pane.wrap:
        out.extend(line.plain for line in pane._lines)
    else:
        out.extend(pane.get_line(i).plain for i in range(n))
    return out


async def test_every_pane_of_every_scenario_in_chinese() -> None:
    base = set(KERNEL_WORDS) | set(COMMANDS) | set(SHOW_WHAT)
    found: dict[str, str] = {}
    for name in builtin_names():
        sc = load_scenario(name)
        allowed = set(base) | set(WORD.findall(sc.name))
        # the scenario's Chinese narration is the author's, its identifiers deliberate
        said = {ln for text in (sc.title, sc.summary) for ln in text.get("zh", "").split("\n")}
        for st in sc.steps:
            allowed.update(w for w in WORD.findall(st.do))
            said.update(st.say.get("zh", "").split("\n"))
            said.update(st.title.get("zh", "").split("\n"))
        for line in said:  # names the author kept in English (Linux, dmesg, OOM killer)
            allowed.update(WORD.findall(line))
        app = VmtuiApp(sc, lang="zh")
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            driver = app.driver
            for step in range(len(sc.steps) + 1):
                if step:
                    app._apply(driver.run(Op("next"), app._view()))
                    await pilot.pause()
                snap = app.snapshot
                assert snap.position == step
                here = allowed | {ev.fn for ev in snap.events} | {c for _p, c, _s in snap.pids}
                here |= {name for name, _v in snap.vmstat}  # /proc/vmstat's names
                for row in snap.maps:  # mapped files' names, cut short in the bar
                    here.update(WORD.findall(row.split(None, 5)[-1]))
                skip = set(said)
                if step and exempt_texts(sc.steps[step - 1]):
                    # the output as the kernel writes it; the pane draws its tabs as spaces
                    skip |= {ln.expandtabs(TAB_SIZE) for out in snap.texts
                             for ln in out.rstrip("\n").split("\n")}
                lines: list[tuple[str, str]] = []
                for pane in app.dashboard.panes:
                    got = pane_lines(pane)
                    if pane.id == "vmas":
                        got = got[:2]  # its rows are /proc/PID/maps lines
                    lines.extend((str(pane.id), ln) for ln in got if ln not in skip)
                lines.append(("status", app.status.render().plain))
                for where, line in lines:
                    if line.startswith("$ "):  # the command as typed, then its result
                        line = line.partition("  → ")[2]
                    if line.startswith("n → "):  # the next command, as typed
                        line = ""
                    for w in english_words(line, here):
                        found.setdefault(w, f"{name} step {step} {where}: {line.strip()}")
            # the footer's keys and the small terminal's page tabs
            chrome = [ab.binding.description for ab in app.active_bindings.values()
                      if ab.binding.show]
            chrome += [str(tab.label) for tab in app.query("Tab")]
            for line in chrome:
                for w in english_words(line, base):
                    found.setdefault(w, f"{name} footer or tabs: {line}")
    assert not found, "English in a Chinese screen:\n" + "\n".join(
        f"{w!r}: {where[:200]}" for w, where in sorted(found.items()))


def test_run_text_output_in_chinese(capsys) -> None:  # type: ignore[no-untyped-def]
    """`vmtui run --lang zh`: every step line, result, event and view of every built-in
    scenario, judged by the same rules as the panes."""
    from vmtui.commands.run import print_step
    from vmtui.scenario.runner import Runner

    base = set(KERNEL_WORDS) | set(COMMANDS) | set(SHOW_WHAT)
    found: dict[str, str] = {}
    for name in builtin_names():
        sc = load_scenario(name)
        allowed = set(base) | set(WORD.findall(sc.name))
        for st in sc.steps:
            allowed.update(WORD.findall(st.do))
            for line in st.say.get("zh", "").split("\n"):
                allowed.update(WORD.findall(line))
        runner = Runner(sc)
        for rec in runner:
            step = sc.steps[rec.number - 1]
            print_step(rec, step.say, "zh", quiet=False)
            out = capsys.readouterr().out.split("\n")
            head = out[0]
            assert head.startswith(f"步骤 {rec.number} [pid "), head
            skip = {"  " + ln for ln in step.say.get("zh", "").split("\n")}
            if exempt_texts(step):
                skip |= {"  " + ln for text in rec.texts for ln in text.rstrip("\n").split("\n")}
            here = allowed | {e.fn for e in rec.events}
            here |= {w for t in runner.machine.tasks.values() for w in WORD.findall(t.comm)}
            for line in out[1:]:
                if line in skip:
                    continue
                for w in english_words(line, here):
                    found.setdefault(w, f"{name} step {rec.number}: {line.strip()}")
    assert not found, "English in `vmtui run --lang zh`:\n" + "\n".join(
        f"{w!r}: {where[:200]}" for w, where in sorted(found.items()))
