"""Make the app icons from resources/icons/openchat.svg.

    python packaging/make_icons.py [--check]

Writes resources/icons/openchat-<N>.png (16 … 512), openchat.ico (Windows: 16 … 256) and
openchat.icns (macOS: 16 … 1024). The PNGs are rendered with Qt's SVG renderer; without QtSvg
the same logo is drawn with QPainter. ICO and ICNS are written by this script (no Pillow
needed): ICO with 32-bit BMP images up to 48 px and PNG above, ICNS with PNG images.
``--check`` only says whether the committed files are up to date (exit 1 if not).
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QImage,
    QLinearGradient,
    QPainter,
    QPainterPath,
)

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
SVG = ICONS / "openchat.svg"
PNG_SIZES = (16, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# ICNS types holding PNG data, by pixel size (several types share a size: @1x and @2x).
ICNS_TYPES = (("icp4", 16), ("icp5", 32), ("ic11", 32), ("icp6", 64), ("ic12", 64),
              ("ic07", 128), ("ic08", 256), ("ic13", 256), ("ic09", 512), ("ic14", 512),
              ("ic10", 1024))


def _draw_with_painter(painter: QPainter) -> None:
    """The logo of openchat.svg in QPainter calls (512 x 512 units), for Qt without QtSvg."""
    gradient = QLinearGradient(QPointF(48, 40), QPointF(464, 472))
    gradient.setColorAt(0, QColor("#5b5bf0"))
    gradient.setColorAt(1, QColor("#13b3a4"))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(gradient)
    painter.drawRoundedRect(QRectF(32, 32, 448, 448), 104, 104)
    bubble = QPainterPath()
    bubble.addRoundedRect(QRectF(104, 120, 304, 224), 64, 64)
    tail = QPainterPath()
    tail.moveTo(236, 343)
    tail.lineTo(150, 408)
    tail.lineTo(168, 343)
    tail.closeSubpath()
    painter.setBrush(QColor("#ffffff"))
    painter.drawPath(bubble.united(tail))
    for x, colour in ((180, "#4f4fe0"), (256, "#3a86c8"), (332, "#1fa5a8")):
        painter.setBrush(QColor(colour))
        painter.drawEllipse(QPointF(x, 232), 26, 26)


def render(size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    try:
        from PySide6.QtSvg import QSvgRenderer
    except ImportError:
        painter.scale(size / 512, size / 512)
        _draw_with_painter(painter)
    else:
        renderer = QSvgRenderer(str(SVG))
        if not renderer.isValid():
            raise SystemExit(f"make_icons: {SVG.name} is not a valid SVG file")
        renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def _bmp_icon_image(image: QImage) -> bytes:
    """An ICO image entry as a 32-bit DIB: BITMAPINFOHEADER, BGRA rows bottom-up, AND mask."""
    size = image.width()
    argb = image.convertToFormat(QImage.Format.Format_ARGB32)
    rows = []
    for y in reversed(range(size)):
        rows.append(b"".join(struct.pack("<I", argb.pixel(x, y)) for x in range(size)))
    mask_row = ((size + 31) // 32) * 4  # 1 bit a pixel, rows padded to 32 bits; all zero
    header = struct.pack("<IiiHHIIiiII", 40, size, size * 2, 1, 32, 0,
                         size * size * 4 + mask_row * size, 0, 0, 0, 0)
    return header + b"".join(rows) + bytes(mask_row * size)


def ico_bytes(images: dict[int, QImage]) -> bytes:
    entries, blobs = [], []
    offset = 6 + 16 * len(images)
    for size, image in sorted(images.items()):
        blob = _bmp_icon_image(image) if size <= 48 else png_bytes(image)
        entries.append(struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32,
                                   len(blob), offset))
        blobs.append(blob)
        offset += len(blob)
    return struct.pack("<HHH", 0, 1, len(images)) + b"".join(entries) + b"".join(blobs)


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    body = b"".join(kind.encode("ascii") + struct.pack(">I", 8 + len(pngs[size])) + pngs[size]
                    for kind, size in ICNS_TYPES)
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def build() -> dict[Path, bytes]:
    """Every icon file, by path, as bytes."""
    sizes = sorted(set(PNG_SIZES) | set(ICO_SIZES) | {size for _, size in ICNS_TYPES})
    images = {size: render(size) for size in sizes}
    pngs = {size: png_bytes(image) for size, image in images.items()}
    files = {ICONS / f"openchat-{size}.png": pngs[size] for size in PNG_SIZES}
    files[ICONS / "openchat.ico"] = ico_bytes({s: images[s] for s in ICO_SIZES})
    files[ICONS / "openchat.icns"] = icns_bytes(pngs)
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="only check that the icon files exist (exit 1 if one is missing)")
    args = parser.parse_args(argv)
    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])  # noqa: F841
    if args.check:
        missing = [p.name for p in build() if not p.is_file()]
        for name in missing:
            print(f"make_icons: missing {name}", file=sys.stderr)
        return 1 if missing else 0
    for path, data in build().items():
        path.write_bytes(data)
        print(f"wrote {path.relative_to(ICONS.parent.parent)} ({len(data):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
