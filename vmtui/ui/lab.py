"""LabScreen: the OSTEP homework as a guessing game (predict mode, for exercises).

Pick an exercise from the list, or type or paste a textbook command line
(`./paging-policy.py -s 3 -p LRU`, `vmtui ostep relocation -s 1`, ...). Each
question waits for a guess; Enter checks it, shows the answer with its steps
and draws the eviction, the walk or the free list; Enter again moves on.
The exercises come from `vmtui.ostep`, the same code as `vmtui ostep`.
"""

from __future__ import annotations

import shlex

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from vmtui.ostep import BadInput, Exercise, Question, build
from vmtui.view.i18n import t

PRESETS: tuple[str, ...] = (
    "paging-policy -s 0 -n 10 -p FIFO -C 3",
    "paging-policy -a 1,2,3,4,1,2,5,1,2,3,4,5 -p LRU -C 3",
    "paging-policy -s 2 -n 12 -p CLOCK -b 1 -C 3",
    "paging-linear-translate -s 1 -n 5",
    "paging-multilevel-translate -s 0 -n 5",
    "segmentation -s 0 -n 5",
    "relocation -s 0 -n 5",
    "malloc -s 0 -n 8",
)
"""Exercises offered in the list: textbook command lines without `-c`."""


def parse_command(line: str) -> tuple[str, list[str]]:
    """The script and its flags from a pasted command line: `vmtui ostep`, `python3`,
    `./` and `.py` are accepted and dropped; `-c` is dropped (the lab hides answers)."""
    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise BadInput(f"cannot split the line: {exc}") from None
    while words and words[0] in ("vmtui", "ostep", "python", "python2", "python3"):
        words = words[1:]
    if not words:
        raise BadInput("type a homework command line, e.g. paging-policy -s 1")
    script = words[0].rsplit("/", 1)[-1]
    return script, [w for w in words[1:] if w not in ("-c", "--compute", "--solve", "--json")]


def draw(q: Question, lang: str) -> Text:
    """The eviction, the walk or the free list of one answered question."""
    d = q.draw
    out = Text()
    if "memory" in d:
        out.append(f"{t('lab_memory', lang)}: ")
        for page in d["memory"]:
            style = "bold green" if page == d["page"] else ""
            out.append(f"[{page}]", style=style)
            out.append(" ")
        if d["victim"] is not None:
            out.append(f"  {t('lab_evicted', lang)}: ")
            out.append(str(d["victim"]), style="bold red strike")
        elif d["hit"]:
            out.append(f"  {t('lab_hit', lang)}", style="bold green")
    elif "levels" in d:
        for k, (name, index, entry, valid) in enumerate(d["levels"]):
            if k:
                out.append(" -> ")
            label = f"{name}[{index}] = 0x{entry:x}" if name in ("PDE", "PTE") or \
                name.startswith("L") else f"{name}: {index} / {entry}"
            out.append(label + (" ✓" if valid else " ✗"),
                       style="green" if valid else "bold red")
        if d.get("pa") is not None:
            out.append(" -> ")
            out.append(f"PA 0x{d['pa']:x}", style="bold green")
            if d.get("value") is not None:
                out.append(f" = 0x{d['value']:02x}")
        else:
            out.append(f"  {t('lab_fault', lang)}", style="bold red")
    elif "free_list" in d:
        out.append(f"{t('lab_free_list', lang)}: ")
        for addr, size in d["free_list"]:
            taken = d.get("block") is not None and addr == d["block"] + d.get("size", 0)
            out.append(f"[{addr}:{size}]", style="cyan" if not taken else "bold cyan")
            out.append(" ")
        if not d["free_list"]:
            out.append("(empty)")
    return out


