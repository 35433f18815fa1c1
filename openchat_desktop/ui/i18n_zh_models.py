"""Simplified Chinese for the Model Manager, the model picker's downloads and resumed downloads.

Kept apart from ``i18n_zh`` so neither table grows past a screenful of pages; ``i18n_zh``
merges this one into ``ZH_CN``. Keys are the English source text, placeholders included.
"""

from __future__ import annotations

_WINDOW = {
    "Model Manager": "模型管理器", "Installed": "已安装", "Catalog": "模型目录",
    "Search": "搜索", "Downloads": "下载", "Downloads ({count})": "下载 ({count})",
    "Download model": "下载模型", "Download": "下载", "Not now": "暂不",
    "{name} is not installed.\n\nDownload {file} ({size}) from {repo}? You can keep chatting "
    "while it downloads; see Models → Model Manager → Downloads.":
        "{name} 尚未安装。\n\n要从 {repo} 下载 {file}（{size}）吗？下载时可以继续聊天；"
        "进度见“模型 → 模型管理器 → 下载”。",
    "Not downloaded: {reason}": "未下载：{reason}",
    "Download: {name} ({size})": "下载：{name}（{size}）",
    "1 unfinished download — open Models → Model Manager to resume":
        "有 1 个未完成的下载 — 打开“模型 → 模型管理器”继续",
    "{count} unfinished downloads — open Models → Model Manager to resume":
        "有 {count} 个未完成的下载 — 打开“模型 → 模型管理器”继续",
}

_CATALOG = {
    "Parameters": "参数量", "Quantization": "量化", "Size": "大小", "Context": "上下文",
    "Licence": "许可证", "Fit": "适配", "Description": "说明",
    "Checking this computer's memory…": "正在检查这台电脑的内存…",
    "Select a model to read about it.": "选择一个模型查看介绍。",
    "Fit is judged against {size} of GPU memory.": "适配度按 {size} 显存评估。",
    "Fit is judged against {size} of RAM; this build can use a GPU, but its memory size is "
    "unknown.": "适配度按 {size} 内存评估；此版本可以使用 GPU，但显存大小未知。",
    "Fit is judged against {size} of RAM; whether a GPU can be used is unknown.":
        "适配度按 {size} 内存评估；是否能使用 GPU 未知。",
    "Fit is judged against {size} of RAM (CPU-only build, no GPU memory used).":
        "适配度按 {size} 内存评估（仅 CPU 版本，不使用显存）。",
    "{description}\n{repo} · {file} · fit: {fit}": "{description}\n{repo} · {file} · 适配：{fit}",
    "Downloading…": "正在下载…", "fits": "合适", "tight": "勉强", "too big": "太大",
    "Should run comfortably": "应能流畅运行", "Will run, but may slow other programs":
        "能运行，但可能拖慢其他程序", "Probably too big for this computer": "对这台电脑可能太大",
}

_DOWNLOADS = {
    "File": "文件", "Progress": "进度", "Done / Total": "已完成 / 总计", "Speed": "速度",
    "Time left": "剩余时间", "State": "状态", "Queued": "排队中", "Starting…": "正在开始…",
    "Downloading": "下载中", "Retrying": "正在重试", "Verifying…": "正在校验…",
    "Paused": "已暂停", "Cancelled": "已取消", "Done": "已完成", "Failed": "失败",
    "failed": "失败", "Pause": "暂停", "Resume": "继续", "Retry": "重试", "Cancel…": "取消…",
    "No downloads yet. Download a model from the Catalog or Search tab.":
        "还没有下载。可以在“模型目录”或“搜索”页下载模型。",
    "Clear finished": "清除已结束", "Cancel download": "取消下载",
    "Stop downloading {name}?\n\nKeep the partial file to continue later (downloading it again "
    "resumes where it stopped), or delete it to free the space now.":
        "停止下载 {name} 吗？\n\n保留部分文件以便以后继续（再次下载会从中断处接着下载），"
        "或删除它以立即释放空间。",
    "Keep partial file": "保留部分文件", "Delete partial file": "删除部分文件",
    "Don't cancel": "不取消",
}

_INSTALLED = {
    "Starter model": "入门模型", "Downloaded": "已下载", "Imported": "已导入",
    "Hugging Face cache": "Hugging Face 缓存", "Extra folder": "其他文件夹", "Name": "名称",
    "Source": "来源", "Path": "路径", "Details": "详情", "Use for this chat": "用于当前对话",
    "Delete…": "删除…", "Import…": "导入…", "Add folder…": "添加文件夹…",
    "Open models folder": "打开模型文件夹",
    "Select a model and press Details.": "选择一个模型，然后点击“详情”。",
    "1 model · {used} used in the models folder ({folder})":
        "1 个模型 · 模型文件夹已用 {used}（{folder}）",
    "{count} models · {used} used in the models folder ({folder})":
        "{count} 个模型 · 模型文件夹已用 {used}（{folder}）",
    "Import GGUF models": "导入 GGUF 模型", "Add a folder of GGUF models": "添加 GGUF 模型文件夹",
    "All files (*)": "所有文件 (*)", "The starter model ships with the app": "入门模型随应用提供",
    "Delete model": "删除模型", "Forget model": "移出列表", "Forget": "移出",
    "Delete {name}?\n\nThe file ({size}) is removed from disk. You can download it again later.":
        "删除 {name} 吗？\n\n文件（{size}）将从磁盘删除。以后可以重新下载。",
    "Remove {name} from the list?\n\nIt lives outside OpenChat's models folder, so OpenChat "
    "only forgets it: the file is not deleted and stays at\n{path}":
        "把 {name} 移出列表吗？\n\n它位于 OpenChat 的模型文件夹之外，所以 OpenChat 只会忘记它："
        "文件不会被删除，仍在\n{path}",
    "Imported {name} ({size}); it is used where it is.":
        "已导入 {name}（{size}）；直接在原位置使用。",
    "Not imported: {reason}": "未导入：{reason}", "Removed {name}.": "已移除 {name}。",
    "Not removed: {reason}": "未移除：{reason}", "Reading {name}…": "正在读取 {name}…",
    "{folder} is already listed.": "{folder} 已在列表中。",
    "Models in {folder} are now listed and used in place.":
        "{folder} 中的模型已列出，并直接在原位置使用。",
    "Path: {path}": "路径：{path}",
}

_SEARCH = {
    "Choose a repository to see its files.": "选择一个仓库查看其中的文件。",
    "Search the Hub for GGUF models, e.g. qwen2.5 1.5b instruct":
        "在 Hub 上搜索 GGUF 模型，例如 qwen2.5 1.5b instruct",
    "1 GGUF file in {repo}": "{repo} 中有 1 个 GGUF 文件",
    "{count} GGUF files in {repo}": "{repo} 中有 {count} 个 GGUF 文件", "unknown": "未知",
    "(gated: needs an access token)": "（受限：需要访问令牌）",
    "Searching {endpoint}…": "正在搜索 {endpoint}…", "Files in {repo}": "{repo} 中的文件",
    "Listing the files of {repo}…": "正在列出 {repo} 的文件…",
    "No GGUF models found for “{query}”.": "没有找到与“{query}”匹配的 GGUF 模型。",
}

MODELS_ZH: dict[str, str] = {**_WINDOW, **_CATALOG, **_DOWNLOADS, **_INSTALLED, **_SEARCH}
