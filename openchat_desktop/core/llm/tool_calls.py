"""Reading a model's tool calls out of its answer text, in every common format.

- Hermes / Qwen: ``<tool_call>{"name": …, "arguments": {…}}</tool_call>`` (one or more).
- Llama 3.x: ``{"name": …, "parameters": {…}}`` (JSON tool calling), or after
  ``<|python_tag|>`` (several joined by ``;``), or a built-in call
  ``brave_search.call(query="…")``.
- Mistral: ``[TOOL_CALLS][{"name": …, "arguments": {…}, "id": …}]`` and the newer
  ``[TOOL_CALLS]name[ARGS]{…}``.
- gpt-oss: ``<|channel|>commentary to=functions.NAME … <|message|>{…}<|call|>``.
- The generic fallback: an answer that is nothing but such JSON (bare, in a list, or in a
  ```` ```json ```` fence), accepted only when the request offered tools.

The result is structured data (``ToolCall``: name, arguments as JSON text, id); markup that
could not be parsed stays answer text, so nothing is lost.
"""

from __future__ import annotations

import ast
import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

TRIGGERS = ("<tool_call>", "<|python_tag|>", "[TOOL_CALLS]", "<|channel|>commentary to=")
_HERMES = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.DOTALL)
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)
_HARMONY_CALL = re.compile(
    r"<\|channel\|>commentary\s+to=functions\.([\w.-]+)[^<]*(?:<\|constrain\|>\w+)?"
    r"\s*<\|message\|>(.*?)(?:<\|call\|>|<\|end\|>|$)", re.DOTALL)
_MISTRAL_NEW = re.compile(r"\[TOOL_CALLS\]\s*([\w.-]+)\s*\[ARGS\]", re.DOTALL)
_BUILTIN = re.compile(r"^([A-Za-z_]\w*)\.call\((.*)\)$", re.DOTALL)


@dataclass(frozen=True)
class ToolCall:
    """One call the model asked for: ``arguments`` is JSON text (as OpenAI sends it)."""

    name: str
    arguments: str
    id: str

    def to_openai(self) -> dict[str, Any]:
        """The call as an OpenAI ``tool_calls`` entry (and as templates read it back)."""
        return {"id": self.id, "type": "function",
                "function": {"name": self.name, "arguments": self.arguments}}


def new_call_id() -> str:
    return "call_" + uuid.uuid4().hex[:24]


def make_call(name: str, arguments: Any, call_id: Any = None) -> ToolCall:
    """A ``ToolCall`` whose arguments are JSON text, whatever shape they came in."""
    if isinstance(arguments, str):
        text = arguments.strip() or "{}"
    else:
        text = json.dumps({} if arguments is None else arguments, ensure_ascii=False)
    ident = call_id if isinstance(call_id, str) and call_id else new_call_id()
    return ToolCall(str(name), text, ident)


def parse_tool_calls(text: str, tools_offered: bool = False) -> tuple[str, list[ToolCall]]:
    """Split an answer into (the text that is not a call, the calls). Without any call the
    text comes back unchanged; the bare-JSON fallback is tried only if ``tools_offered``."""
    for parser in (_harmony, _hermes, _mistral, _python_tag):
        found = parser(text)
        if found is not None and found[1]:
            return found
    if tools_offered:
        calls = _json_calls(text.strip())
        if calls:
            return "", calls
    return text, []


def could_start_call(text: str, tools_offered: bool) -> bool:
    """Whether an answer beginning with ``text`` is a tool call's start (so a streaming view
    holds it back rather than show markup): a call marker, or, when tools were offered,
    JSON or a code fence."""
    head = text.lstrip()
    if any(head.startswith(t) for t in TRIGGERS):
        return True
    return tools_offered and head[:1] in ("{", "[", "`")


