"""The library of topologies that comes with ikesim: where it is and what it holds (the
topologies and the troubleshooting cases under cases/), for `ikesim list`, `troubleshoot`
and `run NAME`.

The library is the repository's `topologies/` folder. An installed ikesim carries it inside the
`sim` package as `sim/library/` (pyproject.toml maps it there when the wheel is built); a
source checkout or an editable install finds `topologies/` beside the `sim` package; the
IKESIM_TOPOLOGIES environment variable, when set, overrides both.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import sim

ENVIRONMENT = "IKESIM_TOPOLOGIES"
CASES = "cases"
PACKAGED = "library"  # sim/library/ in an installed package


class LibraryNotFound(Exception):
    """Neither the package's topologies/ directory nor IKESIM_TOPOLOGIES exists."""


def topologies_dir(*, package_file: str | None = None,
                   environ: dict[str, str] | None = None) -> Path:
    """IKESIM_TOPOLOGIES when set, else `library/` inside the installed `sim` package, else
    `topologies/` beside the package (a source checkout)."""
    configured = (os.environ if environ is None else environ).get(ENVIRONMENT)
    if configured:
        if not Path(configured).is_dir():
            raise LibraryNotFound(f"cannot find the topology library: {ENVIRONMENT}="
                                  f"{configured} is not a directory")
        return Path(configured)
    package = Path(package_file or sim.__file__).resolve().parent
    for candidate in (package / PACKAGED, package.parent / "topologies"):
        if candidate.is_dir():
            return candidate
    raise LibraryNotFound(f"cannot find the topology library: neither {package / PACKAGED} nor "
                          f"{package.parent / 'topologies'} exists; set {ENVIRONMENT} to the "
                          "directory holding them")


@dataclass(frozen=True, kw_only=True)
class Entry:
    """One file of the library: its name (a case's is what `troubleshoot` takes), kind, path."""

    name: str
    kind: str  # "case" or "topology"
    path: Path


def entries(root: Path) -> list[Entry]:
    found = []
    for path in sorted(root.rglob("*.yaml")):
        relative = path.relative_to(root)
        is_case = relative.parts[0] == CASES and len(relative.parts) == 2
        found.append(Entry(name=path.stem if is_case else str(relative.with_suffix("")),
                           kind="case" if is_case else "topology", path=path))
    return sorted(found, key=lambda e: (e.name, e.kind))


def case_names(root: Path) -> list[str]:
    return [e.name for e in entries(root) if e.kind == "case"]
