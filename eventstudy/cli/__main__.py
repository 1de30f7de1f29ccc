"""``python -m eventstudy.cli``: the same as the ``eventstudy`` command."""

import sys

from eventstudy.cli.main import main

sys.exit(main())
