"""A comparison of two kernels (vmtui/scenario/compare.py) as text, --json lines and notes.

`text_lines()` is what `vmtui run --kernel A,B SCENARIO` prints and what the TUI's kernel
diff shows; `json_line()` one step of `--json`; `note()` the narration's one line "on
Linux X this step differs: ..." for a step, made from the comparison only. vmtui's own
words are in the chosen language; kernel versions, commands, maps lines, counter names
and what the kernel printed stay as they are.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any

from vmtui.view.i18n import t, translate_result

if TYPE_CHECKING:  # the TUI's narration imports this module before the engine is wanted
    from vmtui.scenario.compare import ImageDiff, KernelComparison, StepDiff

OUTPUT_LINES = 12
"""Lines of a step's differing printed text shown (the rest are counted)."""


def _ranges(numbers: list[int]) -> str:
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def _kind(kind: str, kernels: tuple[str, str], lang: str) -> str:
    return t(f"kd_kind_{kind}", lang).format(a=kernels[0], b=kernels[1])


def _faults(f: tuple[int, int], lang: str) -> str:
    return t("kd_minor_major", lang).format(min=f"{f[0]:,}", maj=f"{f[1]:,}")


def step_lines(s: StepDiff, kernels: tuple[str, str], lang: str) -> list[str]:
    """One step that differs: its head, then one block per kind of difference."""
    ka, kb = kernels
    w = max(len(ka), len(kb)) + 1
    pad = " " * 12
    out = [t("kd_step", lang).format(n=s.number, pid=s.pid, do=s.do)]
    if any(s.stopped):
        out.append(f"  {t('kd_stopped', lang):<10}{ka + ':':<{w}} "
                   f"{s.stopped[0] or translate_result(s.summaries[0], lang)}")
        out.append(f"{pad}{kb + ':':<{w}} "
                   f"{s.stopped[1] or translate_result(s.summaries[1], lang)}")
        return out
    if s.results is not None:
        out.append(f"  {t('kd_result', lang):<10}{ka + ':':<{w}} "
                   f"{translate_result(s.summaries[0], lang)}")
        out.append(f"{pad}{kb + ':':<{w}} {translate_result(s.summaries[1], lang)}")
    if s.texts is not None:
        diff = [ln for ln in difflib.unified_diff(s.texts[0].splitlines(),
                                                  s.texts[1].splitlines(), lineterm="", n=0)
                if ln[:1] in "-+" and not ln.startswith(("---", "+++"))]
        out.append(f"  {t('kd_output', lang)}")
        for ln in diff[:OUTPUT_LINES]:
            out.append(f"    {(ka if ln[0] == '-' else kb):<{w}} {ln[1:]}")
        if len(diff) > OUTPUT_LINES:
            out.append("    " + t("kd_more", lang).format(n=len(diff) - OUTPUT_LINES))
    for pid, (fa, fb) in s.faults.items():
        out.append(f"  {t('kd_faults', lang):<10}pid {pid}: {ka}: {_faults(fa, lang)} · "
                   f"{kb}: {_faults(fb, lang)}")
    for name, (da, db) in s.counters.items():
        out.append(f"  {t('kd_counters', lang):<10}{name}: {ka}: {da:+,} · {kb}: {db:+,}")
    for pid, pair in s.maps.items():
        if pair.a is None or pair.b is None:
            out.append(f"  {t('kd_maps', lang):<10}pid {pid}: "
                       f"{ka if pair.a is None else kb}: {t('kd_no_process', lang)}")
            lines = [(ka, ln) for ln in pair.a or ()] + [(kb, ln) for ln in pair.b or ()]
            out += [f"    {k:<{w}} {ln}" for k, ln in lines]
            continue
        for g in pair.new_groups():
            out.append(f"  {t('kd_maps', lang):<10}pid {pid}: {_kind(g.kind, kernels, lang)}")
            out += [f"    {ka:<{w}} {ln}" for ln in g.a]
            out += [f"    {kb:<{w}} {ln}" for ln in g.b]
    for pid in s.maps_again:
        out.append(f"  {t('kd_maps', lang):<10}" + t("kd_again", lang).format(pid=pid))
    return out


def _size(n: int) -> str:
    return f"{n >> 20}M" if n and n % (1 << 20) == 0 else f"{n >> 10}K"


def image_lines(d: ImageDiff, kernels: tuple[str, str], lang: str = "en") -> list[str]:
    """The process images' difference, told once before step 1: the VMA counts, each
    mapping whose VMAs or size differ, and where the first moved name lands."""
    ka, kb = kernels
    out = [t("kd_image", lang).format(na=d.vmas[0], nb=d.vmas[1], a=ka, b=kb)]
    for p in d.parts:
        label = p.label or t("kd_image_anon", lang)

        def vmas(x: tuple[int, int]) -> str:
            return t("kd_image_vmas", lang).format(n=x[0], size=_size(x[1]))
        if p.a[0] == 0 or p.b[0] == 0:
            k, x = (kb, p.b) if p.a[0] == 0 else (ka, p.a)
            out.append(f"  {t('kd_image_only', lang).format(label=label, k=k, p=vmas(x))}")
        else:
            out.append("  " + t("kd_image_part", lang).format(label=label, a=ka, b=kb,
                                                              pa=vmas(p.a), pb=vmas(p.b)))
    name = "c"
    if d.moved is not None:
        name, va, vb = d.moved
        out.append("  " + t("kd_image_moved", lang).format(name=name, va=hex(va), vb=hex(vb),
                                                           a=ka, b=kb))
    out.append("  " + t("kd_image_rel", lang).format(name=name))
    out.append("  " + t("kd_image_pt", lang))
    return out


