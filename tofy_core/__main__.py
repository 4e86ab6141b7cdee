"""`python -m tofy_core`: the headless CLI."""

import sys

from tofy_core.cli import main

sys.exit(main())
