"""Limits that keep an untrusted chat template bounded in time, work and memory.

A GGUF file can carry any Jinja source as its chat template, so rendering one is running
someone else's program. The sandbox (see ``template_sandbox``) stops it reaching Python
internals; this module stops it from burning CPU or memory. Every hook the sandbox installs
charges the active :class:`Budget`, and the estimators here refuse an operation *before* a
single C-level call could build a huge value (``'a' * 10**9``, ``s.replace('', s)``, ...).
"""

from __future__ import annotations

import re
import string
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from jinja2.runtime import Undefined

from openchat_desktop.core.errors import TemplateError

TIME_LIMIT_S = 1.0
MAX_STEPS = 1_000_000  # loop iterations, calls, attribute lookups, filters, operators
MAX_CALL_DEPTH = 64  # macro / block / recursive-loop nesting
MAX_RANGE = 10_000
MAX_INT_ARG = 100_000  # widths, counts and sizes passed to calls and filters
MAX_INT_BITS = 10_000
MAX_NESTING = 32  # lists and dicts inside each other
OUTPUT_BASE = 1024 * 1024
OUTPUT_PER_INPUT_CHAR = 4
WORK_PER_OUTPUT_CHAR = 8  # text built along the way, as a multiple of the output cap

_ACTIVE: ContextVar[Budget | None] = ContextVar("openchat_template_budget", default=None)
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d*)(?:\.(\*|\d*))?[hlL]?(.)", re.S)


class TemplateRefused(TemplateError):
    """A template broke a limit or failed; the message is a short reason clause."""


def output_limit(input_chars: int) -> int:
    """Largest prompt a render may produce: 1 MiB plus 4 characters per input character."""
    return OUTPUT_BASE + OUTPUT_PER_INPUT_CHAR * input_chars


class Budget:
    """What one render may still spend: steps, characters built, call depth and time."""

    def __init__(self, max_output: int, time_limit: float = TIME_LIMIT_S) -> None:
        self.max_output = max_output
        self.deadline = time.monotonic() + time_limit
        self.steps_left = MAX_STEPS
        self.chars_left = WORK_PER_OUTPUT_CHAR * max_output
        self.depth = 0

    def tick(self) -> None:
        """Count one unit of work and enforce the step budget and the deadline."""
        self.steps_left -= 1
        if self.steps_left < 0:
            raise TemplateRefused("it needed too many steps")
        if time.monotonic() > self.deadline:
            raise TemplateRefused("it took too long")

    def reserve(self, chars: int) -> None:
        """Refuse, before building it, a value larger than what is left to spend."""
        if chars > self.chars_left:
            raise TemplateRefused("it built too much text")

    def charge(self, chars: int) -> None:
        """Spend ``chars`` characters (or container slots) that were just built."""
        self.reserve(chars)
        self.chars_left -= chars


def active_budget() -> Budget:
    """The budget of the render running in this thread; refuses outside a render.

    Refusing matters at compile time too: Jinja folds constant expressions while compiling,
    and a refusal there just makes it evaluate them later, inside the budget.
    """
    budget = _ACTIVE.get()
    if budget is None:
        raise TemplateRefused("it ran outside a guarded render")
    return budget


@contextmanager
def budget_scope(budget: Budget) -> Iterator[Budget]:
    """Make ``budget`` the active one for the duration of the block."""
    token = _ACTIVE.set(budget)
    try:
        yield budget
    finally:
        _ACTIVE.reset(token)


def shallow_size(value: Any) -> int:
    """Characters or slots a freshly built value occupies, ignoring what it references."""
    if isinstance(value, (str, bytes, list, tuple, dict, set, frozenset)):
        return len(value)
    return 1


def measure(value: Any, *, escaped: bool = False, indent: int = 0, limit: int = 1 << 62) -> int:
    """Upper bound on the length of ``str(value)`` (or its JSON form), refusing odd objects.

    Only plain data may be turned into text: printing a function or class would leak its
    repr, so anything else is refused. The walk stops early once ``limit`` is passed.
    """
    return _measure(value, escaped, max(indent, 0), 0, limit)


def _measure(value: Any, escaped: bool, indent: int, depth: int, limit: int) -> int:
    if isinstance(value, str):
        if not escaped:
            return len(value)
        # repr / JSON may escape each character into as many as 12.
        plain = value.isascii() and value.isprintable()
        return len(value) * (1 if plain else 12) + 2
    if isinstance(value, Undefined):
        return 9 if escaped else 0
    if value is None or isinstance(value, (bool, float)):
        return 32
    if isinstance(value, int):
        return value.bit_length() // 3 + 2
    if not isinstance(value, (list, tuple, dict)):
        raise TemplateRefused(f"it tried to print an internal {type(value).__name__} object")
    if depth >= MAX_NESTING:
        raise TemplateRefused("its data is nested too deeply")
    items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
    total = 2
    for item in items:
        total += 4 + indent * (depth + 1) + _measure(item, True, indent, depth + 1, limit)
        if total > limit:
            break
    return total


