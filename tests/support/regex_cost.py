"""A step-counting model of a backtracking regular-expression engine, for cost tests.

CPython's `re` is a backtracking matcher: a pattern that can consume one run of input in
many ways (`\\d+\\.?\\d*` on a long run of digits) retries each way when the match fails
later, which costs quadratic or worse time. Wall-clock time cannot show this reliably on a
busy machine, so this module runs the same search a backtracking engine does, in Python,
and counts its steps: the count depends only on the pattern and the input, never on load.

The model compiles the parse tree CPython itself produces (`re._parser`) into a few
instructions (match one character, split, jump, assertion) and runs them depth-first,
trying the preferred branch first exactly like `re`. It covers what the app's patterns use
(literals, classes, categories, greedy and lazy repeats, groups, alternation, `^`, `$`,
`\\A`, `\\Z`, `\\b`); anything else raises `Unsupported` so a new construct is noticed, not
silently mis-modelled. It overestimates the cost of engines that never backtrack (pydantic's
Rust `regex`), which is the safe direction for a test.
"""

from __future__ import annotations

import importlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

#: CPython's own parser of `re` patterns and its operator codes (private, so untyped).
sre: Any = importlib.import_module("re._constants")
sre_parse: Any = importlib.import_module("re._parser")

Mode = Literal["search", "match", "fullmatch"]
CharTest = Callable[[str], bool]


class Unsupported(ValueError):
    """The pattern uses a construct the model does not cover."""


class BudgetExceeded(RuntimeError):
    """The match took more steps than the caller allowed: treat as super-linear."""


@dataclass
class _Char:
    test: CharTest


@dataclass
class _Split:
    preferred: int
    other: int


@dataclass
class _Jump:
    target: int


@dataclass
class _At:
    code: Any


class _Match:
    pass


_Instruction = _Char | _Split | _Jump | _At | _Match


def _category(code: Any) -> CharTest:
    tests: dict[Any, CharTest] = {
        sre.CATEGORY_DIGIT: str.isdecimal,
        sre.CATEGORY_NOT_DIGIT: _negated(str.isdecimal),
        sre.CATEGORY_SPACE: str.isspace,
        sre.CATEGORY_NOT_SPACE: _negated(str.isspace),
        sre.CATEGORY_WORD: _is_word,
        sre.CATEGORY_NOT_WORD: _negated(_is_word),
    }
    if code not in tests:
        raise Unsupported(f"category {code}")
    return tests[code]


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_" or unicodedata.category(char) == "Mn"


def _code_range(low: int, high: int) -> CharTest:
    def test(char: str) -> bool:
        return low <= ord(char) <= high

    return test


def _negated(test: CharTest) -> CharTest:
    def negated(char: str) -> bool:
        return not test(char)

    return negated


def _char_class(items: list[tuple[Any, Any]]) -> CharTest:
    negate = False
    tests: list[CharTest] = []
    for op, arg in items:
        if op is sre.NEGATE:
            negate = True
        elif op is sre.LITERAL:
            tests.append(_code_range(arg, arg))
        elif op is sre.RANGE:
            tests.append(_code_range(arg[0], arg[1]))
        elif op is sre.CATEGORY:
            tests.append(_category(arg))
        else:
            raise Unsupported(f"class item {op}")

    def any_of(char: str) -> bool:
        return any(test(char) for test in tests)

    return _negated(any_of) if negate else any_of


def _nullable(nodes: Any) -> bool:
    """Whether the sequence can match the empty string (a repeat of such a body could loop)."""
    for op, arg in nodes:
        if op in (sre.LITERAL, sre.NOT_LITERAL, sre.ANY, sre.IN):
            return False
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT) and arg[0] > 0 and not _nullable(arg[2]):
            return False
        if op is sre.SUBPATTERN and not _nullable(arg[3]):
            return False
        if op is sre.BRANCH and not any(_nullable(branch) for branch in arg[1]):
            return False
    return True


