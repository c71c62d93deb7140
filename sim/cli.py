"""The `ikesim` command.

Exit status: 0 success, 1 a verdict of failure (an invalid certificate), 2 bad input (a file,
option or statement that cannot be used), reported in one line without a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from pki.loaders import LoadError
from pki.store import StoreError


class UsageError(Exception):
    """Bad input named in one line; exit status 2."""


Command = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ikesim",
        description="IKE Phase 1 certificate authentication as Junos OS does it on SRX devices.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    from sim import library_cli, ops_cli, pki_cli, run_cli

    run_cli.register(commands)
    pki_cli.register(commands)
    ops_cli.register(commands)
    library_cli.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Command = args.handler
    try:
        return handler(args)
    except (UsageError, LoadError, StoreError) as exc:
        print(f"ikesim: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`ikesim list | head`): stop quietly, as Unix tools do.
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
