"""GBNF grammars that make a reply valid JSON: any JSON object, or one matching a JSON schema.

llama.cpp samples only tokens the grammar allows, so the reply always parses. The grammar text
is built here (llama-cpp-python ships the JSON grammar and the schema converter) and handed
to the engine as ``GenerationOptions.grammar``.
"""

from __future__ import annotations

import json
from typing import Any

from llama_cpp import llama_grammar

from openchat_desktop.core.errors import OpenChatError

# A schema asking for, say, 100000 array items expands into a grammar that size; llama.cpp
# would parse it on every reply. Nothing a real schema needs comes close to this.
MAX_GRAMMAR_CHARS = 64 * 1024
# The converter recurses once per nesting level; Python's own limit would end in a traceback.
MAX_SCHEMA_DEPTH = 32
# Counts the converter spells out one rule per item: minItems 10**8 would fill the memory
# before the grammar could be measured, so they are bounded up front.
MAX_REPEAT = 1000
_REPEAT_KEYS = ("minItems", "maxItems", "minLength", "maxLength", "minProperties",
                "maxProperties")


class GrammarError(OpenChatError):
    """A JSON schema that cannot be turned into a grammar (one human line)."""


def json_object_grammar() -> str:
    """llama.cpp's grammar for one JSON object (what ``response_format: json_object`` asks)."""
    return str(llama_grammar.JSON_GBNF)


def json_schema_grammar(schema: Any) -> str:
    """A grammar for JSON matching ``schema`` (a dict). Raises ``GrammarError``."""
    if not isinstance(schema, dict):
        raise GrammarError("json_schema.schema must be a JSON object")
    if _depth(schema) > MAX_SCHEMA_DEPTH:
        raise GrammarError(f"json_schema.schema nests deeper than {MAX_SCHEMA_DEPTH} levels")
    if _largest_repeat(schema) > MAX_REPEAT:
        raise GrammarError(f"json_schema.schema asks for more than {MAX_REPEAT} repetitions "
                           f"({', '.join(_REPEAT_KEYS)})")
    try:
        grammar = llama_grammar.json_schema_to_gbnf(json.dumps(schema))
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise GrammarError(f"json_schema.schema is not supported: {_reason(exc)}") from None
    except Exception as exc:  # the converter raises bare Exception for unsupported features
        raise GrammarError(f"json_schema.schema is not supported: {_reason(exc)}") from None
    if len(grammar) > MAX_GRAMMAR_CHARS:
        raise GrammarError(f"json_schema.schema makes a grammar of {len(grammar)} characters; "
                           f"the limit is {MAX_GRAMMAR_CHARS}")
    return grammar


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_SCHEMA_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level)
    return level


def _largest_repeat(value: Any) -> float:
    if isinstance(value, list):
        return max((_largest_repeat(v) for v in value), default=0.0)
    if not isinstance(value, dict):
        return 0.0
    own = [float(v) for k, v in value.items() if k in _REPEAT_KEYS
           and isinstance(v, (int, float)) and not isinstance(v, bool)]
    nested = [_largest_repeat(v) for v in value.values()]
    return max([*own, *nested, 0.0])


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]
