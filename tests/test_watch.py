"""Watch mode without a browser: the served page, its event stream, re-runs on save, broken saves."""

from __future__ import annotations

import http.client
import json
import re
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from sim.cli.watch import Watch, serve

BASE = """
    name: watched
    start: 2030-01-01
    seed: 1
    milestones:
      a: {duration: 100d, target: 2030-06-30}
"""


@pytest.fixture
def watched(write) -> Iterator[tuple[Watch, Path]]:
    path = write(BASE, "base.yaml")
    child = write("extends: base.yaml\nname: child\n", "child.yaml")
    handle = serve(child, 200)
    try:
        yield handle, path
    finally:
        handle.stop()


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.headers["Cache-Control"] == "no-store"
        return response.read().decode("utf-8")


def _events(url: str) -> Iterator[dict]:
    """Read the server-sent events of `url` + "events" one data line at a time."""
    host, port = re.match(r"http://([\d.]+):(\d+)/", url).groups()
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request("GET", "/events")
    response = conn.getresponse()
    assert response.status == 200
    assert response.getheader("Content-Type") == "text/event-stream"
    try:
        while True:
            line = response.fp.readline().decode("utf-8")
            if line.startswith("data: "):
                yield json.loads(line[len("data: ") :])
    finally:
        conn.close()


def test_serves_the_report_on_localhost_marked_for_live_reload(watched):
    handle, _ = watched
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", handle.url)
    page = _get(handle.url)
    assert '<meta name="lunarsim-watch" content="1">' in page
    assert 'id="lunarsim-watch"' in page and "new EventSource(\"/events\")" in page
    assert "child" in page and 'id="lunarsim-watch-errors"' not in page


def test_a_save_of_an_extended_file_reruns_and_is_pushed(watched):
    handle, base = watched
    events = _events(handle.url)
    assert next(events) == {"version": 1, "errors": [], "report": 1}
    base.write_text(base.read_text().replace("100d", "150d"), encoding="utf-8")
    assert next(events) == {"version": 2, "errors": [], "report": 2}
    page = _get(handle.url)
    assert '<meta name="lunarsim-watch" content="2">' in page
    # 150 days from 2030-01-01 end on 2030-05-31: 100 % by the 2030-06-30 target.
    assert "2030-05-31" in page


def test_a_broken_save_shows_located_errors_over_the_last_good_report(watched):
    handle, base = watched
    events = _events(handle.url)
    next(events)
    base.write_text(base.read_text().replace("100d", "<b>soon</b>"), encoding="utf-8")
    event = next(events)
    # The report is still version 1's: an open page shows the errors over it without reloading.
    assert event["version"] == 2 and len(event["errors"]) == 1 and event["report"] == 1
    assert re.match(rf"{re.escape(str(base))}:5:\d+ milestones\.a\.duration: ", event["errors"][0])
    page = _get(handle.url)
    banner = re.search(r'<div id="lunarsim-watch-errors".*?</div>', page, re.S)
    assert banner is not None and "the last good report is shown below" in banner.group(0)
    assert "&lt;b&gt;soon&lt;/b&gt;" in banner.group(0) and "<b>soon" not in page  # escaped
    assert 'id="lunarsim-figures"' in page  # the last good report is still there
    base.write_text(BASE.replace("\n    ", "\n").lstrip("\n"), encoding="utf-8")
    assert next(events) == {"version": 3, "errors": [], "report": 3}
    assert 'id="lunarsim-watch-errors"' not in _get(handle.url)


def test_stop_frees_the_port(write):
    handle = serve(write(BASE), 100)
    url = handle.url
    handle.stop()
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=2)


def test_a_page_not_served_by_watch_does_not_connect(write):
    from sim.report.embedding import WATCH_JS

    # Without the server's mark the script returns before opening any connection.
    assert WATCH_JS.index("if (!mark") < WATCH_JS.index("new EventSource")


