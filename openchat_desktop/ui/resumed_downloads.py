"""Downloads an earlier run left unfinished: list them, paused, soon after the window shows.

Without this they appeared only once the Model Manager was opened, so a user who quit mid-
download never heard of the partial file again. Looking for ``.part`` sidecars walks the
models folder, so it runs on a pool thread; the Hub client (the model services) is brought in
only when something was found.
"""

from __future__ import annotations

import logging
from pathlib import Path

from openchat_desktop.core.models.partial import resume_pending
from openchat_desktop.services.tasks import run_in_background
from openchat_desktop.ui.context import AppContext

log = logging.getLogger(__name__)


def resume_unfinished_downloads(ctx: AppContext) -> None:
    """List partial downloads as paused in the Downloads tab and say so on the status bar."""
    models_dir = ctx.paths.models_dir
    run_in_background(lambda: _count_pending(models_dir), lambda count: _on_found(ctx, count),
                      lambda exc: log.warning("unfinished downloads not checked: %s", exc))


def _count_pending(models_dir: Path) -> int:
    return len(resume_pending(models_dir))


def _on_found(ctx: AppContext, count: int) -> None:
    if not count or ctx.closed:
        return
    resumed = ctx.model_services().downloads.resume_pending()
    if not resumed:  # e.g. the files were finished since, or are already listed
        return
    tr = ctx.i18n.tr
    text = tr("1 unfinished download — open Models → Model Manager to resume") \
        if len(resumed) == 1 else \
        tr("{count} unfinished downloads — open Models → Model Manager to resume")
    ctx.bus.show_info(text.format(count=len(resumed)))
