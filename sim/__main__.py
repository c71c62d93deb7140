"""`python -m sim`: the `ikesim` command."""

import sys

from sim.cli import main

sys.exit(main())
