"""The words of the UI's own chrome in English and Chinese (narration comes from scenarios)."""

from __future__ import annotations

import functools
import re

from rich.text import Text

from vmtui.view.i18n_zh import LINE_RULES, PHRASES, TEMPLATES

WORDS: dict[str, dict[str, str]] = {
    "addr": {"en": "Address space", "zh": "地址空间"},
    "vmas": {"en": "VMAs", "zh": "VMA 列表"},
    "tree": {"en": "VMA rbtree", "zh": "VMA 红黑树"},
    "detail": {"en": "vm_area_struct", "zh": "vm_area_struct"},
    "walk": {"en": "Page-table walk", "zh": "页表遍历"},
    "tlb": {"en": "TLB", "zh": "TLB"},
    "phys": {"en": "Physical memory", "zh": "物理内存"},
    "reclaim": {"en": "Reclaim & swap", "zh": "回收与交换"},
    "narration": {"en": "What happened", "zh": "发生了什么"},
    "calls": {"en": "Kernel call chain", "zh": "内核调用链"},
    "vmstat": {"en": "/proc/vmstat", "zh": "/proc/vmstat"},
    "step": {"en": "step", "zh": "步骤"},
    "start": {"en": "Before the first step: n (or →) runs it, ? lists every key.",
              "zh": "第一步之前：按 n（或 →）执行，按 ? 查看所有按键。"},
    "end_short": {"en": "end · b back · R restart · o open",
                  "zh": "结束 · b 后退 · R 重来 · o 打开"},
    "end": {"en": "End of the scenario: b goes back, R restarts, o opens another.",
            "zh": "场景结束：b 后退，R 重新开始，o 打开其他场景。"},
    "next": {"en": "next", "zh": "下一步"},
    "predict": {"en": "Predict: what will this step do? Press space to reveal.",
                "zh": "预测：这一步会发生什么？按空格揭晓。"},
    "no_walk": {"en": "No memory access yet: a read, write, exec or walk step shows the "
                      "page-table walk here.",
                "zh": "还没有内存访问：read、write、exec 或 walk 步骤会在这里显示页表遍历。"},
    "no_select": {"en": "No VMA selected: pick one in the VMA list (Enter or a click).",
                  "zh": "未选择 VMA：在 VMA 列表中选择（回车或点击）。"},
    "no_vma_kernel": {"en": "{addr} is in the kernel half: no VMA of the process covers "
                            "it; init_mm's page tables map it.",
                      "zh": "{addr} 在内核空间：进程没有 VMA 覆盖它，由 init_mm 的页表映射。"},
    "no_vma_gap": {"en": "No VMA covers {addr}: an access there is SIGSEGV (SEGV_MAPERR).",
                   "zh": "没有 VMA 覆盖 {addr}：访问它会触发 SIGSEGV（SEGV_MAPERR）。"},
    "no_events": {"en": "This step called no kernel function (or there is no step yet).",
                  "zh": "这一步没有调用内核函数（或还没有执行步骤）。"},
    "no_process": {"en": "No live process: the last one exited.",
                   "zh": "没有存活的进程：最后一个已退出。"},
    "waiting": {"en": "waiting for the engine...", "zh": "等待引擎……"},
    "running": {"en": "running", "zh": "运行中"},
    "paused": {"en": "paused", "zh": "暂停"},
    "confirm_discard": {"en": "Opening another scenario discards the {n} step(s) typed at "
                              "the command line. Open anyway?",
                        "zh": "打开其他场景会丢弃在命令行输入的 {n} 个步骤。仍要打开吗？"},
    "saved": {"en": "saved", "zh": "已保存"},
    "walk_dead": {"en": "The last walk went through the page tables of pid {pid}, which has "
                        "ended ({how}): exit_mmap() freed them, so there is no PTE to show.",
                  "zh": "上一次遍历经过的是进程 {pid} 的页表，该进程已结束（{how}）："
                        "exit_mmap() 已释放这些页表，没有可显示的 PTE。"},
    "no_live": {"en": "no live process", "zh": "没有存活的进程"},
    "real_process": {"en": "real process, read-only", "zh": "真实进程，只读"},
    "processes_v": {"en": "({n} processes, v cycles)", "zh": "（{n} 个进程，按 v 切换）"},
    "progress_free": {"en": "{bar} {pct}% · free {free:,} pages",
                      "zh": "{bar} {pct}% · 空闲 {free:,} 页"},
    "more_commands": {"en": "(+{n:,} more)", "zh": "（另有 {n:,} 条）"},
    "speed": {"en": "one step every {s} s", "zh": "每 {s} 秒一步"},
    "one_process": {"en": "only one process is running", "zh": "只有一个进程在运行"},
    "sent": {"en": "sent {name} to the browser", "zh": "已把 {name} 发送到浏览器"},
    "cannot_save": {"en": "cannot save in {folder}: {why}", "zh": "无法保存到 {folder}：{why}"},
    "goto": {"en": "Go to step (0-{total}), now at {now}:",
             "zh": "跳到第几步（0-{total}），现在是第 {now} 步："},
    "confirm_keys": {"en": "y / Enter: yes    n / Esc: no", "zh": "y / 回车：是    n / Esc：否"},
    "cmd_placeholder": {"en": ": type a command, e.g. buf = mmap 1M rw private,anon  "
                              "(Enter runs it, Esc leaves)",
                        "zh": "：输入命令，例如 buf = mmap 1M rw private,anon"
                              "（回车执行，Esc 离开）"},
    "column": {"en": "column {col}: {msg}", "zh": "第 {col} 列：{msg}"},
    "run_failed": {"en": "vmtui run: {n} step(s) did not give what `expect` says",
                   "zh": "vmtui run：有 {n} 步的结果与 `expect` 不符"},
    "slides_keys": {"en": "→ / space: next · ←: back · Home / End: first / last",
                    "zh": "→ / 空格：下一张 · ←：上一张 · Home / End：第一张 / 最后一张"},
    "lab_title": {"en": "OSTEP lab: pick an exercise or paste a homework command line · "
                        "Esc closes",
                  "zh": "OSTEP 实验：选择一个练习或粘贴作业命令行 · Esc 关闭"},
    "lab_command_hint": {"en": "a homework command line, e.g. ./paging-policy.py -s 3 -p LRU",
                         "zh": "作业命令行，例如 ./paging-policy.py -s 3 -p LRU"},
    "lab_pick": {"en": "Choose an exercise on the left (Enter), or type a command line above.",
                 "zh": "在左侧选择一个练习（回车），或在上方输入命令行。"},
    "lab_guess_hint": {"en": "your answer (hit/miss [victim], a PA in hex, fault, -1...); Enter",
                       "zh": "你的答案（hit/miss [被换出页]、十六进制物理地址、fault、-1……）"
                             "；回车"},
    "lab_question": {"en": "Question {k}/{n}: {prompt}", "zh": "第 {k}/{n} 题：{prompt}"},
    "lab_right": {"en": "Right: {answer}", "zh": "正确：{answer}"},
    "lab_wrong": {"en": "Not quite. The answer: {answer}", "zh": "不对。答案是：{answer}"},
    "lab_score": {"en": "score {right}/{total}", "zh": "得分 {right}/{total}"},
    "lab_next": {"en": "Enter: next question", "zh": "回车：下一题"},
    "lab_done": {"en": "Done: {right} of {total} right. Pick another exercise.",
                 "zh": "完成：{total} 题答对 {right} 题。再选一个练习吧。"},
    "lab_bad": {"en": "cannot run that", "zh": "无法运行"},
    "lab_memory": {"en": "memory", "zh": "内存"},
    "lab_evicted": {"en": "evicted", "zh": "换出"},
    "lab_hit": {"en": "hit", "zh": "命中"},
    "lab_fault": {"en": "fault", "zh": "缺页/越界"},
    "lab_free_list": {"en": "free list", "zh": "空闲链表"},
}


