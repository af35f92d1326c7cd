"""sysctl -w for the vm.* keys (kernel/sysctl.c): one table of limits (include/settings.py)
checks the value, as proc_dointvec_minmax() does, then what depends on it is recomputed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vmtui.engine.include.errors import KernelError
from vmtui.engine.include.mmzone import setup_per_zone_wmarks
from vmtui.engine.include.settings import SettingError, check

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine


def sysctl_set(m: Machine, key: str, value: int) -> None:
    """sysctl -w: validate, store, and recompute what depends on it."""
    if key not in m.sysctl:
        raise KernelError("EINVAL", f"unknown sysctl {key!r}; expected one of "
                          f"{', '.join(sorted(m.sysctl))}")
    try:  # proc_dointvec_minmax(): the same table as [machine] and `-m` (settings.py)
        value = check(key, value, table="sysctl", text=True, kernel=m.config.kernel)
    except SettingError as e:
        raise KernelError("EINVAL", e.msg) from None
    m.sysctl[key] = value
    if key in ("vm.min_free_kbytes", "vm.watermark_scale_factor"):
        setup_per_zone_wmarks(m.mem, m.sysctl["vm.min_free_kbytes"],
                              m.sysctl["vm.watermark_scale_factor"])
        z = [f"{zz.node.id}:{zz.name} min {zz.min_wmark()} low {zz.low_wmark()} high "
             f"{zz.high_wmark()}" for zz in m.mem.zones if zz.managed]
        m.log.emit("setup_per_zone_wmarks", "mm/page_alloc.c",
                   "watermarks recomputed (pages): " + "; ".join(z))
