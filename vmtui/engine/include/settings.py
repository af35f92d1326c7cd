"""Every machine key and sysctl with its type and allowed range: the one owner of these rules.

The `[machine]` table of a scenario (MachineConfig.from_dict), `vmtui run -m KEY=VALUE`
and the `sysctl` command all validate through `check()`, so a value one of them accepts
the others accept too. Ranges of the vm.* sysctls follow Linux 5.4's `vm_table` in
kernel/sysctl.c (proc_dointvec_minmax with its extra1/extra2 bounds); keys the kernel
has no sysctl for (ram, cpus, tlb_entries, ...) carry the limits of what vmtui simulates.

State layer: imports nothing from the rest of vmtui.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

INT_MAX = (1 << 31) - 1
INT_MIN = -(1 << 31)
UINT_MAX = (1 << 32) - 1
ULONG_MAX = (1 << 64) - 1

SIZE_UNITS = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_HEX = re.compile(r"0[xX][0-9a-fA-F]+\Z")
_DEC = re.compile(r"[0-9]+\Z")


def parse_size(text: str | int, signed: bool = False) -> int:
    """A SIZE of COMMANDS.md (4096, 4K, 1M, 2G, 0x2000; K/M/G/T are powers of 1024) in
    bytes, with a leading sign when `signed`; ValueError saying what is wrong if not one.

    Digits are ASCII only: `int()` would also take other scripts' digits (٨, ²)."""
    if isinstance(text, int):
        return text
    s = text.strip()
    neg = False
    if signed and s[:1] in ("+", "-"):
        neg = s[0] == "-"
        s = s[1:]
    expected = "expected a number like 4096, 4K, 1M, 2G or 0x2000"
    if s[:2].lower() == "0x":
        if not _HEX.match(s):
            raise ValueError(f"bad size {text!r}: {expected}")
        val = int(s, 16)
    else:
        mult = 1
        if s and s[-1].upper() in SIZE_UNITS:
            mult = SIZE_UNITS[s[-1].upper()]
            s = s[:-1]
        if not _DEC.match(s):
            unit = s[-1:] if s and not ("0" <= s[-1] <= "9") else ""
            why = f" ({unit!r} is not a unit: use K, M, G or T)" if unit and len(s) > 1 and \
                _DEC.match(s[:-1]) else ""
            raise ValueError(f"bad size {text!r}{why}: {expected}")
        val = int(s) * mult
    if val >= 1 << 64:
        raise ValueError(f"size {text!r} does not fit in 64 bits")
    return -val if neg else val


def parse_int(text: str) -> int:
    """A whole number in ASCII digits: 42, -7, 0x1f; ValueError if not one."""
    s = text.strip()
    neg = s[:1] == "-"
    if s[:1] in ("+", "-"):
        s = s[1:]
    if _HEX.match(s):
        val = int(s, 16)
    elif _DEC.match(s):
        val = int(s, 10)
    else:
        raise ValueError(f"{text!r} is not a whole number")
    return -val if neg else val


class SettingError(ValueError):
    """A value a setting does not allow: `key` (e.g. "ram", "node[1].cpus") and why."""

    def __init__(self, key: str, msg: str, table: str = "[machine]") -> None:
        super().__init__(f"{table} {key}: {msg}")
        self.key = key
        self.msg = msg
        self.table = table


@dataclass(frozen=True)
class Setting:
    """One key: its kind (int, size, bool, str, choice), limits, default and sysctl name."""

    key: str
    kind: str
    lo: int | None = None
    hi: int | None = None
    default: Any = None
    sysctl: str | None = None
    choices: tuple[str, ...] = ()
    why: str = ""
    # an upper bound that differs by kernel: ((kernel, hi), ...); `hi` is 5.4's
    hi_by_kernel: tuple[tuple[str, int], ...] = ()

    def bound(self, kernel: str | None) -> Setting:
        """This setting with the upper bound of `kernel` (itself if the bound is the same)."""
        for k, hi in self.hi_by_kernel:
            if k == kernel:
                return Setting(self.key, self.kind, self.lo, hi, self.default, self.sysctl,
                               self.choices, self.why)
        return self

    def allowed(self) -> str:
        """The allowed values, as a message shows them."""
        if self.kind == "bool":
            return "true or false"
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        if self.kind == "str":
            return "a string"
        lo = _show(self.lo, self.kind)
        hi = _show(self.hi, self.kind)
        return f"{lo}..{hi}"