# ---- what a step changed: the frame map, ghost rows, before -> after, the diff view
WORDS.update({
    "nodes": {"en": "node(s)", "zh": "个节点"},
    "free_w": {"en": "free", "zh": "空闲"},
    "phys_host": {"en": "A real process, read from /proc: its physical frames are not "
                        "shown here (see `vmtui host` for the zones).",
                  "zh": "这是从 /proc 读取的真实进程：这里不显示它的物理页框"
                        "（各个 zone 见 `vmtui host`）。"},
    "fm_unknown": {"en": "Frame owners are not read at every step on a machine this big: "
                         "f shows the zones.",
                   "zh": "机器这么大时不在每一步读取页框的归属：按 f 查看各个 zone。"},
    "fm_frames": {"en": "frames not shown", "zh": "个页框未显示"},
    "fm_more_rows": {"en": "more rows with frames of interest", "zh": "行相关页框未显示"},
    "fm_zoomed": {"en": "1 glyph = 1 frame, zoomed", "zh": "1 字符 = 1 页框，已放大"},
    "fm_all": {"en": "1 glyph = 1 frame", "zh": "1 字符 = 1 页框"},
    "fm_this_step": {"en": "this step", "zh": "本步"},
    "vma_removed": {"en": "(removed)", "zh": "（已删除）"},
    "vma_merged": {"en": "(merged)", "zh": "（已合并）"},
    "vma_split": {"en": "(split)", "zh": "（已拆分）"},
    "vma_changed": {"en": "(changed)", "zh": "（已改变）"},
    "walk_host": {"en": "A real process, read from /proc: no page-table walk to show "
                        "(vmtui reads its VMAs, not its page tables).",
                  "zh": "这是从 /proc 读取的真实进程：没有页表遍历可显示"
                        "（vmtui 读取它的 VMA，而不是页表）。"},
    "pte_changed": {"en": "PTEs changed", "zh": "改变的 PTE"},
    "diff_no_mark": {"en": "No step is marked: m marks the step shown, d then compares it "
                           "with the step shown.",
                     "zh": "还没有标记步骤：按 m 标记当前步骤，再按 d 与当前步骤比较。"},
    "diff_too_big": {"en": "This machine is too big to compare every VMA, PTE and frame at a "
                           "key press: vmtui diff SCENARIO A B compares any two steps.",
                     "zh": "这台机器太大，无法在按键时比较每个 VMA、PTE 和页框："
                           "vmtui diff SCENARIO A B 可以比较任意两步。"},
    "diff_title": {"en": "What changed between the marked step and this one",
                   "zh": "标记的步骤与当前步骤之间的变化"},
    "diff_keys": {"en": "Esc or d closes", "zh": "Esc 或 d 关闭"},
    "marked": {"en": "marked step {n}: go to another step and press d",
               "zh": "已标记第 {n} 步：转到另一步再按 d"},
    "mark_short": {"en": "mark", "zh": "标记"},
    "role_parent": {"en": "(parent)", "zh": "（父）"},
    "role_child": {"en": "(child)", "zh": "（子）"},
    "pte_more": {"en": "more changed PTEs (vmtui diff lists them)",
                 "zh": "个改变的 PTE 未显示（vmtui diff 会全部列出）"},
})
# two kernels, one scenario (vmtui/view/kdiff.py: `vmtui run --kernel A,B`, the `k` key)
WORDS.update({
    "kd_head": {"en": "{name}: Linux {a} and Linux {b}, step by step ({n} steps)",
                "zh": "{name}：Linux {a} 与 Linux {b}，逐步比较（共 {n} 步）"},
    "kd_same_one": {"en": "step {n}: the same on both kernels",
                    "zh": "第 {n} 步：两个内核相同"},
    "kd_same_run": {"en": "steps {a}-{b}: the same on both kernels",
                    "zh": "第 {a}-{b} 步：两个内核相同"},
    "kd_still": {"en": " (the maps of pid {pids} still differ as before)",
                 "zh": "（pid {pids} 的 maps 仍与之前一样不同）"},
    "kd_step": {"en": "step {n} [pid {pid}] {do}", "zh": "第 {n} 步 [pid {pid}] {do}"},
    "kd_result": {"en": "result", "zh": "结果"},
    "kd_output": {"en": "output", "zh": "输出"},
    "kd_faults": {"en": "faults", "zh": "缺页"},
    "kd_counters": {"en": "counters", "zh": "计数器"},
    "kd_maps": {"en": "maps", "zh": "maps"},
    "kd_stopped": {"en": "stopped", "zh": "中止"},
    "kd_minor_major": {"en": "{min} minor, {maj} major", "zh": "次缺页 {min}，主缺页 {maj}"},
    "kd_no_process": {"en": "no such process", "zh": "没有这个进程"},
    "kd_again": {"en": "pid {pid}: the same on both kernels again",
                 "zh": "pid {pid}：两个内核又相同了"},
    "kd_kind_added": {"en": "only on {b}", "zh": "只有 {b} 有"},
    "kd_kind_removed": {"en": "only on {a}", "zh": "只有 {a} 有"},
    "kd_kind_split": {"en": "one VMA on {a}, several on {b}",
                      "zh": "{a} 上是一个 VMA，{b} 上是多个"},
    "kd_kind_merged": {"en": "several VMAs on {a}, one on {b}",
                       "zh": "{a} 上是多个 VMA，{b} 上合并为一个"},
    "kd_kind_changed": {"en": "different", "zh": "不同"},
    "kd_more": {"en": "… {n} more lines", "zh": "… 另有 {n} 行"},
    "kd_total_same": {"en": "the two kernels agree at every step",
                      "zh": "两个内核在每一步都相同"},
    "kd_total": {"en": "the kernels differ at {k} of {n} steps: {steps}",
                 "zh": "两个内核在 {n} 步中有 {k} 步不同：{steps}"},
    "kd_part": {"en": "compared up to step {n} of {total}",
                "zh": "比较到第 {n} 步（共 {total} 步）"},
    "kd_note": {"en": "On Linux {other} this step differs: {what}",
                "zh": "在 Linux {other} 上这一步不同：{what}"},
    "kd_note_result": {"en": "the result is {there} (here {here})",
                       "zh": "结果是 {there}（这里是 {here}）"},
    "kd_note_faults": {"en": "pid {pid} takes {there} faults (here {here})",
                       "zh": "pid {pid} 发生 {there} 次缺页（这里是 {here} 次）"},
    "kd_note_counter": {"en": "{name} {there} (here {here})",
                        "zh": "{name} {there}（这里是 {here}）"},
    "kd_note_maps": {"en": "the maps of pid {pid}: {kind}", "zh": "pid {pid} 的 maps：{kind}"},
    "kd_note_output": {"en": "it prints other text", "zh": "输出的文本不同"},
    "kd_note_stopped": {"en": "the run stops: {why}", "zh": "运行中止：{why}"},
    "kd_title": {"en": "Linux {a} and Linux {b}: where this scenario differs, up to step {n}",
                 "zh": "Linux {a} 与 Linux {b}：这个场景到第 {n} 步为止的不同之处"},
    "kd_keys": {"en": "Esc or k closes (the machine now runs Linux {k})",
                "zh": "Esc 或 k 关闭（机器现在运行 Linux {k}）"},
    "kd_image": {"en": "the two kernels start with different process images: {na} VMAs on {a}, "
                       "{nb} on {b}",
                 "zh": "两个内核启动时的进程映像不同：{a} 上 {na} 个 VMA，{b} 上 {nb} 个"},
    "kd_image_part": {"en": "{label}: {a}: {pa} · {b}: {pb}",
                      "zh": "{label}：{a}：{pa} · {b}：{pb}"},
    "kd_image_only": {"en": "{label}: only on {k} ({p})", "zh": "{label}：只有 {k} 有（{p}）"},
    "kd_image_vmas": {"en": "{n} VMA(s), {size}", "zh": "{n} 个 VMA，{size}"},
    "kd_image_anon": {"en": "anonymous memory", "zh": "匿名内存"},
    "kd_image_moved": {"en": "so the scenario's mappings land elsewhere: {name} = {va} on {a}, "
                             "{vb} on {b}",
                       "zh": "所以场景的映射落在别的地址："
                             "{name} 在 {a} 上是 {va}，在 {b} 上是 {vb}"},
    "kd_image_rel": {"en": "below: addresses from the scenario's names ({name}, {name}+8K), "
                           "without the image's maps lines",
                     "zh": "下面：地址按场景中的名字给出（{name}、{name}+8K），"
                           "不列映像本身的 maps 行"},
    "kd_image_pt": {"en": "and without a page-table page one kernel needs where the other's "
                          "image had one",
                    "zh": "也不计一个内核需要、而另一个内核的映像已有的页表页"},
    "kd_switched": {"en": "now on Linux {k}, at step {n}", "zh": "现在是 Linux {k}，第 {n} 步"},
})
PHRASES.update({
    "shared by several processes": "多个进程共享", "page cache": "页缓存",
    "swap cache": "交换缓存", "reserved at boot": "启动时保留",
    "Frames/zones": "页框/区域", "Mark": "标记", "Diff": "差异", "swap": "交换",
    "Other kernel": "另一内核",
    "Re-run the scenario to this step on the other kernel (5.4 / 6.18) and list where the "
    "two runs differ (k)": "在另一个内核（5.4 / 6.18）上把场景重跑到这一步，列出两次运行的不同之处（k）",
    "re-running on the other kernel": "正在另一个内核上重跑",
    # statediff.pte_change_kind
    "new": "新建", "swap entry": "交换项", "cleared": "已清除", "swapped out": "已换出",
    "swapped in": "已换入", "new frame (copy)": "新页框（复制）",
    "write-protected": "已写保护", "made writable": "变为可写", "flags": "标志位",
})


