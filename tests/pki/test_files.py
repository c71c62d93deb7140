"""pki.files: names that never become paths, writes that stay inside their folder and never
follow a planted symlink, and reads that refuse special and oversize files before reading."""

from __future__ import annotations

import os
import stat

import pytest

from pki import files
from pki.files import (
    FileRefused,
    check_name,
    inside,
    open_append,
    read_regular,
    replace_folder,
    write_file,
)


@pytest.mark.parametrize("name", ["Host-A", "ike_cert_gw_01", "Spoke-0001", "a.b", "x" * 63])
def test_junos_identifiers_are_names(name):
    assert check_name("device", name) == name


@pytest.mark.parametrize("name", [".", "..", "../../somedir", "/etc", "", "a/b", "a\x00b",
                                  "-rf", "x" * 64, "tab\there", "é"])
def test_paths_and_odd_strings_are_refused(name):
    with pytest.raises(FileRefused) as info:
        check_name("device", name)
    assert str(info.value).startswith("device ")
    assert "\n" not in str(info.value) and "\x00" not in str(info.value)


@pytest.mark.parametrize("value", [3, None, ["Host-A"], {"a": 1}])
def test_a_name_must_be_a_string(value):
    with pytest.raises(FileRefused, match="expected a name, not"):
        check_name("device", value)


def test_inside_refuses_dot_dot_and_absolute_parts(tmp_path):
    root = tmp_path / "run"
    root.mkdir()
    assert inside(root, "logs", "Host-A", "kmd") == root / "logs" / "Host-A" / "kmd"
    with pytest.raises(FileRefused, match="leaves the folder"):
        inside(root, "logs", "../../elsewhere")
    with pytest.raises(FileRefused, match="leaves the folder"):
        inside(root, "/etc")


def test_inside_refuses_a_symlinked_directory_that_points_out(tmp_path):
    root, outside = tmp_path / "run", tmp_path / "outside"
    (root / "logs").mkdir(parents=True)
    outside.mkdir()
    (root / "logs" / "Host-A").symlink_to(outside)
    with pytest.raises(FileRefused, match="leaves the folder"):
        inside(root, "logs", "Host-A", "kmd")


def test_write_file_replaces_a_planted_symlink_instead_of_following_it(tmp_path):
    target = tmp_path / "victim"
    target.write_bytes(b"precious")
    link = tmp_path / "key.pem"
    link.symlink_to(target)
    write_file(link, b"secret", mode=0o600)
    assert target.read_bytes() == b"precious"
    assert not link.is_symlink() and link.read_bytes() == b"secret"
    assert stat.S_IMODE(link.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_open_append_refuses_a_symlink(tmp_path):
    (tmp_path / "kmd").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(FileRefused, match="symbolic link"):
        open_append(tmp_path / "kmd")
    assert not (tmp_path / "elsewhere").exists()


def test_open_append_creates_with_the_mode_given(tmp_path):
    os.close(open_append(tmp_path / "kmd", mode=0o600))
    assert stat.S_IMODE((tmp_path / "kmd").stat().st_mode) == 0o600


def test_read_regular_reads_a_small_file(tmp_path):
    (tmp_path / "a.pem").write_bytes(b"x" * 10)
    assert read_regular(tmp_path / "a.pem", limit=10) == b"x" * 10


@pytest.mark.parametrize("make, problem", [
    (lambda p: p.write_bytes(b"x" * 11), "is 11 bytes; the limit is 10 bytes"),
    (lambda p: p.mkdir(), "is a directory, not a file"),
    (lambda p: os.mkfifo(p), "is not a regular file"),
    (lambda p: p.symlink_to(p), "too many levels of symbolic links"),
    (lambda p: None, "no such file"),
])
def test_read_regular_refuses_before_reading(tmp_path, make, problem):
    path = tmp_path / "input"
    make(path)
    with pytest.raises(FileRefused) as info:
        read_regular(path, limit=10)
    assert str(info.value) == f"{path}: {problem}"


def test_read_regular_refuses_devices_and_paths_through_files(tmp_path):
    with pytest.raises(FileRefused, match="/dev/zero: is not a regular file"):
        read_regular("/dev/zero", limit=10)
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(FileRefused, match="not a directory"):
        read_regular(tmp_path / "file" / "x", limit=10)
    with pytest.raises(FileRefused, match="file name too long"):
        read_regular(tmp_path / ("a" * 300), limit=10)


def _folder(root, name: str, content: bytes):
    folder = root / name
    folder.mkdir()
    (folder / "f").write_bytes(content)
    return folder


@pytest.mark.parametrize("atomic", [True, False], ids=["exchange", "two-renames"])
def test_replace_folder_puts_the_new_folder_in_place_of_the_old(tmp_path, monkeypatch, atomic):
    if not atomic:
        monkeypatch.setattr(files, "exchange", lambda a, b: False)
    old, new = _folder(tmp_path, "run", b"old"), _folder(tmp_path, ".staged", b"new")
    replace_folder(new, old)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    assert (old / "f").read_bytes() == b"new"


def test_replace_folder_puts_the_old_folder_back_when_the_new_cannot_go_in(tmp_path,
                                                                           monkeypatch):
    monkeypatch.setattr(files, "exchange", lambda a, b: False)
    old, new = _folder(tmp_path, "run", b"old"), _folder(tmp_path, ".staged", b"new")
    real_rename, calls = os.rename, []

    def rename(source, destination):
        calls.append((source, destination))
        if len(calls) == 2:  # the new folder into place: the disk said no
            raise OSError(28, "No space left on device")
        real_rename(source, destination)

    monkeypatch.setattr(files.os, "rename", rename)
    with pytest.raises(OSError, match="No space left"):
        replace_folder(new, old)
    assert (old / "f").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".staged", "run"]


def test_a_file_target_is_absent_or_a_regular_file(tmp_path):
    from pki.files import check_file_target

    check_file_target(tmp_path / "new.pcap")
    (tmp_path / "old.pcap").write_bytes(b"x")
    check_file_target(tmp_path / "old.pcap")
    (tmp_path / "link").symlink_to(tmp_path / "old.pcap")
    os.mkfifo(tmp_path / "fifo")
    for name, problem in (("link", "is a symbolic link"), ("fifo", "is not a regular file"),
                          (".", "is a folder")):
        with pytest.raises(FileRefused, match=problem):
            check_file_target(tmp_path / name)
    with pytest.raises(FileRefused, match="is not a regular file"):
        check_file_target("/dev/null")