def _show(v: int | None, kind: str) -> str:
    if v is None:
        return ""
    if kind == "size":
        for unit, mult in (("T", 1 << 40), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
            if v and v % mult == 0:
                return f"{v // mult}{unit}"
    return str(v)


_S = Setting
# The machine keys, then the sysctls that are not machine keys. Limits of vm.* from 5.4's
# kernel/sysctl.c vm_table; the rest are what vmtui's machine can simulate.
TABLE: tuple[Setting, ...] = (
    _S("arch", "choice", default="x86_64", choices=("x86_64", "x86_64-5level", "i386")),
    # the kernel model (vmtui/engine/kmodel.py): whose behaviour the engine follows
    _S("kernel", "choice", default="5.4", choices=("5.4", "6.18")),
    _S("ram", "size", 16 << 20, 1 << 46, "256M", why="total RAM, 16M..64T"),
    _S("nodes", "int", 1, 64, 1, why="NUMA nodes"),
    _S("cpus", "int", 1, 1024, None, why="CPUs in all"),
    _S("movable", "size", 0, 1 << 46, 0, why="ZONE_MOVABLE"),
    _S("swap", "size", 0, 1 << 44, "128M", why="swap area, 0..16T"),
    # vm.swappiness: proc_dointvec_minmax, extra1 = &zero, extra2 = &one_hundred; since 5.8
    # extra2 = SYSCTL_TWO_HUNDRED (MAX_SWAPPINESS, "mm: allow swappiness that prefers
    # reclaiming anon over the file workingset")
    _S("swappiness", "int", 0, 100, 60, "vm.swappiness", hi_by_kernel=(("6.18", 200),)),
    # CONFIG_LRU_GEN_ENABLED (6.18 only): /sys/kernel/mm/lru_gen/enabled; false keeps the
    # active/inactive lists with mainline's cost-based balance
    _S("lru_gen", "bool", default=True, why="the multi-gen LRU (kernel 6.18)"),
    # /sys/kernel/mm/lru_gen/min_ttl_ms (6.18 only): kstrtouint, msecs_to_jiffies
    _S("min_ttl_ms", "int", 0, UINT_MAX, 0, why="lru_gen thrashing protection (6.18)"),
    # vm.min_free_kbytes: min_free_kbytes_sysctl_handler, extra1 = &zero (an int)
    _S("min_free_kbytes", "int", 0, INT_MAX, None, "vm.min_free_kbytes"),
    # vm.watermark_scale_factor: extra1 = &one, extra2 = &one_thousand
    _S("watermark_scale_factor", "int", 1, 1000, 10, "vm.watermark_scale_factor"),
    # vm.overcommit_memory: extra1 = &zero, extra2 = &two
    _S("overcommit_memory", "int", 0, 2, 0, "vm.overcommit_memory"),
    # vm.max_map_count: extra1 = &zero
    _S("max_map_count", "int", 0, INT_MAX, 65530, "vm.max_map_count"),
    _S("aslr", "bool", default=False),
    _S("seed", "int", 0, ULONG_MAX, 1),
    _S("program", "str", default="/bin/demo"),
    _S("tlb_entries", "int", 1, 65536, 64, why="entries of the simulated TLB"),
    # /sys/block/vda/queue/rotational of the swap disk: a virtio disk is rotational in 5.4
    _S("swap_rotational", "bool", default=True, why="the swap area's disk spins"),
    # not a kernel knob: how many pages one command may touch before vmtui stops it
    # (vmtui/engine/arch/x86/access.py, PageBudgetExceeded); 0 is no limit
    _S("page_budget", "int", 0, 1 << 52, 1 << 20, why="pages one command may touch"),
    # sysctls only (no [machine] key)
    # vm.overcommit_ratio: overcommit_ratio_handler -> proc_dointvec (any int)
    _S("overcommit_ratio", "int", INT_MIN, INT_MAX, 50, "vm.overcommit_ratio"),
    # vm.mmap_min_addr, vm.user_reserve_kbytes, vm.admin_reserve_kbytes: proc_doulongvec_minmax
    _S("mmap_min_addr", "int", 0, ULONG_MAX, 65536, "vm.mmap_min_addr"),
    _S("user_reserve_kbytes", "int", 0, ULONG_MAX, None, "vm.user_reserve_kbytes"),
    _S("admin_reserve_kbytes", "int", 0, ULONG_MAX, None, "vm.admin_reserve_kbytes"),
    # vm.page-cluster: proc_dointvec_minmax, extra1 = SYSCTL_ZERO, no upper bound
    _S("page_cluster", "int", 0, INT_MAX, 3, "vm.page-cluster"),
)
SETTINGS: dict[str, Setting] = {s.key: s for s in TABLE}
SYSCTLS: dict[str, Setting] = {s.sysctl: s for s in TABLE if s.sysctl}
SYSCTL_ONLY = ("overcommit_ratio", "mmap_min_addr", "user_reserve_kbytes",
               "admin_reserve_kbytes", "page_cluster")
# keys of [machine]: the table's, less the sysctl-only ones, plus the structured ones
MACHINE_KEYS = frozenset({s.key for s in TABLE if s.key not in SYSCTL_ONLY} |
                         {"node", "distances"})


def _type_name(v: Any) -> str:
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, int):
        return "a number"
    if isinstance(v, float):
        return "a decimal number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "an array"
    if isinstance(v, dict):
        return "a table"
    return "a date or time"


