#!/bin/sh
# Install OpenChat for the current user (no root needed):
#   - the app folder into ~/.local/opt/OpenChat (OPENCHAT_INSTALL_DIR to choose another),
#   - a menu entry and icons into ~/.local/share (XDG_DATA_HOME),
#   - the `openchat` command into ~/.local/bin.
# Run it from the unpacked OpenChat folder:  ./install.sh     (./uninstall.sh removes it)
set -eu

APP_ID=io.github.openchat.OpenChat
SRC=$(cd "$(dirname "$0")" && pwd -P)
DATA_HOME=${XDG_DATA_HOME:-$HOME/.local/share}
DEST=${OPENCHAT_INSTALL_DIR:-$HOME/.local/opt/OpenChat}
BIN_DIR=$HOME/.local/bin

if [ ! -x "$SRC/OpenChat" ] || [ ! -d "$SRC/_internal" ]; then
    echo "install.sh: run this script from the unpacked OpenChat folder" >&2
    exit 1
fi

# 1. The app folder (copied next to its final place, then swapped in).
mkdir -p "$(dirname "$DEST")"
DEST=$(cd "$(dirname "$DEST")" && pwd -P)/$(basename "$DEST")
if [ -e "$DEST" ] && [ "$SRC" != "$DEST" ] && ! { [ -x "$DEST/OpenChat" ] && [ -d "$DEST/_internal" ]; } \
        && [ -n "$(ls -A "$DEST" 2>/dev/null)" ]; then
    echo "install.sh: $DEST exists and is not an OpenChat folder; not touching it" >&2
    exit 1
fi
if [ "$SRC" != "$DEST" ]; then
    rm -rf "$DEST.new"
    cp -a "$SRC" "$DEST.new"   # -a keeps the bundle's symbolic links
    rm -rf "$DEST.old"
    if [ -e "$DEST" ]; then mv "$DEST" "$DEST.old"; fi
    mv "$DEST.new" "$DEST"
    rm -rf "$DEST.old"
fi

# 2. Menu entry. Exec is quoted as the Desktop Entry spec asks: \ " ` $ escaped, % doubled.
exec_path=$(printf '%s' "$DEST/OpenChat" | sed -e 's/\\/\\\\\\\\/g' -e 's/["`$]/\\\\&/g' -e 's/%/%%/g')
mkdir -p "$DATA_HOME/applications"
while IFS= read -r line; do
    case "$line" in
        Exec=*) printf 'Exec="%s"\n' "$exec_path" ;;
        *) printf '%s\n' "$line" ;;
    esac
done < "$DEST/share/applications/$APP_ID.desktop" > "$DATA_HOME/applications/$APP_ID.desktop"
chmod 644 "$DATA_HOME/applications/$APP_ID.desktop"

# 3. Icons and AppStream metadata.
for dir in "$DEST"/share/icons/hicolor/*/apps; do
    size=$(basename "$(dirname "$dir")")
    mkdir -p "$DATA_HOME/icons/hicolor/$size/apps"
    cp "$dir"/"$APP_ID".* "$DATA_HOME/icons/hicolor/$size/apps/"
done
mkdir -p "$DATA_HOME/metainfo"
cp "$DEST/share/metainfo/$APP_ID.metainfo.xml" "$DATA_HOME/metainfo/"

# 4. The `openchat` command (left alone if something else already has that name).
mkdir -p "$BIN_DIR"
if [ ! -e "$BIN_DIR/openchat" ] && [ ! -L "$BIN_DIR/openchat" ]; then
    ln -s "$DEST/OpenChat" "$BIN_DIR/openchat"
elif [ -L "$BIN_DIR/openchat" ] && [ "$(readlink "$BIN_DIR/openchat")" = "$DEST/OpenChat" ]; then
    :
else
    echo "install.sh: $BIN_DIR/openchat exists already; left as it is" >&2
fi

# 5. Let the desktop notice (best effort).
if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$DATA_HOME/applications" 2>/dev/null || true
fi
if command -v gtk-update-icon-cache >/dev/null 2>&1; then
    gtk-update-icon-cache -q -t "$DATA_HOME/icons/hicolor" 2>/dev/null || true
fi

echo "OpenChat is installed in $DEST"
echo "Start it from your applications menu, or run: $DEST/OpenChat"
case ":$PATH:" in
    *":$BIN_DIR:"*) echo "Terminal: openchat chat" ;;
    *) echo "Terminal: $BIN_DIR/openchat chat   (add $BIN_DIR to PATH for plain 'openchat')" ;;
esac