def tr(phrase: str, lang: str) -> str:
    """`phrase` in `lang` (the phrase itself in English, or when it has no translation)."""
    return PHRASES.get(phrase, phrase) if lang == "zh" else phrase


_INNER_ONLY = ("{}, {}", "{}; {}", "{} x{}", "{} - 4 kB")
"""Templates only tried inside another template's hole: on their own they would match
/proc text and sentences they were not made for."""
_CALL = re.compile(r"[A-Za-z_][\w.]*\([^()]*\)")
"""A call as the kernel writes it (`mmap(addr=0x0, len=8192, ...)`): kept as it is."""


@functools.lru_cache(maxsize=1)
def _compiled() -> tuple[list[tuple[re.Pattern[str], str, bool, tuple[bool, ...]]],
                         re.Pattern[str] | None]:
    temps = []
    for en, zh in TEMPLATES:
        bits = re.split(r"(\{=?\})", en)
        literal = bits[0::2]
        keep = tuple(b == "{=}" for b in bits[1::2])  # {=}: a hole kept as it is (a command)
        rx = re.compile("".join(re.escape(b) if i % 2 == 0 else "(.+?)"
                                for i, b in enumerate(bits)) + r"\Z", re.S)
        temps.append((rx, zh, en in _INNER_ONLY, keep, -len("".join(literal))))
    temps.sort(key=lambda x: x[4])  # the most specific (most literal text) first
    keys = sorted(PHRASES, key=len, reverse=True)
    phrase_rx = re.compile(r"(?<![\w/.\[\-])(?:" + "|".join(re.escape(k) for k in keys) +
                           r")(?![\w/\]\-=])(?!:\S)(?!\.\w)") if keys else None
    return [(rx, zh, inner, keep) for rx, zh, inner, keep, _n in temps], phrase_rx


