"""The error types of the `ikesim` command, in one module that every command imports.

They live apart from sim.cli.main so that `python -m sim.cli.main`, which runs
sim/cli/main.py as `__main__` beside the imported `sim.cli.main`, still catches the very class
a command raises.
"""

from __future__ import annotations

# Exit statuses (README): 0 success, 1 a verdict of failure, 2 bad input, 70 an internal error
# (EX_SOFTWARE from sysexits.h: a bug in ikesim, never the input's fault).
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 70


class UsageError(Exception):
    """Bad input named in one line (a file, option, statement or folder); exit status 2."""