class _Compiler:
    def __init__(self) -> None:
        self.program: list[_Instruction] = []

    def emit(self, instruction: _Instruction) -> int:
        self.program.append(instruction)
        return len(self.program) - 1

    def sequence(self, nodes: Any) -> None:
        for op, arg in nodes:
            self.node(op, arg)

    def node(self, op: Any, arg: Any) -> None:
        if op is sre.LITERAL:
            self.emit(_Char(_code_range(arg, arg)))
        elif op is sre.NOT_LITERAL:
            self.emit(_Char(_negated(_code_range(arg, arg))))
        elif op is sre.ANY:
            self.emit(_Char(lambda c: c != "\n"))
        elif op is sre.IN:
            self.emit(_Char(_char_class(arg)))
        elif op is sre.CATEGORY:
            self.emit(_Char(_category(arg)))
        elif op is sre.AT:
            self.emit(_At(arg))
        elif op is sre.SUBPATTERN:
            self.sequence(arg[3])
        elif op is sre.BRANCH:
            self.branch(arg[1])
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            self.repeat(arg[0], arg[1], arg[2], greedy=op is sre.MAX_REPEAT)
        else:
            raise Unsupported(f"operator {op}")

    def branch(self, branches: list[Any]) -> None:
        jumps: list[_Jump] = []
        for index, branch in enumerate(branches):
            last = index == len(branches) - 1
            split = None if last else _Split(0, 0)
            if split is not None:
                split.preferred = self.emit(split) + 1
            self.sequence(branch)
            if not last:
                jumps.append(_Jump(0))
                self.emit(jumps[-1])
            if split is not None:
                split.other = len(self.program)
        for jump in jumps:
            jump.target = len(self.program)

    def repeat(self, low: int, high: int, body: Any, greedy: bool) -> None:
        if _nullable(body) and high > low:
            raise Unsupported("a repeated sub-pattern that can match the empty string")
        for _ in range(low):
            self.sequence(body)
        if high is sre.MAXREPEAT:
            loop = _Split(0, 0)
            start = self.emit(loop)
            self.sequence(body)
            self.emit(_Jump(start))
            self._order(loop, start + 1, len(self.program), greedy)
            return
        pending: list[_Split] = []
        for _ in range(high - low):
            optional = _Split(0, 0)
            position = self.emit(optional)
            optional.preferred = position + 1  # fixed below once the exit is known
            pending.append(optional)
            self.sequence(body)
        for optional in pending:
            self._order(optional, optional.preferred, len(self.program), greedy)

    @staticmethod
    def _order(split: _Split, enter: int, leave: int, greedy: bool) -> None:
        split.preferred, split.other = (enter, leave) if greedy else (leave, enter)


def compile_model(pattern: str | re.Pattern[str]) -> list[_Instruction]:
    """The instructions a backtracking engine would follow for `pattern`."""
    source, flags = (
        (pattern.pattern, pattern.flags)
        if isinstance(pattern, re.Pattern)
        else (
            pattern,
            0,
        )
    )
    if flags & (re.IGNORECASE | re.MULTILINE | re.DOTALL | re.VERBOSE):
        raise Unsupported(f"flags {flags}")
    compiler = _Compiler()
    compiler.sequence(sre_parse.parse(source, flags))
    compiler.emit(_Match())
    return compiler.program


def _assertion_holds(code: Any, text: str, pos: int) -> bool:
    size = len(text)
    if code in (sre.AT_BEGINNING, sre.AT_BEGINNING_STRING):
        return pos == 0
    if code is sre.AT_END:
        return pos == size or (pos == size - 1 and text[pos] == "\n")
    if code is sre.AT_END_STRING:
        return pos == size
    if code in (sre.AT_BOUNDARY, sre.AT_NON_BOUNDARY):
        before = pos > 0 and _is_word(text[pos - 1])
        after = pos < size and _is_word(text[pos])
        return (before != after) == (code is sre.AT_BOUNDARY)
    raise Unsupported(f"assertion {code}")