def _harmony(text: str) -> tuple[str, list[ToolCall]] | None:
    calls = [make_call(name, body) for name, body in _HARMONY_CALL.findall(text)]
    return (_HARMONY_CALL.sub("", text).strip(), calls) if calls else None


def _hermes(text: str) -> tuple[str, list[ToolCall]] | None:
    if "<tool_call>" not in text:
        return None
    calls: list[ToolCall] = []
    for body in _HERMES.findall(text):
        calls.extend(_json_calls(body))
    return _HERMES.sub("", text).strip(), calls


def _mistral(text: str) -> tuple[str, list[ToolCall]] | None:
    index = text.find("[TOOL_CALLS]")
    if index < 0:
        return None
    content = text[:index].strip()
    if _MISTRAL_NEW.search(text):
        return content, list(_mistral_named(text[index:]))
    return content, _json_calls(text[index + len("[TOOL_CALLS]"):].strip())


def _mistral_named(text: str) -> Iterable[ToolCall]:
    """``[TOOL_CALLS]name[ARGS]{…}`` repeated: each call's arguments are one JSON value."""
    decoder = json.JSONDecoder()
    for match in _MISTRAL_NEW.finditer(text):
        rest = text[match.end():].lstrip()
        try:
            value, _ = decoder.raw_decode(rest)
        except ValueError:
            continue
        yield make_call(match.group(1), value)


def _python_tag(text: str) -> tuple[str, list[ToolCall]] | None:
    index = text.find("<|python_tag|>")
    if index < 0:
        return None
    body = text[index + len("<|python_tag|>"):].strip()
    for end in ("<|eom_id|>", "<|eot_id|>"):
        body = body.split(end, 1)[0].strip()
    calls: list[ToolCall] = []
    for piece in _split_top_level(body, ";"):
        calls.extend(_json_calls(piece) or _builtin_call(piece))
    return text[:index].strip(), calls


def _builtin_call(text: str) -> list[ToolCall]:
    """Llama 3.1's built-in tools: ``brave_search.call(query="…")``."""
    match = _BUILTIN.match(text.strip())
    if match is None:
        return []
    try:
        call = ast.parse(f"f({match.group(2)})", mode="eval").body
    except SyntaxError:
        return []
    if not isinstance(call, ast.Call):
        return []
    try:
        arguments = {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords if kw.arg}
    except ValueError:
        return []
    return [make_call(match.group(1), arguments)]


def _json_calls(text: str) -> list[ToolCall]:
    """Calls from JSON text: one call object, a list of them, or ``{"tool_calls": […]}``."""
    fenced = _FENCE.match(text.strip())
    if fenced:
        text = fenced.group(1)
    try:
        value = json.loads(text)
    except ValueError:
        return []
    if isinstance(value, dict) and isinstance(value.get("tool_calls"), list):
        value = value["tool_calls"]
    items = value if isinstance(value, list) else [value]
    calls = [_call_from(item) for item in items]
    return [c for c in calls if c is not None] if all(calls) else []


def _call_from(item: Any) -> ToolCall | None:
    if not isinstance(item, dict):
        return None
    function = item["function"] if isinstance(item.get("function"), dict) else item
    name = function.get("name")
    if not isinstance(name, str) or not name:
        return None
    arguments = function.get("arguments", function.get("parameters", {}))
    return make_call(name, arguments, item.get("id"))


def _split_top_level(text: str, separator: str) -> list[str]:
    """``text`` split at ``separator`` outside brackets and strings."""
    pieces, depth, quote, start = [], 0, "", 0
    for index, char in enumerate(text):
        if quote:
            if char == quote and text[index - 1] != "\\":
                quote = ""
        elif char in "\"'":
            quote = char
        elif char in "{[(":
            depth += 1
        elif char in "}])":
            depth -= 1
        elif char == separator and depth == 0:
            pieces.append(text[start:index])
            start = index + 1
    pieces.append(text[start:])
    return [p.strip() for p in pieces if p.strip()]
