"""Simplified Chinese for the kept conversation states (``i18n_zh.py`` merges this one into
``ZH_CN``). Keys are the English source text."""

from __future__ import annotations

STATES_ZH: dict[str, str] = {
    "Faster parallel replies (not bit-identical)": "更快的并行回答（结果不逐位相同）",
    "Let API replies answered together share one context cache: about a third more tokens per "
    "second on a CPU, but a seeded reply may then differ from the same request answered alone. "
    "Off gives each reply a cache of its own and exactly its text alone.":
        "让同时回答的 API 请求共用一个上下文缓存：在 CPU 上每秒可多生成约三分之一的词元，"
        "但指定种子的回答可能与单独回答时不同。关闭时每个回答拥有自己的缓存，"
        "结果与单独回答完全相同。",
    "API replies at once": "同时回答的 API 请求数",
    "How many API requests are answered together, decoded in one batch, each with a context "
    "cache of its own; more wait in line. 1 answers them one at a time and reserves no extra "
    "memory.":
        "同时回答多少个 API 请求：它们在同一批次中一起解码，各自拥有上下文缓存；更多的请求排队"
        "等候。设为 1 则逐个回答，不额外占用内存。",
    "Kept conversation states (MB)": "保留的对话状态（MB）",
    "Disk space for the context caches of conversations you leave, so that going back or "
    "restarting the app answers without reading the conversation again; the least recently "
    "used go first. 0 keeps them in memory only.":
        "为离开的对话保留其上下文缓存所用的磁盘空间，回到对话或重启应用后无需重新读取整个对话"
        "即可回答；最久未用的先被删除。0 表示只保留在内存中。",
    "Memory only": "仅内存",
    "Clear kept conversation states": "清除保留的对话状态",
    "Kept conversation states cleared": "已清除保留的对话状态",
}