def count_steps(
    pattern: str | re.Pattern[str], text: str, mode: Mode, budget: int | None = None
) -> int:
    """Steps a backtracking engine takes to decide `mode` of `pattern` on `text`.

    Raises `BudgetExceeded` as soon as the count passes `budget`, so a quadratic pattern on a
    long input fails fast instead of running for minutes.
    """
    return run(pattern, text, mode, budget)[1]


def run(
    pattern: str | re.Pattern[str], text: str, mode: Mode, budget: int | None = None
) -> tuple[bool, int]:
    """Whether the model finds a match, and after how many steps (see `count_steps`)."""
    program = compile_model(pattern)
    steps = 0
    size = len(text)
    starts = range(size + 1) if mode == "search" else range(1)
    for start in starts:
        stack: list[tuple[int, int]] = [(0, start)]
        while stack:
            pc, pos = stack.pop()
            while True:
                steps += 1
                if budget is not None and steps > budget:
                    raise BudgetExceeded(f"more than {budget} steps on {size} characters")
                instruction = program[pc]
                if isinstance(instruction, _Char):
                    if pos < size and instruction.test(text[pos]):
                        pc, pos = pc + 1, pos + 1
                        continue
                    break
                if isinstance(instruction, _Split):
                    stack.append((instruction.other, pos))
                    pc = instruction.preferred
                elif isinstance(instruction, _Jump):
                    pc = instruction.target
                elif isinstance(instruction, _At):
                    if not _assertion_holds(instruction.code, text, pos):
                        break
                    pc += 1
                elif mode != "fullmatch" or pos == size:
                    return True, steps
                else:
                    break
    return False, steps


def alphabet(pattern: str | re.Pattern[str]) -> list[str]:
    """One or two characters of each kind the pattern names, plus characters it never takes.

    Inputs built from these reach every branch of the pattern: a long run of one of them,
    then another, is the usual shape of a pathological input.
    """
    source = pattern.pattern if isinstance(pattern, re.Pattern) else pattern
    found: dict[str, None] = {}

    def visit(nodes: Any) -> None:
        for op, arg in nodes:
            if op in (sre.LITERAL, sre.NOT_LITERAL):
                found[chr(arg)] = None
            elif op is sre.IN:
                for item_op, item in arg:
                    if item_op is sre.LITERAL:
                        found[chr(item)] = None
                    elif item_op is sre.RANGE:
                        found[chr(item[0])] = None
                        found[chr(item[1])] = None
                    elif item_op is sre.CATEGORY:
                        found.update(dict.fromkeys(_CATEGORY_SAMPLES.get(item, "")))
            elif op is sre.CATEGORY:
                found.update(dict.fromkeys(_CATEGORY_SAMPLES.get(arg, "")))
            elif op is sre.SUBPATTERN:
                visit(arg[3])
            elif op is sre.BRANCH:
                for branch in arg[1]:
                    visit(branch)
            elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
                visit(arg[2])

    visit(sre_parse.parse(source))
    return [*found, "!", "\x00"]


_CATEGORY_SAMPLES = {
    sre.CATEGORY_DIGIT: "1",
    sre.CATEGORY_NOT_DIGIT: "a",
    sre.CATEGORY_SPACE: " ",
    sre.CATEGORY_NOT_SPACE: "a",
    sre.CATEGORY_WORD: "a_",
    sre.CATEGORY_NOT_WORD: " ",
}


def largest_bound(pattern: str | re.Pattern[str]) -> int:
    """The largest finite upper bound of any repeat (`{0,199}` -> 199), or 0.

    Below it a bounded repeat still grows with the input; cost growth means something only
    on inputs longer than this.
    """
    source = pattern.pattern if isinstance(pattern, re.Pattern) else pattern
    largest = 0

    def visit(nodes: Any) -> None:
        nonlocal largest
        for op, arg in nodes:
            if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
                if arg[1] is not sre.MAXREPEAT:
                    largest = max(largest, arg[1])
                visit(arg[2])
            elif op is sre.SUBPATTERN:
                visit(arg[3])
            elif op is sre.BRANCH:
                for branch in arg[1]:
                    visit(branch)

    visit(sre_parse.parse(source))
    return largest
