"""A Jinja environment fit for running chat templates found inside untrusted model files.

Rendering is done by :class:`jinja2.sandbox.ImmutableSandboxedEnvironment` (no access to
Python internals, no mutation of lists or dicts), set up the way Hugging Face ``transformers``
sets up ``apply_chat_template`` (``trim_blocks``, ``lstrip_blocks``, loop controls, the
``{% generation %}`` block, ``raise_exception``, ``strftime_now``, its ``tojson``, ``dict``
and ``namespace``), so a template renders here exactly as its authors saw it. On top of
that, every call, attribute lookup, filter, intercepted operator, loop iteration and
printed value charges the active ``Budget``: loops are counted
by rewriting the parsed template so each ``for`` iterates through a counting filter, and
everything printed (also inside macros and ``{% set %}`` blocks) goes through a metering
filter. Any failure comes out as :class:`TemplateRefused` with a one-line reason.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Generator, Iterable, Iterator
from datetime import datetime
from typing import Any, NoReturn, cast

from jinja2 import Environment, Template, nodes
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from jinja2.ext import Extension, loopcontrols
from jinja2.nodes import EvalContext
from jinja2.parser import Parser
from jinja2.runtime import Context, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace
from jinja2.visitor import NodeTransformer

from openchat_desktop.core.llm.template_limits import (
    MAX_CALL_DEPTH,
    MAX_RANGE,
    Budget,
    TemplateRefused,
    active_budget,
    budget_scope,
    check_int_args,
    estimate_binop,
    estimate_percent_format,
    estimate_replace,
    estimate_str_method,
    measure,
    output_limit,
    shallow_size,
)

_ITER, _EMIT, _CONCAT = "_openchat_iter", "_openchat_emit", "_openchat_concat"
# Filters no chat template needs that are slow or hard to bound; dropping them is cheaper
# than guarding them.
_DROPPED_FILTERS = ("wordwrap", "urlize", "pprint", "xmlattr", "random", "filesizeformat")
# Filters that only rearrange data; every other filter turns its input into text, so that
# input is measured (and refused when it is not plain data) first.
_STRUCTURAL_FILTERS = frozenset({
    "attr", "batch", "count", "d", "default", "dictsort", "first", "groupby", "items", "last",
    "length", "list", "map", "max", "min", "reject", "rejectattr", "select", "selectattr",
    "slice", "sort", "sum", "unique", "abs", "int", "float", "round", "tojson", "reverse",
})
# How many characters one input character may become.
_GROWTH = {"urlencode": 12, "e": 6, "escape": 6, "forceescape": 6}


class TemplateRaised(TemplateRefused):
    """The template itself called ``raise_exception`` (e.g. "System role not supported")."""


def _one_line(text: object, limit: int = 200) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _raise_exception(message: object) -> NoReturn:
    raise TemplateRaised(f"it reported: {_one_line(message)}")


def clock() -> datetime:
    """The time ``strftime_now`` reports; tests replace it to freeze the date."""
    return datetime.now()


def _strftime_now(fmt: str) -> str:
    return clock().strftime(str(fmt))


def _check_namespace_name(name: object) -> None:
    if isinstance(name, str) and name.startswith("_"):
        raise SecurityError(f"a namespace attribute may not start with '_' ({name!r})")


class _TemplateNamespace(Namespace):
    """``namespace()`` that refuses underscore names, as transformers' does."""

    # The odd signature is Jinja's own: it keeps ``namespace(self=...)`` working.
    def __init__(*args: Any, **kwargs: Any) -> None:
        self, rest = args[0], args[1:]
        attrs = dict(*rest, **kwargs)
        for name in attrs:
            _check_namespace_name(name)
        Namespace.__init__(self, attrs)

    def __setitem__(self, name: str, value: Any) -> None:
        _check_namespace_name(name)
        Namespace.__setitem__(self, name, value)


class _TemplateDict:
    """``dict()`` without the class's attributes, as transformers exposes it."""

    def __call__(self, *args: Any, **kwargs: Any) -> dict[Any, Any]:
        return dict(*args, **kwargs)

    def fromkeys(self, *args: Any, **kwargs: Any) -> dict[Any, Any]:
        """``dict.fromkeys``."""
        return dict.fromkeys(*args, **kwargs)


class GenerationBlock(Extension):
    """``{% generation %}…{% endgeneration %}``: marks the assistant's text for training tools.

    transformers uses it to find which tokens the assistant wrote; for a prompt it renders
    its body unchanged. The body gets its own scope, as transformers' call block gives it.
    """

    tags = {"generation"}  # noqa: RUF012 - Jinja's own class attribute

    def parse(self, parser: Parser) -> nodes.Node:
        """Parse up to ``{% endgeneration %}`` and keep the body as a scoped block."""
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        return nodes.Scope(body, lineno=lineno)