def image_json(d: ImageDiff | None, kernels: tuple[str, str]) -> dict[str, Any] | None:
    """The `image` member of the first --json line (None: the same images)."""
    if d is None:
        return None
    ka, kb = kernels

    def part(x: tuple[int, int]) -> dict[str, int] | None:
        return {"vmas": x[0], "kb": x[1] >> 10} if x[0] else None
    return {
        "vmas": {ka: d.vmas[0], kb: d.vmas[1]},
        "differ": {p.label or "anonymous": {ka: part(p.a), kb: part(p.b)} for p in d.parts},
        "moved": None if d.moved is None else {
            "name": d.moved[0], ka: hex(d.moved[1]), kb: hex(d.moved[2])},
    }


def text_lines(comp: KernelComparison, lang: str = "en") -> list[str]:
    """The whole comparison: a head, the steps that differ in full, runs of steps that
    agree in one line each, and a last line naming the steps that differ."""
    ka, kb = comp.kernels
    out = [t("kd_head", lang).format(name=comp.scenario, a=ka, b=kb, n=comp.total)]
    if comp.image_diff is not None:
        out += image_lines(comp.image_diff, comp.kernels, lang)
    run: list[StepDiff] = []

    def flush() -> None:
        if not run:
            return
        first, last = run[0].number, run[-1].number
        line = (t("kd_same_one", lang).format(n=first) if first == last else
                t("kd_same_run", lang).format(a=first, b=last))
        if run[-1].maps_differ:
            line += t("kd_still", lang).format(pids=", ".join(map(str,
                                                                   run[-1].maps_differ)))
        out.append(line)
        run.clear()

    for s in comp.steps:
        if s.same:
            run.append(s)
            continue
        flush()
        out += step_lines(s, comp.kernels, lang)
    flush()
    differ = [s.number for s in comp.differing]
    if len(comp.steps) < comp.total:
        out.append(t("kd_part", lang).format(n=len(comp.steps), total=comp.total))
    out.append(t("kd_total", lang).format(k=len(differ), n=len(comp.steps),
                                          steps=_ranges(differ)) if differ else
               t("kd_total_same", lang))
    return out


def json_line(s: StepDiff, kernels: tuple[str, str]) -> dict[str, Any]:
    """One step of `vmtui run --kernel A,B --json` (docs/commands.md gives the shape)."""
    ka, kb = kernels

    def pair(x: Any, y: Any) -> dict[str, Any]:
        return {ka: x, kb: y}

    maps: dict[str, Any] = {}
    for pid, d in s.maps.items():
        if d.a is None or d.b is None:
            maps[str(pid)] = pair(None if d.a is None else list(d.a),
                                  None if d.b is None else list(d.b))
        else:
            groups = d.groups()
            maps[str(pid)] = pair([ln for g in groups for ln in g.a],
                                  [ln for g in groups for ln in g.b])
    for pid in s.maps_again:
        maps[str(pid)] = None
    out: dict[str, Any] = {
        "step": s.number, "pid": s.pid, "do": s.do, "kernels": [ka, kb], "same": s.same,
        "result": pair(*s.results) if s.results is not None else None,
        "text": pair(*s.texts) if s.texts is not None else None,
        "maps": maps,
        "maps_differ": [str(p) for p in s.maps_differ],
        "faults": {str(pid): pair({"min_flt": fa[0], "maj_flt": fa[1]},
                                  {"min_flt": fb[0], "maj_flt": fb[1]})
                   for pid, (fa, fb) in s.faults.items()},
        "counters": {k: pair(da, db) for k, (da, db) in s.counters.items()},
    }
    if any(s.stopped):
        out["stopped"] = pair(s.stopped[0] or None, s.stopped[1] or None)
    return out


def note(s: StepDiff, kernels: tuple[str, str], here: str, lang: str = "en") -> str:
    """The narration's line for a step that differs, seen from kernel `here`: what the
    other kernel does instead, taken from the comparison alone ("" when the same)."""
    if s.same or here not in kernels:
        return ""
    i = kernels.index(here)
    j = 1 - i
    other = kernels[j]
    parts: list[str] = []
    if any(s.stopped):
        why = s.stopped[j] or s.stopped[i]
        parts.append(t("kd_note_stopped", lang).format(why=why))
    if s.results is not None:
        parts.append(t("kd_note_result", lang).format(
            there=translate_result(s.summaries[j], lang),
            here=translate_result(s.summaries[i], lang)))
    for pid, f in s.faults.items():
        parts.append(t("kd_note_faults", lang).format(pid=pid, there=f"{sum(f[j]):,}",
                                                      here=f"{sum(f[i]):,}"))
    for name, d in s.counters.items():
        if name in ("pgfault", "pgmajfault") or not s.faults:
            parts.append(t("kd_note_counter", lang).format(name=name, there=f"{d[j]:+,}",
                                                           here=f"{d[i]:+,}"))
    for pid, pair in s.maps.items():
        if pair.a is None or pair.b is None:
            kind = t("kd_kind_removed" if pair.b is None else "kd_kind_added", lang).format(
                a=kernels[0], b=kernels[1])
            parts.append(t("kd_note_maps", lang).format(pid=pid, kind=kind))
            continue
        for g in pair.new_groups():  # the words name both kernels: the same from either side
            parts.append(t("kd_note_maps", lang).format(pid=pid,
                                                        kind=_kind(g.kind, kernels, lang)))
    if s.texts is not None:
        parts.append(t("kd_note_output", lang))
    sep = "；" if lang == "zh" else "; "
    return t("kd_note", lang).format(other=other, what=sep.join(parts))
