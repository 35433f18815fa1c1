"""Free text made into a safe SQLite FTS5 query, and text made ready for the FTS index.

Users type questions, not FTS syntax: every word becomes a quoted term, so quotes, ``*``,
``NEAR(``, ``AND``/``OR``/``NOT`` and punctuation are plain text and never a syntax error.
Terms are OR-joined and BM25 ranks passages with more (and rarer) terms first; common
English words are dropped so "what is the ..." does not match every passage (on a big index,
``keyword`` also leaves the collection's own common words out of the first pass).

Chinese and Japanese have no spaces between words, and FTS5's ``unicode61`` tokenizer would
take a whole sentence as one token. So the index gets a space around each ideograph or kana
(``spaced_cjk``), and a query's run of them becomes overlapping two-character phrases: the
usual bigram matching for these scripts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

MAX_TERMS = 32
_CJK_RANGES = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_CJK_CHAR = re.compile(f"[{_CJK_RANGES}]")
# A run of CJK characters, or a run of letters and digits that are not CJK.
_TOKEN = re.compile(f"(?P<cjk>[{_CJK_RANGES}]+)|(?P<word>(?:(?![{_CJK_RANGES}])[^\\W_])+)")

_STOP_WORDS_TEXT = """
a about above after again all also am an and any are as at be because been before being
between both but by can could did do does doing down during each few for from further had has
have having he her here hers him his how i if in into is it its itself just me more most my
no nor not of off on once only or other our ours out over own same she should so some such
than that the their theirs them then there these they this those through to too under until
up very was we were what when where which while who whom why will with would you your yours
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


def spaced_cjk(text: str) -> str:
    """``text`` with a space around each CJK character, so the tokenizer sees one per token."""
    if not _CJK_CHAR.search(text):
        return text
    return _CJK_CHAR.sub(r" \g<0> ", text)


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def query_terms(text: str) -> list[str]:
    """The distinct search terms of ``text``: lower-cased words without the stop words (all
    of them when every word is one) and two-character phrases of CJK runs."""
    words: list[str] = []
    cjk: list[str] = []
    for match in _TOKEN.finditer(text):
        if match.group("word"):
            words.append(match.group("word").lower())
        else:
            run = match.group("cjk")
            cjk.extend([run] if len(run) == 1 else
                       [" ".join(run[i:i + 2]) for i in range(len(run) - 1)])
    content = [word for word in words if word not in STOP_WORDS] or words
    return list(dict.fromkeys(content + cjk))[:MAX_TERMS]


def any_of(terms: Sequence[str]) -> str:
    """The FTS5 MATCH expression for chunks holding any of ``terms`` (from ``query_terms``)."""
    return " OR ".join(_quote(term) for term in terms)


def fts_match(text: str) -> str | None:
    """An FTS5 MATCH expression for free text, or None when it has no words at all."""
    terms = query_terms(text)
    return any_of(terms) if terms else None