def _tojson(value: Any, ensure_ascii: bool = False, indent: int | None = None,
            separators: tuple[str, str] | None = None, sort_keys: bool = False) -> str:
    # Hugging Face's version: keeps non-ASCII text readable and accepts indent.
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent,
                      separators=separators, sort_keys=sort_keys)


def _bounded_range(*args: int) -> range:
    numbers = range(*args)
    try:
        too_long = len(numbers) > MAX_RANGE
    except OverflowError:
        too_long = True
    if too_long:
        raise TemplateRefused(f"it asked for a range of more than {MAX_RANGE} numbers")
    return numbers


def _iterate(value: Iterable[Any]) -> Iterator[Any]:
    budget = active_budget()
    for item in value:
        budget.tick()
        yield item


def _text(value: Any, budget: Budget) -> str:
    if isinstance(value, str):
        return value
    budget.reserve(measure(value, limit=budget.chars_left))
    return str(value)


def _emit(value: Any) -> str:
    budget = active_budget()
    budget.tick()
    text = _text(value, budget)
    budget.charge(len(text))
    return text


def _concat(values: list[Any]) -> str:
    budget = active_budget()
    budget.tick()
    parts = [_text(value, budget) for value in values]
    budget.charge(sum(len(part) for part in parts))
    return "".join(parts)


def _filter_estimate(name: str, value: Any, args: tuple[Any, ...],
                     kwargs: dict[str, Any], budget: Budget) -> tuple[Any, int]:
    """Return the (possibly materialised) input and an upper bound on the filter's result."""
    if name == "join":
        value = list(_iterate(value))
        sep = _text(args[0] if args else kwargs.get("d", ""), budget)
        sizes = sum(measure(v, limit=budget.chars_left) for v in value)
        return value, sizes + len(sep) * len(value)
    if name == "tojson":
        indent = args[1] if len(args) > 1 else kwargs.get("indent")
        return value, measure(value, escaped=True, indent=indent if isinstance(indent, int) else 0,
                              limit=budget.chars_left)
    if name == "sum":
        start = args[1] if len(args) > 1 else kwargs.get("start", 0)
        if not isinstance(start, (int, float)):
            raise TemplateRefused("it summed something other than numbers")
    if name in _STRUCTURAL_FILTERS:
        return value, 0
    text = _text(value, budget)
    estimate = len(text) * _GROWTH.get(name, 1)
    if name == "replace" and len(args) >= 2:
        estimate = estimate_replace(text, args[0], args[1], args[2] if len(args) > 2 else None)
    elif name in ("center", "indent"):
        width = args[0] if args else kwargs.get("width", 80 if name == "center" else 4)
        pad = width if isinstance(width, int) else len(_text(width, budget))
        lines = text.count("\n") + 1 if name == "indent" else 1
        estimate = len(text) + lines * pad
    elif name == "format":
        estimate = estimate_percent_format(text, kwargs or args)
    return value, estimate


def _guard_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a filter so it is counted, sized in advance and charged for its result."""

    @functools.wraps(func)  # copies Jinja's pass_context/pass_environment marker too
    def guarded(*args: Any, **kwargs: Any) -> Any:
        budget = active_budget()
        budget.tick()
        lead = 1 if args and isinstance(args[0], (Context, EvalContext, Environment)) else 0
        if len(args) <= lead:
            return func(*args, **kwargs)
        value, rest = args[lead], args[lead + 1 :]
        check_int_args(rest, kwargs)
        value, estimate = _filter_estimate(name, value, rest, kwargs, budget)
        budget.reserve(estimate)
        result = func(*args[:lead], value, *rest, **kwargs)
        budget.charge(shallow_size(result))
        return result

    return guarded


class _Instrument(NodeTransformer):
    """Route loops, printed values and ``~`` joins of a parsed template through meters."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = _wrap(node.iter, _ITER)
        return node

    def visit_Output(self, node: nodes.Output) -> nodes.Node:
        self.generic_visit(node)
        node.nodes = [
            _wrap(nodes.Const(child.data, lineno=child.lineno), _EMIT)
            if isinstance(child, nodes.TemplateData) else _wrap(child, _EMIT)
            for child in node.nodes
        ]
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return _wrap(nodes.List(node.nodes, lineno=node.lineno), _CONCAT)


def _wrap(node: nodes.Node, filter_name: str) -> nodes.Filter:
    return nodes.Filter(node, filter_name, [], [], None, None, lineno=node.lineno)


