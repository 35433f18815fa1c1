"""Simplified Chinese for local documents: collections, citations and their settings
(``i18n_zh.py`` merges this one into ``ZH_CN``). Keys are the English source text,
placeholders included."""

from __future__ import annotations

DOCS_ZH: dict[str, str] = {
    # The settings (core.settings_schema DOCS_SETTINGS): labels and help texts.
    "Local documents": "本地文档",
    "Passages per question": "每个问题的段落数",
    "How many passages of the attached documents are looked up for each question.":
        "每个问题从已附加的文档中检索多少个段落。",
    "Share of the context for documents": "文档占用的上下文比例",
    "Largest share of the context window the passages may fill, leaving the rest for the "
    "conversation and the reply.":
        "检索到的段落最多可占用的上下文窗口比例，其余部分留给对话和回复。",
    "Embedding model": "嵌入模型",
    "Installed embedding model (GGUF file name) used to find passages by meaning as well as "
    "by words; empty means keyword search only.":
        "已安装的嵌入模型（GGUF 文件名），用于按语义和关键词查找段落；留空表示只使用关键词搜索。",
    # The documents window, the chat's Documents button and a reply's sources.
    "&Documents…": "文档(&D)…",
    "Documents": "文档",
    "Documents ({count})": "文档 ({count})",
    "Collections": "文档集",
    "New collection": "新建文档集",
    "New collection…": "新建文档集…",
    "Add files…": "添加文件…",
    "Add a folder": "添加文件夹",
    "Add files": "添加文件",
    "Re-index": "重新索引",
    "Read again the files that changed, were added or were deleted since the last time":
        "重新读取自上次以来被修改、添加或删除的文件",
    "Cancel indexing": "取消索引",
    "Cancel indexing {name}": "取消索引 {name}",
    "Indexing {name}": "正在索引 {name}",
    "Remove…": "移除…",
    "Skipped files": "跳过的文件",
    "Try a search": "试试搜索",
    "Remove the collection \u201c{name}\u201d and its index? Your files stay where they are; "
    "only what was read from them is deleted.":
        "移除文档集“{name}”及其索引？你的文件保持原样，只删除从中读取的内容。",
    "Remove collection": "移除文档集",
    "Indexing \u201c{name}\u201d was cancelled; what was read so far is kept.":
        "已取消索引“{name}”；已读取的部分会保留。",
    "\u201c{name}\u201d is indexed: {added} added, {updated} changed, {removed} removed, "
    "{skipped} skipped.":
        "“{name}”已索引：新增 {added} 个，更改 {updated} 个，移除 {removed} 个，"
        "跳过 {skipped} 个。",
    "Indexing \u201c{name}\u201d failed: {reason}": "索引“{name}”失败：{reason}",
    "e.g. Work notes": "例如：工作笔记",
    "Folders and files": "文件夹和文件",
    "Remove from list": "从列表中移除",
    "Create and index": "创建并索引",
    "Every supported file in a folder and its subfolders is read: PDF, Word (DOCX), "
    "Markdown, text, HTML and source code. Nothing leaves this computer.":
        "会读取文件夹及其子文件夹中所有受支持的文件：PDF、Word (DOCX)、Markdown、文本、HTML "
        "和源代码。任何内容都不会离开这台电脑。",
    "Reason": "原因",
    "Where": "位置",
    "Score": "得分",
    "Every file of this collection could be read.": "这个文档集的所有文件都已成功读取。",
    "Files that cannot be read are listed here, each with the reason.":
        "无法读取的文件会列在这里，并附上原因。",
    "Searching…": "正在搜索…",
    "Try a question, e.g. how do I install it?": "试着提一个问题，例如：怎么安装？",
    "Search the collection": "搜索文档集",
    "How many passages to show": "显示多少个段落",
    "The selected passage appears here.": "选中的段落会显示在这里。",
    "Choose a collection above first.": "请先在上方选择一个文档集。",
    "Type a question or a few words to search for.": "请输入一个问题或几个要搜索的词。",
    "{count} passages found": "找到 {count} 个段落",
    "Nothing in this collection matches \u201c{query}\u201d.":
        "这个文档集中没有与“{query}”匹配的内容。",
    "The search failed: {reason}": "搜索失败：{reason}",
    "{seconds} s left": "剩余 {seconds} 秒",
    "{minutes} min left": "剩余 {minutes} 分钟",
    "{hours} h {minutes} min left": "剩余 {hours} 小时 {minutes} 分钟",
    "{done} / {total} files": "{done} / {total} 个文件",
    "Stopping…": "正在停止…",
    "Listing files…": "正在列出文件…",
    "Files": "文件数",
    "Chunks": "片段数",
    "Indexed": "索引时间",
    "indexing…": "正在索引…",
    "not yet": "尚未索引",
    "keyword search": "关键词搜索",
    "by meaning: {model}": "语义搜索：{model}",
    "No collections yet. Press \u201cNew collection…\u201d and choose a folder: its documents "
    "are read on this computer and the chat can then answer from them, with the sources it "
    "used.":
        "还没有文档集。点击“新建文档集…”并选择一个文件夹：其中的文档会在这台电脑上读取，"
        "之后对话就能根据它们回答，并注明所用的来源。",
    "No collections yet": "还没有文档集",
    "Files dropped on this chat": "拖入此对话的文件",
    "{count} dropped files could not be read, e.g. {file}: {reason}":
        "有 {count} 个拖入的文件无法读取，例如 {file}：{reason}",
    "The dropped files are ready; the answers now draw on them.":
        "拖入的文件已准备好，回答将参考它们。",
    "Manage documents…": "管理文档…",
    "Attach documents so the answers cite them": "附加文档，让回答引用它们",
    "Answers use these documents, with citations: {names}": "回答会使用并引用这些文档：{names}",
    "Sources": "来源",
    "Sources of this reply": "这条回复的来源",
    "Open file": "打开文件",
    "Passage": "段落",
    "The file is no longer there: it was moved, renamed or deleted since it was indexed.":
        "文件已不在原处：索引之后它被移动、重命名或删除了。",
    "Reading {count} dropped files for this conversation…":
        "正在为这个对话读取拖入的 {count} 个文件…",
    "The files could not be attached: {reason}": "无法附加这些文件：{reason}",
}
