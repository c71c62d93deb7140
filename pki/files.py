"""Files ikesim reads and writes, made safe against input it did not write.

Three rules, each one function:

- A name that becomes part of a path (a device, certificate-id, ca-profile, CA, topology or
  trace file name) is a Junos-style identifier and never a path: `check_name`.
- Every write lands inside its root folder, checked after symlinks are resolved: `inside`; and
  files are created without following a symlink planted where they go: `write_file`,
  `open_append`.
- A file a user names is read only if it is a regular file, and never more than a limit:
  `read_regular` (so `/dev/zero`, a FIFO or a 2 GB file cost nothing).

Every refusal is a `FileRefused` (a ValueError) whose str() is one line naming the file.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

NAME_MAX = 63
# Letters, digits, '.', '_', '-', starting with a letter or digit: what Junos identifiers use,
# and never '', '.', '..', a separator or a NUL.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class FileRefused(ValueError):
    """A name, path or file ikesim will not use; str() is one line saying which and why."""

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.problem = problem


def shown(value: object, limit: int = 40) -> str:
    """`value` for an error line: repr (so control characters show escaped), cut at `limit`."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_name(kind: str, name: object) -> str:
    """`name` when it is a usable name of `kind` (a Junos identifier, never a path)."""
    if not isinstance(name, str):
        raise FileRefused(f"{kind} {shown(name)}", f"expected a name, not {type(name).__name__}")
    if len(name) > NAME_MAX or not _NAME.fullmatch(name):
        raise FileRefused(f"{kind} {shown(name)}",
                          "use letters, digits, '.', '_' and '-', starting with a letter or "
                          f"digit (at most {NAME_MAX} characters)")
    return name


def inside(root: str | Path, *parts: str) -> Path:
    """root/parts..., refused unless it stays inside `root` once symlinks are resolved."""
    root = Path(root)
    path = root.joinpath(*parts)
    base = root.resolve()
    resolved = path.resolve()
    if resolved != base and not resolved.is_relative_to(base):
        raise FileRefused(str(path), f"leaves the folder {root}")
    return path


def _os_problem(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def write_file(path: str | Path, data: bytes, *, mode: int = 0o644) -> None:
    """Replace `path` with `data`, created with `mode` from the start (never wider). The bytes go
    to a new file beside it first, so a reader sees the old file or the new one, and a symlink
    at `path` is replaced, never followed."""
    path = Path(path)
    for attempt in range(100):
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{attempt}.tmp")
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC,
                         mode)
            break
        except FileExistsError:
            continue
    else:
        raise FileRefused(str(path), "cannot create a temporary file beside it")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def open_append(path: str | Path, *, mode: int = 0o600) -> int:
    """A descriptor appending to `path`, created with `mode`; a symlink there is refused."""
    try:
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | _NOFOLLOW | _CLOEXEC, mode)
    except OSError as exc:
        if os.path.islink(path):
            raise FileRefused(str(path), "is a symbolic link; ikesim does not follow it") from None
        raise FileRefused(str(path), _os_problem(exc)) from None


def read_regular(path: str | Path, *, limit: int) -> bytes:
    """The bytes of the regular file `path`, refused past `limit` bytes before reading them."""
    source = str(path)
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | _CLOEXEC)
    except FileNotFoundError:
        raise FileRefused(source, "no such file") from None
    except OSError as exc:
        raise FileRefused(source, _os_problem(exc).lower()) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise FileRefused(source, "is a directory, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise FileRefused(source, "is not a regular file")
        if info.st_size > limit:
            raise FileRefused(source, f"is {info.st_size} bytes; the limit is {limit} bytes")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:  # it grew while we read
            raise FileRefused(source, f"is more than {limit} bytes")
        return b"".join(chunks)
    except OSError as exc:
        raise FileRefused(source, _os_problem(exc).lower()) from None
    finally:
        os.close(fd)
