"""Reading any supported file into a ``ReadDocument``, or one human reason why not.

``read_document`` is the one entry point the indexer calls. It picks the reader by suffix,
refuses a file over its size limit before opening it, and turns every failure (a damaged file,
a permission problem, a file deleted while indexing) into ``UnreadableFile`` with a line the
user can act on, so one bad file never stops a collection from being indexed.
"""

from __future__ import annotations

import errno
import logging
import stat
from collections.abc import Callable
from pathlib import Path

from openchat_desktop.core.docs.limits import ReadLimits, too_large_reason
from openchat_desktop.core.docs.read_docx import read_docx_file
from openchat_desktop.core.docs.read_html import HTML_SUFFIXES, read_html_file
from openchat_desktop.core.docs.read_text import TEXT_NAMES, TEXT_SUFFIXES, read_text_file
from openchat_desktop.core.docs.types import ReadDocument, UnreadableFile

log = logging.getLogger(__name__)

Reader = Callable[[Path, ReadLimits], ReadDocument]

def _read_pdf(path: Path, limits: ReadLimits) -> ReadDocument:
    # pypdf loads only when a PDF is read: the window and the terminal start without it.
    from openchat_desktop.core.docs.read_pdf import read_pdf_file

    return read_pdf_file(path, limits)


_PACKED: dict[str, Reader] = {".pdf": _read_pdf, ".docx": read_docx_file}
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(_PACKED) | HTML_SUFFIXES | TEXT_SUFFIXES

_OS_REASONS = {
    errno.ENOENT: "file vanished",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EISDIR: "is a folder, not a file",
    errno.EIO: "read error (disk or network problem)",
    errno.ELOOP: "too many symbolic links",
    errno.ENAMETOOLONG: "file name too long",
}


def is_supported(path: Path) -> bool:
    """Whether ``read_document`` has a reader for the file, by its suffix (or a well-known
    name such as README or Makefile)."""
    return _reader_for(path) is not None


def read_document(path: Path, limits: ReadLimits | None = None) -> ReadDocument:
    """Read one file; raises UnreadableFile(reason), and nothing else, when it cannot."""
    limits = limits or ReadLimits()
    reader = _reader_for(path)
    if reader is None:
        suffix = path.suffix.lower()
        raise UnreadableFile(f"unsupported file type {suffix}" if suffix
                             else "unsupported file type (no extension)")
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFile("not a regular file")
        limit = limits.file_limit(packed=path.suffix.lower() in _PACKED)
        if info.st_size > limit:
            raise UnreadableFile(too_large_reason(info.st_size, limit))
        return reader(path, limits)
    except UnreadableFile:
        raise
    except OSError as exc:
        raise UnreadableFile(os_reason(exc)) from None
    except MemoryError:
        raise UnreadableFile("too large to read into memory") from None
    except Exception as exc:  # a parser bug on a strange file must not stop the indexing
        log.warning("reading %s failed", path, exc_info=True)
        raise UnreadableFile(f"could not read: {type(exc).__name__}: {exc}"[:200]) from None


def os_reason(exc: OSError) -> str:
    """One line for an operating-system error: "permission denied", "file vanished"."""
    reason = _OS_REASONS.get(exc.errno or 0)
    if reason:
        return reason
    return f"cannot read: {exc.strerror or exc}"


def _reader_for(path: Path) -> Reader | None:
    suffix = path.suffix.lower()
    if suffix in _PACKED:
        return _PACKED[suffix]
    if suffix in HTML_SUFFIXES:
        return read_html_file
    if suffix in TEXT_SUFFIXES or (not suffix and path.name.lower() in TEXT_NAMES):
        return read_text_file
    return None
