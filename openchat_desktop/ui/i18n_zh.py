"""Simplified Chinese for every interface string (keys are the English source text).

Keys are the exact strings passed to ``tr``/``N_``, placeholders included; a test fails when a
string in ``ui/`` or a setting's help text has no entry here.
"""

from __future__ import annotations

from openchat_desktop.ui.i18n_zh_catalog import CATALOG_ZH
from openchat_desktop.ui.i18n_zh_docs import DOCS_ZH
from openchat_desktop.ui.i18n_zh_models import MODELS_ZH
from openchat_desktop.ui.i18n_zh_remote import REMOTE_ZH
from openchat_desktop.ui.i18n_zh_server import SERVER_ZH
from openchat_desktop.ui.i18n_zh_states import STATES_ZH
from openchat_desktop.ui.i18n_zh_thinking import THINKING_ZH

_MENUS = {
    "&File": "文件(&F)", "&Chat": "对话(&C)", "&Models": "模型(&M)",
    "&Model Manager…": "模型管理器(&M)…", "&View": "视图(&V)", "&Help": "帮助(&H)",
    "&New chat": "新建对话(&N)", "&Import conversation (JSON)…": "导入对话 (JSON)(&I)…",
    "Export as &Markdown…": "导出为 Markdown(&M)…", "Export as &JSON…": "导出为 JSON(&J)…",
    "&Settings…": "设置(&S)…", "&Quit": "退出(&Q)", "&Search chats": "搜索对话(&S)",
    "&Write a message": "输入消息(&W)", "&Regenerate reply": "重新生成回复(&R)",
    "S&top generating": "停止生成(&T)", "&Copy last answer": "复制最后一条回答(&C)",
    "Show &conversation list": "显示对话列表(&C)",
    "Show conversation &settings": "显示对话设置(&S)",
    "&About OpenChat": "关于 OpenChat(&A)", "Open &log folder": "打开日志文件夹(&L)",
}

_CHAT = {
    "Conversation": "对话", "Scroll up for older messages": "向上滚动查看更早的消息",
    "Scroll down for newer messages": "向下滚动查看更新的消息",
    "Ask anything. The model runs on this computer; nothing you write leaves it.":
        "尽管提问。模型在这台电脑上运行，你写的内容不会离开它。",
    "Message copied": "消息已复制", "Code copied": "代码已复制",
    "Message the model — Ctrl+Enter to send, Enter for a new line":
        "给模型发消息 — Ctrl+Enter 发送，Enter 换行",
    "Message the model — Enter to send, Shift+Enter for a new line":
        "给模型发消息 — Enter 发送，Shift+Enter 换行",
    "Message": "消息", "Stop": "停止", "Send": "发送", "Stop the reply": "停止回复",
    "Send message": "发送消息", "Stop the reply (Esc)": "停止回复 (Esc)",
    "You": "你", "Assistant": "助手", "System prompt": "系统提示词", "Edit": "编辑",
    "Edit this message and send it again": "编辑这条消息并重新发送", "Copy": "复制",
    "Copy this message": "复制这条消息", "Regenerate": "重新生成",
    "Write this reply again": "重新生成这条回复", "Delete": "删除",
    "Delete this message and its replies": "删除这条消息及其后续回复",
    "⚠ This reply was interrupted; the text above is what was saved.":
        "⚠ 这条回复被中断了；上面是已保存的内容。",
    "Previous version": "上一个版本", "Next version": "下一个版本",
    "Version {index} of {count}": "第 {index} 个版本，共 {count} 个",
    "unknown error": "未知错误", "⚠ The reply failed: {error}": "⚠ 回复失败：{error}",
    "Edited message": "编辑后的消息", "Cancel": "取消", "Save and send": "保存并发送",
    "Send the edited message as a new branch (Ctrl+Enter)":
        "将编辑后的消息作为新分支发送 (Ctrl+Enter)",
    "stopped": "已停止", "reached the length limit": "已达到长度上限",
    "{seconds:.2f} s to first token": "首字 {seconds:.2f} 秒", "{speed:.1f} tok/s":
        "{speed:.1f} 词元/秒", "{count} tokens": "{count} 个词元",
    "Last answer copied": "最后一条回答已复制",
}

