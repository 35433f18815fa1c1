"""``python -m openchat_desktop``: same as the ``openchat`` command."""

import sys

from openchat_desktop.launcher import main

sys.exit(main())
