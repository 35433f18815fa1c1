#!/bin/sh
# Remove what install.sh installed: the app folder, the menu entry, the icons and the
# `openchat` command. Your settings, conversations and downloaded models stay, unless you
# add --purge (which also deletes them).
set -eu

APP_ID=io.github.openchat.OpenChat
DATA_HOME=${XDG_DATA_HOME:-$HOME/.local/share}
DEST=${OPENCHAT_INSTALL_DIR:-$HOME/.local/opt/OpenChat}
BIN_DIR=$HOME/.local/bin
PURGE=no
for arg in "$@"; do
    case "$arg" in
        --purge) PURGE=yes ;;
        -h|--help) echo "usage: uninstall.sh [--purge]"; exit 0 ;;
        *) echo "uninstall.sh: unknown option $arg" >&2; exit 2 ;;
    esac
done

if [ -L "$BIN_DIR/openchat" ]; then
    case "$(readlink "$BIN_DIR/openchat")" in
        */OpenChat/OpenChat) rm -f "$BIN_DIR/openchat" ;;
    esac
fi
rm -f "$DATA_HOME/applications/$APP_ID.desktop" "$DATA_HOME/metainfo/$APP_ID.metainfo.xml"
for icon in "$DATA_HOME"/icons/hicolor/*/apps/"$APP_ID".*; do
    if [ -e "$icon" ]; then rm -f "$icon"; fi
done
if [ -x "$DEST/OpenChat" ] && [ -d "$DEST/_internal" ]; then
    rm -rf "$DEST"
fi
if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$DATA_HOME/applications" 2>/dev/null || true
fi
if command -v gtk-update-icon-cache >/dev/null 2>&1; then
    gtk-update-icon-cache -q -t "$DATA_HOME/icons/hicolor" 2>/dev/null || true
fi
echo "OpenChat is uninstalled."

if [ "$PURGE" = yes ]; then
    for dir in "${XDG_CONFIG_HOME:-$HOME/.config}/OpenChat" "$DATA_HOME/OpenChat" \
               "${XDG_STATE_HOME:-$HOME/.local/state}/OpenChat" \
               "${XDG_CACHE_HOME:-$HOME/.cache}/OpenChat"; do
        if [ -d "$dir" ]; then rm -rf "$dir" && echo "deleted $dir"; fi
    done
else
    echo "Your settings, conversations and models are kept (uninstall.sh --purge deletes them)."
fi