class GuardedEnvironment(ImmutableSandboxedEnvironment):
    """The immutable sandbox plus budget checks on every operation a template performs."""

    intercepted_binops = frozenset({"+", "*", "**", "%"})

    def __init__(self) -> None:
        # optimized=False: no constant folding at compile time, so all work is budgeted.
        super().__init__(trim_blocks=True, lstrip_blocks=True,
                         extensions=[GenerationBlock, loopcontrols],
                         optimized=False, autoescape=False, cache_size=0)
        for name in _DROPPED_FILTERS:
            self.filters.pop(name, None)
        self.filters["tojson"] = _tojson
        self.filters = {name: _guard_filter(name, f) for name, f in self.filters.items()}
        self.filters.update({_ITER: _iterate, _EMIT: _emit, _CONCAT: _concat})
        self.globals.pop("lipsum", None)
        self.globals.update(range=_bounded_range, raise_exception=_raise_exception,
                            strftime_now=_strftime_now, dict=_TemplateDict(),
                            namespace=_TemplateNamespace)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """Size an intercepted operator's result before computing it."""
        budget = active_budget()
        budget.tick()
        budget.reserve(estimate_binop(operator, left, right))
        result = super().call_binop(context, operator, left, right)
        budget.charge(shallow_size(result))
        return result

    def getattr(self, obj: Any, attribute: str) -> Any:
        """Count attribute lookups; the sandbox decides whether they are allowed."""
        active_budget().tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        """Count subscriptions; the sandbox decides whether they are allowed."""
        active_budget().tick()
        return super().getitem(obj, argument)

    def unsafe_undefined(self, obj: Any, attribute: str) -> Undefined:
        """Refuse at once: a template that probes for internals is not to be trusted."""
        raise SecurityError(f"access to {attribute!r} of a {type(obj).__name__} is unsafe")

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        """Count the call, bound its nesting and arguments, and charge for its result."""
        budget = active_budget()
        budget.tick()
        check_int_args(args, kwargs)
        target = getattr(obj, "__wrapped__", obj)  # the sandbox wraps str.format
        owner = getattr(target, "__self__", None)
        if isinstance(owner, str):
            name = getattr(target, "__name__", "")
            if name == "join" and args:
                args = (list(_iterate(args[0])), *args[1:])
            budget.reserve(estimate_str_method(name, owner, args, kwargs))
        budget.depth += 1
        try:
            if budget.depth > MAX_CALL_DEPTH:
                raise TemplateRefused("it nested calls too deeply")
            result = super().call(context, obj, *args, **kwargs)
        finally:
            budget.depth -= 1
        budget.charge(shallow_size(result))
        return result


_ENVIRONMENT = GuardedEnvironment()


def describe_failure(exc: BaseException) -> str:
    """A short reason clause for why a template failed, fit for a one-line message."""
    if isinstance(exc, TemplateRefused):
        return str(exc)
    if isinstance(exc, TemplateSyntaxError):
        return f"syntax error on line {exc.lineno}: {_one_line(exc.message, 120)}"
    if isinstance(exc, SecurityError):
        return "it tried to reach Python internals"
    if isinstance(exc, RecursionError):
        return "it recursed too deeply"
    if isinstance(exc, MemoryError):
        return "it ran out of memory"
    return f"{type(exc).__name__}: {_one_line(exc, 120)}"


@functools.lru_cache(maxsize=32)
def compile_template(source: str) -> Template:
    """Parse, instrument and compile ``source``; raises TemplateRefused when it cannot."""
    try:
        tree = _ENVIRONMENT.parse(source)
        tree = _Instrument().visit(tree)
        tree.set_environment(_ENVIRONMENT)
        return _ENVIRONMENT.from_string(tree)
    except Exception as exc:  # a hostile source can make the parser raise anything
        raise TemplateRefused(describe_failure(exc)) from None


def render_guarded(template: Template, variables: dict[str, Any], input_chars: int) -> str:
    """Render under a fresh budget, checking output size and deadline between chunks."""
    budget = Budget(output_limit(input_chars))
    parts: list[str] = []
    size = 0
    with budget_scope(budget):
        stream = cast(Generator[str, None, None], template.generate(variables))
        try:
            for chunk in stream:
                size += len(chunk)
                if size > budget.max_output:
                    raise TemplateRefused("it produced too much text")
                budget.tick()
                parts.append(chunk)
        except TemplateRefused:
            raise
        except Exception as exc:  # anything the template raised is its failure, not ours
            raise TemplateRefused(describe_failure(exc)) from None
        finally:
            stream.close()
    return "".join(parts)
