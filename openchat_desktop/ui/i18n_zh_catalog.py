"""Simplified Chinese for the 2026 catalog's capability marks and the settings panel's notes
on where each value comes from (``i18n_zh.py`` merges this one into ``ZH_CN``). Keys are the
English source text, placeholders included."""

from __future__ import annotations

CATALOG_ZH: dict[str, str] = {
    "Can do": "能力",
    "thinks": "会思考",
    "thinking on/off": "思考可开关",
    "thinking low/medium/high": "思考强度低/中/高",
    "tools": "工具调用",
    "{size} context": "{size} 上下文",
    "embeddings (local documents)": "嵌入模型（本地文档）",
    "{count} dimensions": "{count} 维",
    "temperature": "温度",
    "top-p": "top-p",
    "top-k": "top-k",
    "min-p": "min-p",
    "repeat penalty": "重复惩罚",
    "Recommended settings (used as this model's defaults): {values} — {source}":
        "推荐设置（作为此模型的默认值）：{values} — {source}",
    "app default": "应用默认值",
    "model default": "模型默认值",
    "this conversation": "本对话",
    "Recommended for {model} by its authors ({source}).":
        "{model} 的作者推荐的值（{source}）。",
}
