"""`python -m sim`: the `ikesim` command."""

import sys

from sim.cli.main import main

sys.exit(main())