def phrases(text: str) -> str:
    """Every phrase of PHRASES in `text` (as whole words, not inside an identifier, a path
    or a file name) in Chinese."""
    rx = _compiled()[1]
    if rx is None or not text.strip():
        return text
    return rx.sub(lambda m: PHRASES[m.group(0)], text)


@functools.lru_cache(maxsize=8192)
def _zh(text: str, words: bool, depth: int) -> str:
    if text in PHRASES:
        return PHRASES[text]
    core = text.strip()
    if core != text and core:
        lead = text[:len(text) - len(text.lstrip())]
        trail = text[len(text.rstrip()):]
        return lead + _zh(core, words, depth) + trail
    if _CALL.fullmatch(text):
        return text
    for rx, zh, inner, keep in _compiled()[0]:
        if inner and depth == 0:
            continue
        m = rx.match(text)
        if m is not None:
            if depth > 6:
                break
            return zh.format(*(g if k else _zh(g, words, depth + 1)
                               for g, k in zip(m.groups(), keep)))
    if depth == 0:
        for rx, group in _line_rules():
            m = rx.fullmatch(text)
            if m is not None:
                return text[:m.start(group)] + _zh(m.group(group), True, 1) + text[m.end(group):]
    return phrases(text) if words else text


@functools.lru_cache(maxsize=1)
def _line_rules() -> list[tuple[re.Pattern[str], int]]:
    return [(re.compile(rx), group) for rx, group in LINE_RULES]