_SIDEBAR = {
    "New chat": "新建对话", "Start a new conversation (Ctrl+N)": "开始新的对话 (Ctrl+N)",
    "Search chats (Ctrl+F)": "搜索对话 (Ctrl+F)", "Search conversations": "搜索对话",
    "Conversations": "对话列表", "Undo": "撤销", "Undo delete": "撤销删除",
    "Export as Markdown…": "导出为 Markdown…", "Export as JSON…": "导出为 JSON…",
    "Deleted “{title}”": "已删除“{title}”", "Rename": "重命名", "Unpin": "取消置顶",
    "Pin to top": "置顶", "Title matches": "标题匹配", "pinned": "已置顶",
    "Yesterday": "昨天", "1 message": "1 条消息", "{count} messages": "{count} 条消息",
}

_WINDOW = {
    "Something went wrong": "出错了", "Error message": "错误信息", "Error details": "错误详情",
    "Copy details": "复制详情", "Show details": "显示详情", "Open log folder": "打开日志文件夹",
    "Close": "关闭", "Log file: {path}": "日志文件：{path}",
    "Export conversation": "导出对话", "Import conversation": "导入对话",
    "This file is not an exported conversation.": "这个文件不是导出的对话。",
    "This file is not an exported conversation: {reason}": "这个文件不是导出的对话：{reason}",
    "Conversation settings": "对话设置",
    "Show or hide conversation settings (F9)": "显示或隐藏对话设置 (F9)",
    "Conversation title": "对话标题", "Main area": "主区域",
    "The model could not be loaded: {reason}": "无法加载模型：{reason}",
    "{name} is ready ({seconds:.1f} s)": "{name} 已就绪（{seconds:.1f} 秒）",
    "No model loaded": "未加载模型",
    "No model yet: get one in Models → Model Manager (Ctrl+Shift+M), or drop a .gguf file on "
    "the window":
        "还没有模型：在“模型 → 模型管理器”(Ctrl+Shift+M) 中获取，或把 .gguf 文件拖到窗口上",
    "Model not loaded": "模型未加载", "Model status": "模型状态",
    "Loading model": "正在加载模型", "Loading model {name}…": "正在加载模型 {name}…",
    "Model: {name}": "模型：{name}", "Device: {device}": "设备：{device}",
    "Context {used} / {size}": "上下文 {used} / {size}", "About OpenChat": "关于 OpenChat",
    "Chat with language models that run entirely on your own computer. Nothing you write "
    "leaves it.": "与完全在你自己电脑上运行的语言模型对话。你写的内容不会离开这台电脑。",
    "Conversation imported": "对话已导入",
    "The conversation could not be exported.": "无法导出对话。",
    "The conversation could not be imported.": "无法导入对话。",
    "OpenChat Desktop {version}": "OpenChat 桌面版 {version}", "Saved {path}": "已保存 {path}",
}

_SETTINGS = {
    "Model": "模型", "The model this conversation talks to": "这个对话使用的模型",
    "Browse…": "浏览…", "Choose a model file": "选择模型文件",
    "App default model": "应用默认模型", "GGUF models (*.gguf)": "GGUF 模型 (*.gguf)",
    "Checking {name}…": "正在检查 {name}…",
    "This file cannot be used as a model: {reason}": "这个文件不能用作模型：{reason}",
    "Preset": "预设", "Named sampling presets": "已命名的采样预设",
    "Choose a preset…": "选择预设…", "Apply": "应用", "Apply preset": "应用预设",
    "Save…": "保存…", "Save settings as a preset": "将设置保存为预设",
    "Delete preset": "删除预设", "Save preset": "保存预设", "Preset name:": "预设名称：",
    "Preset applied": "已应用预设", "The preset could not be saved.": "无法保存预设。",
    "Precise": "精确", "Balanced": "均衡", "Creative": "创意",
    "General": "常规", "New chats": "新对话", "Model loading": "模型加载",
    "Hugging Face": "Hugging Face", "Settings": "设置",
    "Choose the default model file": "选择默认模型文件", "OK": "确定",
    "Temperature": "温度", "Top P": "Top P", "Top K": "Top K", "Min P": "Min P",
    "Repeat penalty": "重复惩罚", "Repeat last N": "重复检查范围", "Max tokens": "最大词元数",
    "Seed": "随机种子", "Default model": "默认模型", "Context size": "上下文大小",
    "GPU layers": "GPU 层数", "CPU threads": "CPU 线程数", "Flash attention": "Flash Attention",
    "Theme": "主题", "Language": "语言", "Chat font size": "聊天字号", "Send with": "发送键",
    "Hub endpoint": "Hub 地址", "Access token": "访问令牌", "Proxy": "代理",
    "Extra model folders": "其他模型文件夹", "Random": "随机", "Model default": "模型默认",
    "All (auto)": "全部（自动）", "Auto": "自动", "Off": "关闭", "Follow system": "跟随系统",
    "Light": "浅色", "Dark": "深色", "Enter": "Enter", "Ctrl+Enter": "Ctrl+Enter",
    "This conversation": "当前对话", "Reset to defaults": "恢复默认",
    "Reset conversation settings to defaults": "将对话设置恢复为默认值",
    "Use the app's default settings for this conversation": "这个对话使用应用的默认设置",
}

