"""Seeded key pairs kept on disk, so a scenario's keys are generated once, not on every run.

Deterministic RSA and DSA generation searches primes in Python (pki.keys): RSA-2048 takes
about half a second, which adds up over a CA hierarchy and a pool of device keys. The cache
holds each key as PKCS#8 PEM, mode 0600, under a name derived from the key's spec and seed.
Directory: $IKESIM_KEY_CACHE, else ~/.cache/ikesim/keys.

Why a cached key can be trusted to be the seed's key without regenerating it (which would
defeat the cache): nobody else can have written it. The directory must be owned by the user
running ikesim and writable by nobody else (it is created 0700, missing parents too); a key
file must be a regular file owned by that user with no group or other permission bits; it is
opened without following a symlink, relative to the directory's descriptor, so nothing is
looked up twice by path. A directory that fails this is not used at all: one warning line on
stderr, and keys are generated in memory (a run never fails because of the cache). A key file
that fails it, or holds a key of another type or size, is made again and replaced. Keys are
written to a temporary with a random name (created exclusively, without following a symlink,
mode 0600) and renamed over the key's name, so no reader sees half a key.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
import sys
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from pki.keys import KeySpec, KeyType, PrivateKey, generate_key_pair, key_spec_of
from pki.parse_errors import PARSE_ERRORS

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
# An RSA-4096 key is about 3.3 KB of PEM: anything much bigger is not one of ours.
_KEY_FILE_MAX = 16 * 1024

Warn = Callable[[str], None]


def default_directory() -> Path:
    configured = os.environ.get("IKESIM_KEY_CACHE")
    if configured:
        return Path(configured)
    return Path.home() / ".cache" / "ikesim" / "keys"


def file_name(spec: KeySpec, seed: str) -> str:
    """The cache file of the key `spec` and `seed` give."""
    return hashlib.sha256(f"{spec.type.value}/{spec.size}/{seed}".encode()).hexdigest() + ".pem"


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


# Keys already read in this process: a pool's keys serve many devices.
_loaded: dict[tuple[KeySpec, str, Path], PrivateKey] = {}
# Directories already refused in this process: the warning is said once.
_refused: set[Path] = set()


def cached_key_pair(spec: KeySpec, *, seed: str, directory: Path | None = None,
                    warn: Warn = _stderr) -> PrivateKey:
    """generate_key_pair(spec, seed=seed), from the cache when it is there and trustworthy."""
    if spec.type is KeyType.ECDSA:
        return generate_key_pair(spec, seed=seed)  # microseconds: not worth a file
    folder = directory or default_directory()
    memo = (spec, seed, folder)
    if memo in _loaded:
        return _loaded[memo]
    name = file_name(spec, seed)
    fd = _open_directory(folder, warn)
    try:
        key = _read(fd, name, spec) if fd is not None else None
        if key is None:
            key = generate_key_pair(spec, seed=seed)
            if fd is not None:
                _write(fd, name, key)
    finally:
        if fd is not None:
            os.close(fd)
    _loaded[memo] = key
    return key


def _open_directory(folder: Path, warn: Warn) -> int | None:
    """A descriptor of the cache directory, created if missing; None (after one warning)
    when it cannot be made or another user could write to it."""
    problem = None
    try:
        _make_private(folder)
        fd = os.open(folder, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    except OSError as exc:
        problem = f"cannot be used ({exc.strerror or exc})"
    else:
        info = os.fstat(fd)
        if info.st_uid != os.geteuid():
            problem = f"is owned by uid {info.st_uid}, not by you (uid {os.geteuid()})"
        elif info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            problem = f"is writable by others (mode {stat.S_IMODE(info.st_mode):o})"
        if problem is None:
            return fd
        os.close(fd)
    if folder not in _refused:
        _refused.add(folder)
        warn(f"ikesim: warning: key cache {folder} {problem}; keys are generated without it "
             f"(use a directory only you can write, mode 0700)")
    return None


def _make_private(folder: Path) -> None:
    """Create `folder` and its missing parents, each mode 0700 (os.makedirs gives the parents
    the umask's mode)."""
    missing = []
    for path in (folder, *folder.parents):
        if os.path.lexists(path):
            break
        missing.append(path)
    for path in reversed(missing):
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass  # another ikesim made it meanwhile: the checks on the descriptor decide


def _read(fd: int, name: str, spec: KeySpec) -> PrivateKey | None:
    """The key in `name` if it is a file only we could have written, holding a key of `spec`."""
    try:
        key_fd = os.open(name, os.O_RDONLY | _NOFOLLOW | os.O_NONBLOCK | _CLOEXEC, dir_fd=fd)
    except OSError:
        return None  # absent, or a symlink
    try:
        info = os.fstat(key_fd)
        if (not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid()
                or info.st_mode & 0o077 or info.st_size > _KEY_FILE_MAX):
            return None
        data = os.read(key_fd, _KEY_FILE_MAX + 1)
    except OSError:
        return None
    finally:
        os.close(key_fd)
    try:
        # The file is ours (checked above) and named after the seed's key: skipping OpenSSL's
        # RSA consistency check (tens of milliseconds a key) is safe here.
        key = serialization.load_pem_private_key(data, password=None,
                                                 unsafe_skip_rsa_key_validation=True)
        return key if key_spec_of(key) == spec else None
    except PARSE_ERRORS:
        return None  # damaged: make it again


def _write(fd: int, name: str, key: PrivateKey) -> None:
    data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    temporary = f".{name}.{secrets.token_hex(8)}.tmp"
    try:
        out = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC,
                      0o600, dir_fd=fd)
    except OSError:
        return  # a read-only cache still runs, only slower
    try:
        with os.fdopen(out, "wb") as stream:
            stream.write(data)
        os.replace(temporary, name, src_dir_fd=fd, dst_dir_fd=fd)
    except OSError:
        try:
            os.unlink(temporary, dir_fd=fd)
        except OSError:
            pass
