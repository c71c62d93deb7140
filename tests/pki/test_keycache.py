"""The key cache on real directories: created private, refused when another user could write
to it (a warning, then keys made in memory), and never tricked by a planted key, symlink or
temporary file. The suite runs as root, so "another user" is made with os.chown."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from pki import keycache
from pki.keycache import cached_key_pair, file_name
from pki.keys import KeySpec, KeyType, generate_key_pair

SPEC = KeySpec(type=KeyType.RSA, size=512)  # the fastest RSA the cache holds
OTHER_UID = 54321


def _pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _same(a, b) -> bool:
    return a.private_numbers() == b.private_numbers()


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def _chown(path: Path, uid: int = OTHER_UID) -> None:
    try:
        os.chown(path, uid, -1, follow_symlinks=False)
    except PermissionError:
        pytest.skip("needs permission to give a file to another user (run as root)")


@pytest.fixture
def warnings() -> list[str]:
    return []


def _cached(folder: Path, warnings: list[str], seed: str = "seed"):
    return cached_key_pair(SPEC, seed=seed, directory=folder, warn=warnings.append)


def test_creates_the_directory_and_its_missing_parents_private(tmp_path, warnings):
    folder = tmp_path / "home" / "cache" / "keys"
    key = _cached(folder, warnings)
    assert _same(key, generate_key_pair(SPEC, seed="seed"))
    assert [_mode(p) for p in (tmp_path / "home", tmp_path / "home" / "cache", folder)] == \
        [0o700] * 3
    assert _mode(folder / file_name(SPEC, "seed")) == 0o600
    assert os.listdir(folder) == [file_name(SPEC, "seed")]  # no temporary left behind
    assert warnings == []


def test_a_key_in_a_private_directory_is_read_not_regenerated(tmp_path, warnings):
    folder = tmp_path / "keys"
    folder.mkdir(mode=0o700)
    # Whatever sits under the seed's name in our own directory is what a run uses: proof that
    # it is read (and the reason only we may be able to write there).
    mine = generate_key_pair(SPEC, seed="written-by-an-earlier-run")
    (folder / file_name(SPEC, "seed")).write_bytes(_pem(mine))
    (folder / file_name(SPEC, "seed")).chmod(0o600)
    assert _same(_cached(folder, warnings), mine)


@pytest.mark.parametrize("mode", [0o770, 0o730, 0o707, 0o777, 0o1777], ids=oct)
def test_a_directory_others_can_write_is_not_used(tmp_path, warnings, mode):
    folder = tmp_path / "keys"
    folder.mkdir()
    planted = generate_key_pair(SPEC, seed="attacker")
    (folder / file_name(SPEC, "seed")).write_bytes(_pem(planted))
    (folder / file_name(SPEC, "seed")).chmod(0o600)
    folder.chmod(mode)
    before = sorted(os.listdir(folder))
    key = _cached(folder, warnings)
    assert _same(key, generate_key_pair(SPEC, seed="seed"))
    assert warnings == [f"ikesim: warning: key cache {folder} is writable by others (mode "
                        f"{mode:o}); keys are generated without it (use a directory only you "
                        f"can write, mode 0700)"]
    assert sorted(os.listdir(folder)) == before  # nothing written there either


def test_a_directory_owned_by_another_user_is_not_used(tmp_path, warnings):
    folder = tmp_path / "keys"
    folder.mkdir(mode=0o700)
    planted = generate_key_pair(SPEC, seed="attacker")
    (folder / file_name(SPEC, "seed")).write_bytes(_pem(planted))
    _chown(folder)
    key = _cached(folder, warnings)
    assert _same(key, generate_key_pair(SPEC, seed="seed"))
    assert warnings == [f"ikesim: warning: key cache {folder} is owned by uid {OTHER_UID}, "
                        f"not by you (uid {os.geteuid()}); keys are generated without it "
                        f"(use a directory only you can write, mode 0700)"]


def test_the_warning_is_said_once_and_the_run_goes_on(tmp_path, warnings):
    folder = tmp_path / "keys"
    folder.mkdir(mode=0o777)
    folder.chmod(0o777)
    keys = [_cached(folder, warnings, seed=f"s{i}") for i in range(3)]
    assert len(warnings) == 1
    assert all(_same(k, generate_key_pair(SPEC, seed=f"s{i}")) for i, k in enumerate(keys))


def test_a_directory_that_cannot_be_made_is_a_warning_not_a_failure(tmp_path, warnings):
    (tmp_path / "file").write_text("not a directory")
    key = _cached(tmp_path / "file" / "keys", warnings)
    assert _same(key, generate_key_pair(SPEC, seed="seed"))
    assert len(warnings) == 1 and "cannot be used (Not a directory)" in warnings[0]


@pytest.mark.parametrize("plant", ["other-owner", "group-readable", "symlink", "wrong-size",
                                   "damaged", "too-big", "fifo"])
def test_a_key_file_not_ours_is_made_again_and_replaced(tmp_path, warnings, plant):
    folder = tmp_path / "keys"
    folder.mkdir(mode=0o700)
    path = folder / file_name(SPEC, "seed")
    planted = generate_key_pair(SPEC, seed="attacker")
    outside = tmp_path / "outside.pem"
    outside.write_bytes(_pem(planted))
    if plant == "symlink":
        path.symlink_to(outside)
    elif plant == "fifo":
        os.mkfifo(path, 0o600)
    else:
        data = {"wrong-size": _pem(generate_key_pair(KeySpec(type=KeyType.RSA, size=1024),
                                                     seed="x")),
                "damaged": _pem(planted)[:200],
                "too-big": _pem(planted) + b"\n" * 20_000}.get(plant, _pem(planted))
        path.write_bytes(data)
        path.chmod(0o640 if plant == "group-readable" else 0o600)
        if plant == "other-owner":
            _chown(path)
    key = _cached(folder, warnings)
    assert _same(key, generate_key_pair(SPEC, seed="seed"))
    # Replaced by the seed's key, ours, 0600; what a symlink pointed to is untouched.
    assert not path.is_symlink() and _mode(path) == 0o600 and path.stat().st_uid == os.geteuid()
    assert path.read_bytes() == _pem(key)
    assert outside.read_bytes() == _pem(planted)
    assert warnings == []


def test_a_planted_temporary_cannot_redirect_or_widen_the_write(tmp_path, warnings):
    """The old cache wrote `<name>.<pid>.tmp` following symlinks and keeping an existing
    file's mode: a symlink planted there overwrote its target, a 0666 file there left the key
    world-readable. Temporaries now have random names, created exclusively."""
    folder = tmp_path / "keys"
    folder.mkdir(mode=0o700)
    name = file_name(SPEC, "seed")
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (folder / name.replace(".pem", f".{os.getpid()}.tmp")).symlink_to(victim)
    wide = folder / name.replace(".pem", f".{os.getpid() + 1}.tmp")
    wide.touch(mode=0o666)
    wide.chmod(0o666)
    key = _cached(folder, warnings)
    assert victim.read_text() == "precious"
    assert _mode(folder / name) == 0o600
    assert (folder / name).read_bytes() == _pem(key)


def test_ecdsa_keys_are_not_cached(tmp_path, warnings):
    folder = tmp_path / "keys"
    spec = KeySpec(type=KeyType.ECDSA, size=256)
    key = cached_key_pair(spec, seed="ec", directory=folder, warn=warnings.append)
    assert key.private_numbers() == generate_key_pair(spec, seed="ec").private_numbers()
    assert not folder.exists()


def test_default_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("IKESIM_KEY_CACHE", str(tmp_path / "k"))
    assert keycache.default_directory() == tmp_path / "k"
    monkeypatch.delenv("IKESIM_KEY_CACHE")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert keycache.default_directory() == tmp_path / ".cache" / "ikesim" / "keys"