# The help text of every setting (core.settings_schema), shown as tooltips.
_HELP = {
    "Randomness of the reply; 0 is greedy.": "回复的随机程度；0 表示总是选最可能的词元。",
    "Nucleus sampling: keep the smallest set of tokens whose probabilities add up to this.":
        "核采样：只保留累计概率达到该值的最少词元集合。",
    "Sample among the K most likely tokens; 0 disables.":
        "只在最可能的 K 个词元中采样；0 表示不限制。",
    "Drop tokens less likely than this fraction of the best.": "丢弃概率低于最佳词元该比例的词元。",
    "Penalty for repeating recent tokens; 1 disables.": "对重复近期词元的惩罚；1 表示不惩罚。",
    "How many recent tokens the repeat penalty looks at.": "重复惩罚检查的近期词元数。",
    "Longest reply, in tokens (the seed's --sample-len).":
        "回复的最大长度，以词元计（即 --sample-len）。",
    "Random seed; -1 picks a new one for every reply.": "随机种子；-1 表示每次回复使用新的种子。",
    "Model used when none is chosen (path or name); empty means the starter model.":
        "未选择模型时使用的模型（路径或名称）；留空表示使用入门模型。",
    "Context window in tokens; 0 means the model's own, capped at 4096.":
        "上下文窗口（词元数）；0 表示使用模型自身的大小，最多 4096。",
    "Layers to offload to the GPU; -1 means all when this build can offload, else none.":
        "卸载到 GPU 的层数；-1 表示在支持时全部卸载，否则不卸载。",
    "CPU threads; 0 means the number of physical cores.": "CPU 线程数；0 表示使用物理核心数。",
    "Use flash attention when the backend supports it.": "在后端支持时使用 Flash Attention。",
    "Precision of the context (KV) cache: q8_0 takes half the memory of f16 at practically the "
    "same quality, but a CPU reads long prompts about a third slower with it.":
        "上下文（KV）缓存的精度：q8_0 占用的内存是 f16 的一半，质量几乎相同，"
        "但在 CPU 上读取长提示词会慢约三分之一。",
    "KV cache precision": "KV 缓存精度",
    "Grow context cache": "按需扩展上下文缓存",
    "Start with a small context cache and let it grow as the conversation needs it, up to the "
    "context size (CPU only): short chats use less memory. Off reserves the whole cache when "
    "the model loads.":
        "先分配较小的上下文缓存，随对话需要逐步扩展，直到上下文大小（仅限 CPU）："
        "短对话占用更少内存。关闭后，加载模型时即预留全部缓存。",
    "System prompt for new conversations.": "新对话的系统提示词。", "Colour theme.": "颜色主题。",
    "Language of the interface.": "界面语言。",
    "Font size of the chat, in points.": "聊天文字的字号（磅）。",
    "Key that sends a message (the other adds a line).": "发送消息的按键（另一个用于换行）。",
    "Hugging Face endpoint or mirror, e.g. https://hf-mirror.com; empty means $HF_ENDPOINT or "
    "huggingface.co.": "Hugging Face 地址或镜像，例如 https://hf-mirror.com；留空表示使用 "
    "$HF_ENDPOINT 或 huggingface.co。",
    "Hugging Face access token for gated models.": "用于受限模型的 Hugging Face 访问令牌。",
    "HTTP(S) proxy for downloads, e.g. http://127.0.0.1:8080.":
        "下载使用的 HTTP(S) 代理，例如 http://127.0.0.1:8080。",
    "Folders whose GGUF files are listed and used in place.":
        "列出并直接使用其中 GGUF 文件的文件夹。",
}

ZH_CN: dict[str, str] = {**_MENUS, **_CHAT, **_SIDEBAR, **_WINDOW, **_SETTINGS, **_HELP,
                        **MODELS_ZH, **SERVER_ZH, **REMOTE_ZH, **THINKING_ZH,
                        **STATES_ZH, **CATALOG_ZH, **DOCS_ZH}
