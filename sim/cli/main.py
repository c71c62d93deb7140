"""The `ikesim` command (also `python -m sim`).

Exit status: 0 success, 1 a verdict of failure (an invalid certificate, a case that did not
reproduce), 2 bad input (a file, option, statement or folder that cannot be used, or a file
system that refuses a write), reported in one line without a traceback; 70 an internal error
(a bug in ikesim), also one line unless IKESIM_DEBUG=1 asks for the traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from pki.files import FileRefused
from pki.loaders import LoadError
from pki.store import StoreError
from sim import __version__
from sim.cli.errors import EXIT_BAD_INPUT, EXIT_INTERNAL, UsageError
from sim.junos.logs import syslog_escape
from sim.live.endpoints import PeerSetupError
from sim.report.run_folder import RunFolderError
from sim.topology import TopologyError

__all__ = ["build_parser", "main"]

Command = Callable[[argparse.Namespace], int]
# The errors that mean bad input, each with a message that is one line naming what is wrong.
EXPECTED = (UsageError, PeerSetupError, RunFolderError, LoadError, StoreError, TopologyError,
            FileRefused)
DEBUG = "IKESIM_DEBUG"


class Parser(argparse.ArgumentParser):
    """argparse, with its usage errors as one line instead of the usage text; it exits 2 as
    argparse does (SystemExit), so callers of main() see what they always saw."""

    def error(self, message: str) -> NoReturn:
        _say(f"{message} (see `{self.prog} --help`)")
        raise SystemExit(EXIT_BAD_INPUT)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="ikesim",
        description="IKE Phase 1 certificate authentication as Junos OS does it on SRX devices.",
    )
    parser.add_argument("--version", action="version", version=f"ikesim {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    from sim.cli import library, ops_live, peer, pki, run, sweep

    run.register(commands)
    pki.register(commands)
    ops_live.register(commands)  # show, cli (sim.cli.ops), on a live peer too
    library.register(commands)
    peer.register(commands)
    sweep.register(commands)
    return parser


def _say(line: str) -> None:
    # Messages can quote input (a name, a key of a file): escaped, they stay one line.
    print(f"ikesim: {syslog_escape(line)}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        handler: Command = args.handler
        return handler(args)
    except EXPECTED as exc:
        _say(str(exc))
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`ikesim list | head`): stop quietly, as Unix tools do.
        sys.stderr.close()
        return 0
    except OSError as exc:
        # The file system refused (a full disk, a folder we may not write): not a bug.
        where = f"{exc.filename}: " if exc.filename else ""
        _say(f"{where}{exc.strerror or exc}")
        return EXIT_BAD_INPUT
    except Exception as exc:
        if os.environ.get(DEBUG) == "1":
            raise
        what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        _say(f"internal error: {what} (set {DEBUG}=1 for the traceback)")
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