def test_cli_watch_prints_the_address_serves_and_stops_on_ctrl_c(write):
    """The process is the point here (Ctrl-C), so a subprocess: `python -m sim watch`."""
    import signal
    import subprocess
    import sys

    path = write("name: cli\nstart: 2030-01-01\nmilestones:\n  a: {duration: 10d}\n")
    command = [sys.executable, "-m", "sim", "watch", str(path), "-n", "200"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        match = re.search(r"open (http://127\.0\.0\.1:\d+/) \(Ctrl-C stops\)", line)
        assert match is not None, line
        assert '<meta name="lunarsim-watch" content="1">' in _get(match.group(1))
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "stopped" in err and "Traceback" not in err


# --- hostile requests and failures ------------------------------------------------------------


def _status(url: str, path: str, headers: dict[str, str]) -> int:
    host, port = re.match(r"http://([\d.]+):(\d+)/", url).groups()
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.putrequest("GET", path, skip_host=True)
        for key, value in headers.items():
            conn.putheader(key, value)
        conn.endheaders()
        return conn.getresponse().status
    finally:
        conn.close()


def test_requests_for_another_host_are_refused(watched):
    """DNS rebinding: a page on evil.example makes its name resolve to 127.0.0.1 and reads the
    report through it; its requests carry its own name as Host, and are refused."""
    handle, _ = watched
    port = handle.url.rsplit(":", 1)[1].strip("/")
    for path in ("/", "/state", "/events", "/index.html"):
        assert _status(handle.url, path, {"Host": f"evil.example:{port}"}) == 403
        assert _status(handle.url, path, {"Host": "evil.example"}) == 403
        assert _status(handle.url, path, {}) == 403
    assert _status(handle.url, "/", {"Host": f"127.0.0.1:{port}"}) == 200
    assert _status(handle.url, "/state", {"Host": f"localhost:{port}"}) == 200


def test_the_event_stream_refuses_another_origin(watched):
    handle, _ = watched
    port = handle.url.rsplit(":", 1)[1].strip("/")
    own = {"Host": f"127.0.0.1:{port}"}
    assert _status(handle.url, "/events", {**own, "Origin": "http://evil.example"}) == 403
    assert _status(handle.url, "/events", {**own, "Origin": "null"}) == 403
    assert _status(handle.url, "/events", {**own, "Origin": f"http://127.0.0.1:{port}"}) == 200


def test_an_unexpected_error_shows_on_the_page_and_the_next_save_recovers(watched, monkeypatch):
    import sim.cli.watch

    handle, base = watched
    events = _events(handle.url)
    next(events)
    real = sim.cli.watch.render

    def broken(result):
        raise RuntimeError("a bug in rendering")

    monkeypatch.setattr(sim.cli.watch, "render", broken)
    base.write_text(base.read_text().replace("100d", "120d"), encoding="utf-8")
    event = next(events)
    assert event["version"] == 2 and event["report"] == 1
    bug = "internal error: RuntimeError: a bug in rendering (this is a bug in lunarsim)"
    assert event["errors"] == [f"{base.parent / 'child.yaml'}: {bug}"]
    assert "a bug in rendering" in _get(handle.url)
    monkeypatch.setattr(sim.cli.watch, "render", real)
    base.write_text(base.read_text().replace("120d", "150d"), encoding="utf-8")
    assert next(events) == {"version": 3, "errors": [], "report": 3}  # the watching thread lives on
    assert "2030-05-31" in _get(handle.url)


def test_a_run_too_large_shows_on_the_page_instead_of_running(write):
    handle = serve(write(BASE), 10**15)
    try:
        assert len(handle.errors) == 1 and "would take at least 5 years" in handle.errors[0]
    finally:
        handle.stop()


def test_idle_connections_are_closed_and_bounded(write, monkeypatch):
    import socket

    import sim.cli.watch

    monkeypatch.setattr(sim.cli.watch, "IDLE_SECONDS", 1.0)
    monkeypatch.setattr(sim.cli.watch, "MAX_CONNECTIONS", 4)
    handle = serve(write(BASE), 100)
    host, port = re.match(r"http://([\d.]+):(\d+)/", handle.url).groups()
    idle = [socket.create_connection((host, int(port)), timeout=10) for _ in range(4)]
    try:
        time.sleep(0.3)
        extra = socket.create_connection((host, int(port)), timeout=10)
        assert extra.recv(1) == b""  # over the bound: closed at once
        extra.close()
        for sock in idle:
            assert sock.recv(1) == b""  # idle for IDLE_SECONDS: closed by the server
        assert '<meta name="lunarsim-watch"' in _get(handle.url)  # and the slots are free again
    finally:
        for sock in idle:
            sock.close()
        handle.stop()


def test_cli_watch_exits_143_on_sigterm(write):
    import signal
    import subprocess
    import sys

    path = write("name: cli\nstart: 2030-01-01\nmilestones:\n  a: {duration: 10d}\n")
    proc = subprocess.Popen([sys.executable, "-m", "sim", "watch", str(path), "-n", "200"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "open http://127.0.0.1:" in proc.stdout.readline()
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143 and "stopped" in err and "Traceback" not in err