def check_int_args(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    """Refuse any integer argument big enough to be a width or count used as a weapon."""
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and abs(value) > MAX_INT_ARG:
            raise TemplateRefused(f"it passed a number larger than {MAX_INT_ARG}")


def _check_bits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise TemplateRefused("it computed a huge number")


def estimate_binop(op: str, left: Any, right: Any) -> int:
    """Upper bound on the size of ``left <op> right``; refuses huge numbers outright."""
    sequences = (str, list, tuple)
    if op == "*":
        for seq, count in ((left, right), (right, left)):
            if isinstance(seq, sequences) and isinstance(count, int):
                return len(seq) * max(count, 0)
        if isinstance(left, int) and isinstance(right, int):
            _check_bits(abs(left).bit_length() + abs(right).bit_length())
    elif op == "**":
        if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
            _check_bits(abs(left).bit_length() * right)
    elif op == "+":
        if isinstance(left, sequences) and isinstance(right, sequences):
            return len(left) + len(right)
    elif op == "%" and isinstance(left, str):
        return estimate_percent_format(left, right)
    return 1


def _width(digits: str | None) -> int:
    if not digits:
        return 0
    if digits == "*":
        raise TemplateRefused("it used a '*' width in a format string")
    if len(digits) > 6 or int(digits) > MAX_INT_ARG:
        raise TemplateRefused(f"it asked for a format width larger than {MAX_INT_ARG}")
    return int(digits)


def _largest(values: Any) -> int:
    if isinstance(values, tuple):
        return max((measure(v, escaped=True) for v in values), default=0)
    if isinstance(values, Mapping):
        return max((measure(v, escaped=True) for v in values.values()), default=0)
    return measure(values, escaped=True)


def estimate_percent_format(fmt: str, values: Any) -> int:
    """Upper bound on ``fmt % values`` (the ``%`` operator and the ``format`` filter)."""
    total, fields = len(fmt), 0
    for match in _PERCENT_SPEC.finditer(fmt):
        width, precision, conversion = match.groups()
        if conversion != "%":
            total += _width(width) + _width(precision)
            fields += 1
    return total + fields * _largest(values) if fields else total


def estimate_str_format(fmt: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> int:
    """Upper bound on ``fmt.format(*args, **kwargs)``; refuses nested width fields."""
    try:
        parsed = list(string.Formatter().parse(fmt))
    except ValueError:
        return len(fmt)  # str.format itself will reject it
    total, fields = len(fmt), 0
    for _text, name, spec, _conversion in parsed:
        if name is None:
            continue
        if spec and "{" in spec:
            raise TemplateRefused("it nested fields in a format string")
        total += sum(_width(digits) for digits in re.findall(r"\d+", spec or ""))
        fields += 1
    return total + fields * max(_largest(args), _largest(dict(kwargs)))


def _arg(args: tuple[Any, ...], kwargs: Mapping[str, Any], index: int, name: str,
         default: Any = None) -> Any:
    return args[index] if len(args) > index else kwargs.get(name, default)


def estimate_replace(text: str, old: Any, new: Any, count: Any = None) -> int:
    """Upper bound on ``text.replace(old, new, count)``."""
    if not isinstance(old, str) or not isinstance(new, str):
        return len(text)
    hits = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    return len(text) + hits * max(0, len(new) - len(old))


def estimate_str_method(name: str, text: str, args: tuple[Any, ...],
                        kwargs: Mapping[str, Any]) -> int:
    """Upper bound on calling the str method ``name`` on ``text`` (0 when it is linear)."""
    if name == "replace":
        return estimate_replace(text, _arg(args, kwargs, 0, "old"), _arg(args, kwargs, 1, "new"),
                                _arg(args, kwargs, 2, "count"))
    if name in ("center", "ljust", "rjust", "zfill"):
        width = _arg(args, kwargs, 0, "width", 0)
        return max(len(text), width if isinstance(width, int) else 0)
    if name == "expandtabs":
        size = _arg(args, kwargs, 0, "tabsize", 8)
        return len(text) + text.count("\t") * (size if isinstance(size, int) else 8)
    if name == "join" and args and isinstance(args[0], list):
        parts = args[0]
        return sum(len(p) for p in parts if isinstance(p, str)) + len(text) * len(parts)
    if name == "translate" and args and isinstance(args[0], Mapping):
        longest = max((len(v) for v in args[0].values() if isinstance(v, str)), default=1)
        return len(text) * max(longest, 1)
    if name == "format":
        return estimate_str_format(text, args, kwargs)
    if name == "format_map" and args and isinstance(args[0], Mapping):
        return estimate_str_format(text, (), args[0])
    return 0
