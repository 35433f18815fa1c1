"""Simplified Chinese for remote engines: Settings → Connections, the model picker's
connection groups and the remote marks (``i18n_zh.py`` merges this one into ``ZH_CN``). Keys
are the English source text, placeholders included."""

from __future__ import annotations

REMOTE_ZH: dict[str, str] = {
    "Connections": "连接",
    "Base URL": "基础 URL",
    "Extra headers": "额外请求头",
    "NAME=VALUE, NAME=VALUE": "名称=值, 名称=值",
    "New": "新建",
    "Save": "保存",
    "Remove": "移除",
    "Test": "测试",
    "API keys are kept in the system keychain.": "API 密钥保存在系统钥匙串中。",
    "No system keychain was found: API keys are kept in {file}, readable only by you.":
        "未找到系统钥匙串：API 密钥保存在 {file} 中，只有你可以读取。",
    "a key is stored (type to replace it)": "已保存密钥（输入新密钥以替换）",
    "none": "无",
    "Not saved.": "未保存。",
    "Saved {name}.": "已保存 {name}。",
    "Testing {name}…": "正在测试 {name}…",
    "{count} models ({names}); first token after {ttft:.2f} s.":
        "{count} 个模型（{names}）；首个词元用时 {ttft:.2f} 秒。",
    "Send conversations to another network?": "要把对话发送到其他网络吗？",
    "{host} is outside your network. Chats with its models are sent there and leave this "
    "computer. Use it?": "{host} 不在你的网络中。与其模型的对话会发送到那里并离开这台电脑。"
                         "要使用它吗？",
    "Remote: {host}": "远程：{host}",
    "Your messages are sent to {host} and answered there.":
        "你的消息会发送到 {host} 并在那里回答。",
    "Remote model": "远程模型",
    "remote: {host}": "远程：{host}",
    "This reply was computed on {host}, not on this computer: the conversation was sent "
    "there.": "这条回复是在 {host} 上生成的，而不是在这台电脑上：对话已发送到那里。",
    "{name} — remote: {host}": "{name} — 远程：{host}",
    "(not available)": "（不可用）",
    "{model} runs on {host}: your messages are sent there.":
        "{model} 运行在 {host} 上：你的消息会发送到那里。",
}
