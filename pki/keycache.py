"""Seeded key pairs kept on disk, so a scenario's keys are generated once, not on every run.

Deterministic RSA and DSA generation searches primes in Python (pki.keys): RSA-2048 takes
about half a second, which adds up over a CA hierarchy and a pool of device keys. The cache
holds each key as PKCS#8 PEM, mode 0600, under a name derived from the key's spec and seed, so
a cached key is exactly the key the seed gives. Directory: $IKESIM_KEY_CACHE, else
~/.cache/ikesim/keys.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from pki.keys import KeySpec, KeyType, PrivateKey, generate_key_pair, key_spec_of


def default_directory() -> Path:
    configured = os.environ.get("IKESIM_KEY_CACHE")
    if configured:
        return Path(configured)
    return Path.home() / ".cache" / "ikesim" / "keys"


# Keys already read in this process: a pool's keys serve many devices.
_loaded: dict[tuple[KeySpec, str, Path], PrivateKey] = {}


def cached_key_pair(spec: KeySpec, *, seed: str, directory: Path | None = None) -> PrivateKey:
    """generate_key_pair(spec, seed=seed), from the cache when it is there."""
    if spec.type is KeyType.ECDSA:
        return generate_key_pair(spec, seed=seed)  # microseconds: not worth a file
    folder = directory or default_directory()
    memo = (spec, seed, folder)
    if memo in _loaded:
        return _loaded[memo]
    name = hashlib.sha256(f"{spec.type.value}/{spec.size}/{seed}".encode()).hexdigest()
    path = folder / f"{name}.pem"
    try:
        # The file is ours and named after the seed's key: skipping OpenSSL's RSA consistency
        # check (tens of milliseconds a key) is safe here, and a damaged file fails to parse.
        key = serialization.load_pem_private_key(path.read_bytes(), password=None,
                                                 unsafe_skip_rsa_key_validation=True)
        if key_spec_of(key) == spec:
            _loaded[memo] = key
            return key
    except (OSError, ValueError, TypeError):
        pass  # absent or damaged: make it again
    key = generate_key_pair(spec, seed=seed)
    _loaded[memo] = key
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        data = key.private_bytes(serialization.Encoding.PEM,
                                 serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        temporary.replace(path)
    except OSError:
        pass  # a read-only home still runs, only slower
    return key
