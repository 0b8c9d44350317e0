"""``python -m review.queue list | show | label | export``."""

import sys

from review.queue.cli import main

sys.exit(main())
