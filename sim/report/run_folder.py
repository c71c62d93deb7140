"""A run folder is all or nothing: a run is written into a staging folder beside its target and
moved into place only when complete, so a reader finds the previous complete run or nothing,
never half of one (a kill, a full disk or an error midway leave the target as it was).

    with RunFolder.open(Path("runs/figure4-multilevel-1")) as folder:
        scenario = Scenario.build(topology, out=folder.path)      # the staging folder
        ...                                                       # run, write everything
        folder.commit(scenario="figure4-multilevel", seed=1)      # marker last, then swap in

A complete run holds the marker file `.ikesim-run` (written last, after every other file is
on disk); `ikesim show` and `ikesim cli` read only folders that hold it (`require_run_folder`),
and a new run replaces only a folder that holds it and nothing a run does not write (or an
empty one, or a run of an ikesim that did not mark runs yet). The staging folder is
`.<name>.partial-<random>` beside the target; one that no process holds a lock on (a killed
run's) is removed by the next run into the same place. An earlier run is replaced whole: the
two folders are exchanged in one rename where the system can (Linux renameat2), else the old
one is renamed aside (to a partial name) first, and then removed (pki.files.replace_folder).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from pki.files import (
    FileRefused,
    check_name,
    fsync_folder,
    read_regular,
    replace_folder,
    shown,
    sync_to_disk,
    write_file,
)
from sim import __version__

MARKER = ".ikesim-run"
NOT_KEPT = "not-kept.json"  # devices of the run that have no files (sim.report.run_files)
_NOT_KEPT_LIMIT = 16 * 1024 * 1024  # 200,000 names of 63 characters, quoted, fit
MARKER_FORMAT = 1
_MARKER_LIMIT = 4096
# How an earlier ikesim's results.json opens (json.dumps of its record, indent 2).
_UNMARKED_RESULTS = re.compile(rb'\{\n  "scenario": "[^"\n]*",\n  "seed": \d+,\n  '
                               rb'"ikesim_version": "')
_TOKEN = re.compile(r"[0-9a-f]{16}")


class RunFolderError(ValueError):
    """A folder that is not a run, or cannot become one, named in one line (exit status 2:
    `ikesim` reports it as bad input)."""


def _partial_name(target: Path, token: str) -> str:
    return f".{target.name}.partial-{token}"


# -- the marker ---------------------------------------------------------------------------------

def mark(root: Path, *, scenario: str, seed: int) -> None:
    """Write the marker that makes `root` a complete run (the last file a run writes)."""
    record = {"format": MARKER_FORMAT, "ikesim_version": __version__, "scenario": scenario,
              "seed": seed}
    write_file(root / MARKER, (json.dumps(record, sort_keys=True) + "\n").encode())


def is_run_folder(path: Path) -> bool:
    """Whether `path` is a folder holding a complete ikesim run (its marker reads back)."""
    if not path.is_dir():
        return False
    try:
        record = json.loads(read_regular(path / MARKER, limit=_MARKER_LIMIT))
    except (FileRefused, ValueError):
        return False
    return isinstance(record, dict) and record.get("format") == MARKER_FORMAT


# What a run leaves in its folder (an ikesim before the marker: all but the marker).
_UNMARKED_ENTRIES = frozenset({"results.json", "logs", "pki", "devices", "plots"})
_RUN_ENTRIES = _UNMARKED_ENTRIES | {MARKER, "scep", "ocsp",  # scep/, ocsp/: since 0.1.0
                                    NOT_KEPT, "results.parquet", "crl-downloads.parquet"}


def is_unmarked_run(path: Path) -> bool:
    """Whether `path` holds a run written before runs were marked complete: nothing but what
    such a run writes, and a results.json of ikesim's. It may be replaced by a new run (whole,
    as any earlier run), never read as a complete one."""
    try:
        names = {entry.name for entry in path.iterdir()}
        fd = os.open(path / "results.json", os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        # Its opening is enough (a large run's results.json is hundreds of megabytes).
        head = os.read(fd, 4096) if stat.S_ISREG(os.fstat(fd).st_mode) else b""
    except OSError:
        head = b""
    finally:
        os.close(fd)
    return names <= _UNMARKED_ENTRIES and _UNMARKED_RESULTS.match(head) is not None


def require_run_folder(path: Path) -> None:
    """RunFolderError `<path>: not an ikesim run folder` unless `path` is a complete run."""
    if not path.exists():
        raise RunFolderError(f"{path}: no such run folder")
    if is_run_folder(path):
        return
    if path.is_dir() and is_unmarked_run(path):
        raise RunFolderError(f"{path}: not an ikesim run folder (written by an earlier ikesim, "
                         "which did not mark complete runs); run the scenario again")
    raise RunFolderError(f"{path}: not an ikesim run folder")


def was_not_kept(run_dir: Path, device: str) -> bool:
    """Whether `device` ran in the run at `run_dir` without files of its own (a group member
    that neither the topology's `keep:` nor `--keep` named)."""
    try:
        check_name("device", device)
        record = json.loads(read_regular(run_dir / NOT_KEPT, limit=_NOT_KEPT_LIMIT))
    except (FileRefused, ValueError):
        return False  # none, or not ours: the device is then simply not there
    names = record.get("devices") if isinstance(record, dict) else None
    return isinstance(names, list) and device in names


def _remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


# -- the staging folder -------------------------------------------------------------------------

class RunFolder:
    """The staging folder of one run into `target`; see the module docstring."""

    def __init__(self, target: Path, path: Path, lock: int, created: list[Path]) -> None:
        self.target = target
        self.path = path
        self._lock = lock
        self._created = created  # parent folders this run made, removed again on failure
        self._done = False

    @classmethod
    def open(cls, target: Path) -> RunFolder:
        """Check that a run may go to `target`, remove stale partial folders there, and make
        the staging folder. RunFolderError (one line) when `target` is not for us."""
        check_target(target)
        created = _make_parents(target.parent)
        _remove_stale(target)
        for _ in range(100):
            path = target.parent / _partial_name(target, secrets.token_hex(8))
            try:
                path.mkdir(mode=0o755)
            except FileExistsError:
                continue
            # Held until the process ends or commits: a killed run's lock goes with it, which
            # is how the next run tells a stale partial folder from one still being written.
            lock = _locked(path)
            if lock is not None:
                break
        else:
            raise RunFolderError(f"{target}: cannot make a staging folder beside it")
        return cls(target, path, lock, created)

    def commit(self, *, scenario: str, seed: int) -> None:
        """Mark the staged run complete and put it in place of `target`."""
        mark(self.path, scenario=scenario, seed=seed)
        sync_to_disk(self.path)
        check_target(self.target)  # it may have changed while we ran
        # Without an atomic exchange the old run waits under a partial name, which the next
        # run clears if this one is killed between the two renames.
        replace_folder(self.path, self.target, aside=self.target.parent / _partial_name(
            self.target, secrets.token_hex(8)))
        fsync_folder(self.target.parent)
        self._done = True
        self._release()

    def discard(self) -> None:
        """Remove the staging folder (and the parent folders this run made, when empty)."""
        if self._done:
            return
        self._done = True
        _remove(self.path)
        self._release()
        for folder in reversed(self._created):
            try:
                folder.rmdir()
            except OSError:
                break

    def _release(self) -> None:
        if self._lock >= 0:
            os.close(self._lock)
            self._lock = -1

    def __enter__(self) -> RunFolder:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.discard()


def check_target(target: Path) -> None:
    """A run may go to `target` when it does not exist, is an empty folder or holds a complete
    earlier run (marked, or from an ikesim that did not mark runs)."""
    if target.name in ("", ".", ".."):
        raise RunFolderError(f"{target}: name a folder for the run (e.g. runs/mine)")
    if target.is_symlink():
        raise RunFolderError(f"{target}: is a symbolic link; name the run folder itself")
    for parent in target.parents:
        if parent.exists() or parent.is_symlink():
            if not parent.is_dir():
                raise RunFolderError(f"{target}: {parent} is not a folder")
            break
    if not target.exists():
        return
    if not target.is_dir():
        raise RunFolderError(f"{target}: exists and is not a folder")
    if is_run_folder(target):
        others = sorted({entry.name for entry in target.iterdir()} - _RUN_ENTRIES)
        if others:
            raise RunFolderError(f"{target}: holds {', '.join(map(shown, others[:3]))}"
                             f"{', ...' if len(others) > 3 else ''}, which no run wrote; a "
                             "run replaces its folder whole (move them, or choose another "
                             "--out)")
        return
    if not any(target.iterdir()) or is_unmarked_run(target):
        return
    raise RunFolderError(f"{target}: not empty and not an ikesim run folder; a run replaces only "
                     "an earlier run (choose another --out)")


def _locked(path: Path) -> int | None:
    """A descriptor holding the lock on the folder just made at `path`; None when another
    run's clean-up took it between mkdir and the lock (it looked stale for that instant)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if os.fstat(fd).st_ino == os.lstat(path).st_ino:
            return fd
    except OSError:
        pass
    os.close(fd)
    return None


def _make_parents(folder: Path) -> list[Path]:
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir(exist_ok=True)
    return list(reversed(missing))


def _staging(target: Path) -> list[Path]:
    """The partial folders of runs into `target` (our own name pattern only, no symlink)."""
    prefix = f".{target.name}.partial-"
    if not target.parent.is_dir():
        return []
    return [entry for entry in target.parent.iterdir()
            if entry.name.startswith(prefix) and _TOKEN.fullmatch(entry.name[len(prefix):])
            and not entry.is_symlink() and entry.is_dir()]


def staging_folders(target: Path) -> list[tuple[Path, bool]]:
    """The staging folders of runs into `target`, each with whether a live run holds it (a
    killed run's lock went with its process): what `ikesim show` looks at to find a live
    `ikesim peer` (sim.live.control)."""
    found = []
    for entry in _staging(target):
        # A shared lock conflicts with the run's exclusive one and takes nothing from it.
        with _try_lock(entry, fcntl.LOCK_SH) as taken:
            if taken is not None:
                found.append((entry, not taken))
    return found


@contextlib.contextmanager
def _try_lock(entry: Path, kind: int) -> Iterator[bool | None]:
    """Open the folder `entry` (never through a symlink) and try the lock `kind` on it without
    waiting: True when taken, False when a run holds it, None when it cannot be opened. The
    lock goes when the block ends."""
    try:
        fd = os.open(entry, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        yield None
        return
    try:
        try:
            fcntl.flock(fd, kind | fcntl.LOCK_NB)
        except OSError:
            taken = False
        else:
            taken = True
        yield taken
    finally:
        os.close(fd)


def _remove_stale(target: Path) -> None:
    """Partial folders of `target` that no live run holds."""
    for entry in _staging(target):
        with _try_lock(entry, fcntl.LOCK_EX) as taken:
            if taken:
                # Removed while the lock is held: a run that has just made this name cannot
                # lock it meanwhile, and finds it gone afterwards (RunFolder.open then makes
                # another).
                _remove(entry)
