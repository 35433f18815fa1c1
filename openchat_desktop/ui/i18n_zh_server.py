"""Simplified Chinese for the local API server's settings and status (``i18n_zh.py`` merges
this one into ``ZH_CN``). Keys are the English source text, placeholders included."""

from __future__ import annotations

SERVER_ZH: dict[str, str] = {
    "Local server": "本地服务器",
    "Serve the model over the OpenAI API": "通过 OpenAI API 提供模型服务",
    "Let editors, scripts and other apps on this computer use the loaded model at "
    "http://127.0.0.1:PORT/v1 (OpenAI-compatible).":
        "让本机上的编辑器、脚本和其他应用通过 http://127.0.0.1:端口/v1（兼容 OpenAI）"
        "使用已加载的模型。",
    "Port": "端口",
    "Port of the local API server; 31415 collides with no other common local AI app.":
        "本地 API 服务器的端口；31415 不与其他常见的本地 AI 应用冲突。",
    "Allow other computers on my network": "允许我网络中的其他电脑访问",
    "Listen on every network interface instead of this computer only; needs an API key.":
        "在所有网络接口上监听，而不只是本机；需要设置 API 密钥。",
    "API key": "API 密钥",
    "Clients must send 'Authorization: Bearer KEY'. Required when other computers are "
    "allowed.": "客户端必须发送“Authorization: Bearer 密钥”。允许其他电脑访问时必须设置。",
    "Allowed browser origins": "允许的浏览器来源",
    "Web pages from these origins may call the server, e.g. http://localhost:5173 (separate "
    "several with spaces); empty blocks every web page.":
        "来自这些来源的网页可以调用服务器，例如 http://localhost:5173（多个之间用空格分隔）；"
        "留空则阻止所有网页。",
    "Any free port": "任意空闲端口",
    "API: {address} · {served} served": "API：{address} · 已处理 {served} 个请求",
    "API: {address} · {served} served · {active} in progress":
        "API：{address} · 已处理 {served} 个 · 进行中 {active} 个",
    "Local API server": "本地 API 服务器",
    "The API server did not start: {reason}": "API 服务器未能启动：{reason}",
}
