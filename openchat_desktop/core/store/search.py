"""Full-text search over conversation titles and message text.

The FTS5 tables use the trigram tokenizer: matching is case-insensitive and by substring, so
the last (or any) word matches as a prefix ("par" finds "Paris") and Chinese needs no word
breaks. Trigram cannot match fewer than three characters, so shorter words ("巴黎", "ok") are
matched with LIKE instead. Every user word is quoted, so FTS syntax in a query is plain text.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from openchat_desktop.core.store.records import SearchHit

_MAX_TERMS = 16
_SNIPPET_BEFORE = 40
_SNIPPET_AFTER = 100


def split_terms(query: str) -> list[str]:
    """The distinct whitespace-separated words of ``query``, longest first."""
    terms = list(dict.fromkeys(query.split()))[:_MAX_TERMS]
    return sorted(terms, key=len, reverse=True)


def fts_expression(terms: list[str]) -> str | None:
    """An FTS5 query requiring every word of three characters or more, each quoted."""
    quoted = ['"' + term.replace('"', '""') + '"' for term in terms if len(term) >= 3]
    return " AND ".join(quoted) or None


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _query(fts_table: str, key: str, text: str, terms: list[str]) -> tuple[str, list[Any]]:
    """The JOIN/WHERE/ORDER tail of a query for rows (``key``, ``text``) with every word."""
    expression = fts_expression(terms)
    likes = [_like(term) for term in terms if len(term) < 3]
    where = ["c.deleted_at IS NULL"] + [f"{text} LIKE ? ESCAPE '\\'"] * len(likes)
    params: list[Any] = list(likes)
    if expression is None:
        # Nothing for the index to use: scan, newest first.
        return f"WHERE {' AND '.join(where)} ORDER BY {key} DESC LIMIT ?", params
    params.insert(0, expression)
    join = f"JOIN {fts_table} ON {fts_table}.rowid = {key} "
    return (f"{join}WHERE {fts_table} MATCH ? AND {' AND '.join(where)} "
            f"ORDER BY {fts_table}.rank LIMIT ?", params)


def _title_hits(conn: sqlite3.Connection, terms: list[str], limit: int) -> list[SearchHit]:
    tail, params = _query("titles_fts", "c.id", "c.title", terms)
    sql = f"SELECT c.id, c.title FROM conversations c {tail}"
    rows = conn.execute(sql, [*params, limit]).fetchall()
    return [SearchHit(conv_id, title, title, None) for conv_id, title in rows]


def _message_hits(conn: sqlite3.Connection, terms: list[str], limit: int) -> list[SearchHit]:
    tail, params = _query("messages_fts", "m.id", "m.content", terms)
    sql = ("SELECT m.id, m.conversation_id, c.title, m.content FROM messages m "
           f"JOIN conversations c ON c.id = m.conversation_id {tail}")
    rows = conn.execute(sql, [*params, limit]).fetchall()
    return [SearchHit(conv_id, title, snippet(content, terms), message_id)
            for message_id, conv_id, title, content in rows]


def search(conn: sqlite3.Connection, query: str, limit: int) -> list[SearchHit]:
    """Title hits first, then message hits, at most ``limit`` in all."""
    terms = split_terms(query)
    if not terms or limit <= 0:
        return []
    hits = _title_hits(conn, terms, limit)
    if len(hits) < limit:
        hits += _message_hits(conn, terms, limit - len(hits))
    return hits


def snippet(text: str, terms: list[str]) -> str:
    """A one-line excerpt of ``text`` around the first place a search word occurs."""
    match = None
    for term in terms:  # longest first: the most specific word anchors the excerpt
        match = re.search(re.escape(term), text, re.IGNORECASE)
        if match:
            break
    start = max(0, match.start() - _SNIPPET_BEFORE) if match else 0
    end = min(len(text), (match.end() if match else 0) + _SNIPPET_AFTER)
    excerpt = " ".join(text[start:end].split())
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return f"{prefix}{excerpt}{suffix}"
