#!/usr/bin/env bash
# Pack OpenChat.app into a compressed disk image with an Applications shortcut, so that
# installing is "drag OpenChat to Applications".
#
#   packaging/macos/make_dmg.sh dist/OpenChat.app dist/OpenChat-<version>-macos-arm64.dmg
#
# The app is signed ad hoc (enough to run on Apple Silicon); it is not notarized, so the first
# launch needs right-click > Open (or: xattr -dr com.apple.quarantine /Applications/OpenChat.app).
# Set CODESIGN_IDENTITY to sign with a Developer ID instead.
set -euo pipefail

app=${1:?usage: make_dmg.sh OpenChat.app OUTPUT.dmg}
dmg=${2:?usage: make_dmg.sh OpenChat.app OUTPUT.dmg}
[ -d "$app/Contents/MacOS" ] || { echo "make_dmg.sh: $app is not an app bundle" >&2; exit 1; }

if [ -n "${CODESIGN_IDENTITY:-}" ]; then
    codesign --force --deep --options runtime --timestamp \
        --entitlements "$(dirname "$0")/entitlements.plist" --sign "$CODESIGN_IDENTITY" "$app"
else
    codesign --force --deep --sign - "$app"   # ad hoc
fi
codesign --verify --deep --strict "$app"

staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
cp -R "$app" "$staging/"
ln -s /Applications "$staging/Applications"
rm -f "$dmg"
hdiutil create -volname "OpenChat" -srcfolder "$staging" -fs HFS+ -format UDZO \
    -imagekey zlib-level=9 -ov "$dmg"
hdiutil verify "$dmg"
echo "$dmg"