def check(key: str, value: Any, table: str = "[machine]", text: bool = False,
          kernel: str | None = None) -> Any:
    """The value of setting `key` (a [machine] key or a sysctl name) if allowed, else
    SettingError naming the key and the allowed range. With `text`, a string value is
    read as typed on a command line (`-m aslr=true`, `sysctl vm.swappiness=10`); `kernel`
    picks the bounds of that kernel where they differ (vm.swappiness)."""
    s = SETTINGS.get(key) or SYSCTLS.get(key)
    if s is None:
        raise SettingError(key, "unknown setting", table)
    s = s.bound(kernel)
    if s.kind == "bool":
        if text and isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
            return value.lower() in ("true", "1")
        if not isinstance(value, bool):
            raise SettingError(key, f"expected true or false, not {_type_name(value)}"
                               + (f" ({value!r})" if isinstance(value, str | int) else ""),
                               table)
        return value
    if s.kind in ("str", "choice"):
        if not isinstance(value, str):
            raise SettingError(key, f"expected a string, not {_type_name(value)}", table)
        if s.kind == "choice" and value not in s.choices:
            raise SettingError(key, f"{value!r} is not {s.allowed()}", table)
        if s.kind == "str" and not value.strip():
            raise SettingError(key, "expected a non-empty string", table)
        return value
    if s.kind == "size":
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise SettingError(key, f'expected a size like "256M", not {_type_name(value)}',
                               table)
        if isinstance(value, int) and not text:
            # a bare TOML number: bytes; `ram = 5` is almost surely a slip for "5G"
            if 0 < value < 4096:
                raise SettingError(key, f'expected a size like "256M", not {value} (bytes)',
                                   table)
            n = value
        else:
            try:
                n = parse_size(value)
            except ValueError:
                raise SettingError(key, f'{value!r} is not a size: expected a size like "256M" '
                                   "(a number of bytes with K, M, G or T, or 0x...)",
                                   table) from None
    else:  # int
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise SettingError(key, f"expected a whole number, not {_type_name(value)}", table)
        if isinstance(value, str):
            try:
                n = parse_int(value)
            except ValueError:
                raise SettingError(key, f"expected a whole number, not {value!r}",
                                   table) from None
        else:
            n = value
    if (s.lo is not None and n < s.lo) or (s.hi is not None and n > s.hi):
        name = s.sysctl or key
        shown = value if isinstance(value, str) else _show(n, s.kind) if s.kind == "size" \
            else str(n)
        how = "too small" if s.lo is not None and n < s.lo else "too large"
        raise SettingError(key, f"{shown} is {how}: {name} allows {s.allowed()}", table)
    return n