def translate_text(text: str, lang: str, words: bool = True) -> str:
    """vmtui's own text (an event, a result, a line of a teaching view) in `lang`.

    A text that matches a template is translated whole, its holes in turn; otherwise, with
    `words`, the phrases in it. Text that is neither (/proc text, identifiers) is returned
    as it is: with `words=False` nothing but a whole template is changed, for lines that
    may be a tool's or /proc's own output."""
    if lang != "zh" or not text:
        return text
    if "\n" in text:
        return "\n".join(translate_text(line, lang, words) for line in text.split("\n"))
    return _zh(text, words, 0)


def translate_result(result: str, lang: str) -> str:
    """A step's result line (`ok: 0x...`, `ENOMEM: why`, `SIGSEGV (code) at addr: why`)."""
    if lang != "zh":
        return result
    errno, colon, why = result.partition(": ")
    if colon and errno.isupper() and errno.isalnum():
        return f"{errno}：{translate_text(why, lang)}"
    return translate_text(result, lang)


def localize(line: Text, lang: str) -> Text:
    """A pane's line in `lang`: each run of one style translated on its own, its style
    kept (identifiers, addresses and paths are left alone by `phrases`)."""
    if lang != "zh" or not line.plain.strip():
        return line
    cuts = sorted({0, len(line.plain), *(s.start for s in line.spans),
                   *(s.end for s in line.spans)})
    out = Text(style=line.style, justify=line.justify, overflow=line.overflow,
               no_wrap=line.no_wrap, end=line.end)
    for piece in line.divide(cuts[1:-1]) if len(cuts) > 2 else [line]:
        plain = piece.plain
        if not plain:
            continue
        new = translate_text(plain, lang)
        part = Text(new, style=piece.style)
        for span in piece.spans:
            part.stylize(span.style, 0, len(new))
        out.append_text(part)
    return out


def t(key: str, lang: str) -> str:
    """The word for `key` in `lang`, English as the fallback."""
    w = WORDS.get(key, {})
    return w.get(lang) or w.get("en") or key


def human(n_bytes: int) -> str:
    """A size the way a lecturer says it: 4K, 1.5M, 128T."""
    units = ("", "K", "M", "G", "T", "P", "E")
    v = float(n_bytes)
    i = 0
    while v >= 1024 and i < len(units) - 1:
        v /= 1024
        i += 1
    if i == 0:
        return f"{n_bytes}B"
    return f"{v:.0f}{units[i]}" if v >= 10 or v == int(v) else f"{v:.1f}{units[i]}"
