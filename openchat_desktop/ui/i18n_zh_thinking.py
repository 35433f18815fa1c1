"""Simplified Chinese for thinking and tool calls in the chat (``i18n_zh.py`` merges this one
into ``ZH_CN``). Keys are the English source text, placeholders included."""

from __future__ import annotations

THINKING_ZH: dict[str, str] = {
    "Thinking…": "思考中…",
    "Thinking": "思考",
    "Thought for {seconds} s": "思考了 {seconds} 秒",
    "Show the thinking": "展开思考过程",
    "Hide the thinking": "收起思考过程",
    "Tool call: {name} {arguments}": "工具调用：{name} {arguments}",
    "{thinking} thinking + {answer} answer tokens":
        "{thinking} 个思考词元 + {answer} 个回答词元",
    "Show thinking open": "展开显示思考过程",
    "Show a thinking model's thinking open above its answer; off keeps it folded (a click "
    "opens it).": "在回答上方展开显示推理模型的思考过程；关闭时折叠（点击即可展开）。",
    "How much a thinking model thinks before it answers, where its template lets you "
    "choose: on or off (Qwen3, SmolLM3), low, medium or high (gpt-oss); Model default leaves "
    "it to the model.": "推理模型在回答前思考多少（在其模板允许选择时）：开或关（Qwen3、"
                        "SmolLM3），低、中或高（gpt-oss）；“模型默认”交由模型决定。",
    "On": "开启",
    "Low": "低",
    "Medium": "中",
    "High": "高",
    "Thinking for this conversation": "此对话的思考方式",
}
