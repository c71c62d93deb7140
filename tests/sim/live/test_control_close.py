"""What a live peer's control socket deletes when the peer stops: its own socket in its run
folder and nothing else, whatever was put there or beside it."""

from __future__ import annotations

import stat

from sim.live.control import SOCKET, ControlServer


def _server(folder):
    return ControlServer.open(folder, lambda request: None, clock=lambda: 0.0)


def test_closing_removes_the_socket_and_nothing_beside_it(tmp_path):
    run = tmp_path / ".run.partial-0123456789abcdef"
    run.mkdir()
    (run / "results.json").write_text("{}")
    (tmp_path / "control.sock.keep").write_text("mine")
    server = _server(run)
    assert stat.S_ISSOCK((run / SOCKET).lstat().st_mode)
    server.close()
    assert sorted(p.name for p in run.iterdir()) == ["results.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [run.name, "control.sock.keep"]


def test_a_file_put_where_the_socket_was_is_not_removed(tmp_path):
    server = _server(tmp_path)
    (tmp_path / SOCKET).unlink()
    (tmp_path / SOCKET).write_text("not a socket")  # someone replaced it while the peer ran
    server.close()
    assert (tmp_path / SOCKET).read_text() == "not a socket"