class LabScreen(Screen[None]):
    """Pick an exercise, guess each answer, see it drawn."""

    DEFAULT_CSS = """
    LabScreen { layout: vertical; }
    LabScreen #lab-title { text-style: bold; padding: 0 1; }
    LabScreen #lab-top { height: 1fr; }
    LabScreen #lab-presets { width: 46; border: round $accent; }
    LabScreen #lab-right { width: 1fr; }
    LabScreen #lab-setup-box { height: 1fr; border: round $accent; overflow-x: auto; }
    LabScreen #lab-setup { width: auto; }
    LabScreen #lab-question { padding: 0 1; text-style: bold; }
    LabScreen #lab-verdict, LabScreen #lab-drawing, LabScreen #lab-steps,
    LabScreen #lab-score { padding: 0 1; height: auto; }
    """
    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, lang: str = "en", command: str | None = None) -> None:
        super().__init__()
        self.lang = lang
        self.first = command
        self.exercise: Exercise | None = None
        self.index = 0
        self.revealed = False
        self.right = 0
        self.answered = 0

    def compose(self) -> ComposeResult:
        lang = self.lang
        yield Label(t("lab_title", lang), id="lab-title")
        with Horizontal(id="lab-top"):
            yield OptionList(*[Option(p, id=f"preset-{i}") for i, p in enumerate(PRESETS)],
                             id="lab-presets")
            with Vertical(id="lab-right"):
                yield Input(placeholder=t("lab_command_hint", lang), id="lab-command")
                with VerticalScroll(id="lab-setup-box"):
                    yield Static(t("lab_pick", lang), id="lab-setup")
        yield Static("", id="lab-question")
        yield Input(placeholder=t("lab_guess_hint", lang), id="lab-guess", disabled=True)
        yield Static("", id="lab-verdict")
        yield Static("", id="lab-steps")
        yield Static("", id="lab-drawing")
        yield Static("", id="lab-score")

    def on_mount(self) -> None:
        if self.first:
            self.load(self.first)
        else:
            self.query_one("#lab-presets", OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        line = PRESETS[int(str(event.option.id).split("-")[1])]
        self.query_one("#lab-command", Input).value = line
        self.load(line)

    def load(self, line: str) -> bool:
        """Build the exercise of `line`; on a mistake say what is wrong and keep the old one."""
        try:
            script, flags = parse_command(line)
            ex, _, _ = build(script, flags)
        except BadInput as exc:
            self._say("#lab-verdict", Text(f"{t('lab_bad', self.lang)}: {exc}", style="bold red"))
            return False
        except SystemExit:  # -h
            return False
        self.exercise, self.index, self.right, self.answered = ex, 0, 0, 0
        self.query_one("#lab-setup", Static).update(
            Text("\n".join([ex.title, *ex.notes, "", *ex.setup, "", ex.ask]), no_wrap=True))
        for sel in ("#lab-verdict", "#lab-steps", "#lab-drawing", "#lab-score"):
            self._say(sel, Text(""))
        self._ask()
        return True

    def _say(self, selector: str, text: Text) -> None:
        self.query_one(selector, Static).update(text)

    def _ask(self) -> None:
        ex = self.exercise
        guess = self.query_one("#lab-guess", Input)
        self.revealed = False
        if ex is None or self.index >= len(ex.questions):
            done = t("lab_done", self.lang).format(right=self.right, total=self.answered)
            self._say("#lab-question", Text(done))
            guess.disabled = True
            return
        q = ex.questions[self.index]
        self._say("#lab-question", Text(t("lab_question", self.lang).format(
            k=self.index + 1, n=len(ex.questions), prompt=q.prompt)))
        guess.disabled = False
        guess.value = ""
        guess.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "lab-command":
            self.load(event.value)
            return
        ex = self.exercise
        if ex is None or self.index >= len(ex.questions):
            return
        if self.revealed:
            self.index += 1
            self._ask()
            return
        if not event.value.strip():
            return
        q = ex.questions[self.index]
        ok = q.check(event.value)
        self.answered += 1
        self.right += ok
        self.revealed = True
        verdict = t("lab_right" if ok else "lab_wrong", self.lang).format(answer=q.answer)
        self._say("#lab-verdict", Text(verdict, style="bold green" if ok else "bold red"))
        self._say("#lab-steps", Text("\n".join(q.steps)))
        self._say("#lab-drawing", draw(q, self.lang))
        self._say("#lab-score", Text(t("lab_score", self.lang).format(
            right=self.right, total=self.answered) + " · " + t("lab_next", self.lang)))

    def action_close(self) -> None:
        self.app.pop_screen()
