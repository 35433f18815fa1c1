"""``python -m openchat_desktop``: same as the ``openchat`` command."""

import sys

from openchat_desktop.cli import main

sys.exit(main())
