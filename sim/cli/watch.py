"""Watch mode: serve a scenario's latest report on 127.0.0.1 and re-run it whenever its files are saved."""

from __future__ import annotations

import html
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.errors import ScenarioError

if TYPE_CHECKING:
    from sim.analysis.results import Result

# How long the event stream waits before a keep-alive comment, so a closed page is noticed.
_KEEPALIVE_SECONDS = 10.0
# A connection that sends no request, or cannot take a write, for this long is closed; at most
# this many connections are served at once (a page holds two: the report and its events).
IDLE_SECONDS = 30.0
MAX_CONNECTIONS = 32


@dataclass
class _State:
    """What the server shows: the last good report and, after a broken save, its errors."""

    version: int = 0
    report: str | None = None
    report_version: int = -1  # the version that made `report`
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    files: set[Path] = field(default_factory=set)
    changed: threading.Condition = field(default_factory=threading.Condition)


@dataclass
class Watch:
    """A running watch server: `url` to open, `stop()` to end it, `version` of the report shown."""

    url: str
    _server: ThreadingHTTPServer
    _state: _State
    _stop: threading.Event
    _threads: list[threading.Thread]

    @property
    def version(self) -> int:
        return self._state.version

    @property
    def errors(self) -> list[str]:
        return list(self._state.errors)

    @property
    def seconds(self) -> float:
        """How long the last re-run took (load, simulate, render), in seconds."""
        return self._state.seconds

    def wait_for(self, version: int, timeout: float) -> bool:
        """Block until the report's version reaches `version`; False after `timeout` seconds."""
        with self._state.changed:
            return self._state.changed.wait_for(lambda: self._state.version >= version, timeout)

    def stop(self) -> None:
        self._stop.set()
        with self._state.changed:
            self._state.changed.notify_all()
        self._server.shutdown()
        self._server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)


def serve(
    path: str | Path,
    iterations: int | None = None,
    seed: int | None = None,
    *,
    port: int = 0,
    on_update: Callable[[int, list[str]], None] | None = None,
) -> Watch:
    """Serve `path`'s report on http://127.0.0.1:<port>/ (a free port by default) and re-run the
    scenario whenever it or a file it extends is saved.

    The page reloads itself by server-sent events (`/events`) when a new report is ready; a save
    that does not load shows its located errors above the last good report. `iterations` and
    `seed` default to the scenario's (seed 0 if it has none, so re-runs differ only by the edit).
    `on_update(version, errors)` is called after each re-run. The first run happens before this
    returns.
    """
    path = Path(path).resolve()
    state = _State(files={path})
    stop = threading.Event()

    def rebuild() -> None:
        began = time.perf_counter()
        try:
            report, errors, files = _build(path, iterations, seed)
        except Exception as exc:  # a bug: shown on the page, and the next save tries again
            report, files = None, set()
            errors = [f"{path}: internal error: {type(exc).__name__}: {exc} (this is a bug in lunarsim)"]
        with state.changed:
            state.version += 1
            if report is not None:
                state.report = report
                state.report_version = state.version
            state.errors = errors
            state.files |= files
            state.seconds = time.perf_counter() - began
            state.changed.notify_all()
        if on_update is not None:
            on_update(state.version, errors)

    rebuild()
    server = _Server(("127.0.0.1", port), _handler(state, stop))
    ready = threading.Event()
    threads = [
        threading.Thread(target=server.serve_forever, name="lunarsim-watch-http", daemon=True),
        threading.Thread(
            target=_watch_files, args=(state, stop, rebuild, ready), name="lunarsim-watch-files", daemon=True
        ),
    ]
    for thread in threads:
        thread.start()
    ready.wait(timeout=10)  # so that a save right after this returns is seen
    bound = server.server_address[1]
    return Watch(f"http://127.0.0.1:{bound}/", server, state, stop, threads)


def render(result: Result) -> str:
    """The report a re-run shows: the full report without the exact risk and decision impacts,
    which re-run the model once per risk and outcome (the page says how to get them), so that a
    re-run stays under a second."""
    from sim.report.page import report_html

    return report_html(result, impacts=False)


def _build(path: Path, iterations: int | None, seed: int | None) -> tuple[str | None, list[str], set[Path]]:
    """(report HTML or None, errors, files read) for the scenario as it is now on disk."""
    import sim

    try:
        scenario = sim.load(path)
    except ScenarioError as exc:
        return None, [str(p) for p in exc.problems], set()
    try:
        from sim.api import check_fits, iterations_for, seed_for

        n = iterations_for(scenario, iterations)
        check_fits(scenario, n)
        result = sim.simulate(scenario, n, seed_for(scenario, seed, repeatable=True), workers=1)
    except ValueError as exc:
        return None, [f"{path}: {exc}"], {Path(f).resolve() for f in scenario.files}
    return render(result), [], {Path(f).resolve() for f in scenario.files}


def _watch_files(
    state: _State, stop: threading.Event, rebuild: Callable[[], None], ready: threading.Event
) -> None:
    """Re-run on every save of a watched file. Folders are watched, not files, so that an editor
    that saves by writing a new file and renaming it over the old one is still seen. `ready` is
    set once the folders are watched (the first, possibly empty, batch of changes)."""
    import watchfiles

    while not stop.is_set():
        folders = sorted({str(f.parent) for f in state.files if f.parent.is_dir()})
        watched = set(state.files)
        try:
            for changes in watchfiles.watch(
                *folders, stop_event=stop, debounce=200, step=50, rust_timeout=200, yield_on_timeout=True
            ):
                ready.set()
                if any(Path(p).resolve() in watched for _, p in changes):
                    rebuild()
                    if state.files != watched:  # the scenario now extends another file: watch it too
                        break
        except Exception:
            # A watched folder was removed or renamed (or no folder is left): look again shortly,
            # so that the thread lives on and the next save that can be seen re-runs.
            ready.set()
            stop.wait(0.5)


def page(state: _State) -> str:
    """The page served: the last good report marked for live reload (its version and the
    version of the report in it), errors (escaped) on top. An open page shows the errors of a
    later broken save itself, without reloading the report."""
    banner = ""
    if state.errors:
        items = "".join(f"<li>{html.escape(e)}</li>" for e in state.errors)
        shown = "the last good report is shown below" if state.report else "no report yet"
        banner = (
            '<div id="lunarsim-watch-errors" role="alert" style="border:2px solid #b00020;'
            'background:#fff0f0;color:#600;padding:8px 12px;margin:0 0 12px;font:14px/1.4 sans-serif">'
            f"<strong>The scenario does not load ({shown}):</strong><ul>{items}</ul></div>"
        )
    mark = (
        f'<meta name="lunarsim-watch" content="{state.version}">'
        f'<meta name="lunarsim-watch-report" content="{state.report_version}">'
    )
    report = state.report
    if report is None:
        from sim.report.embedding import WATCH_JS, content_security_policy

        csp = html.escape(content_security_policy())
        return (
            f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">{mark}'
            f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>lunarsim watch</title></head><body>{banner}"
            f'<script id="lunarsim-watch">{WATCH_JS}</script></body></html>'
        )
    # The report is our own template's output: its <head> and <body> tags are known.
    report = report.replace("<head>", f"<head>\n{mark}", 1)
    return report.replace('<div class="page">', f'<div class="page">\n{banner}', 1) if banner else report


class _Server(ThreadingHTTPServer):
    """One thread per connection, at most MAX_CONNECTIONS of them; a connection past that is
    closed at once, so idle or stalled clients cannot pile up threads."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self.slots = threading.BoundedSemaphore(MAX_CONNECTIONS)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.slots.acquire(blocking=False):
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()


def allowed_hosts(port: int) -> set[str]:
    """The Host headers the server answers: its own address. A page on another site that makes
    its name resolve to 127.0.0.1 (DNS rebinding) sends its own name, and is refused."""
    return {f"127.0.0.1:{port}", f"localhost:{port}"}


class _Handler(BaseHTTPRequestHandler):
    """Answers the page, its state and its event stream; `state` and `stop` are set per server
    (`_handler`)."""

    state: _State
    stop: threading.Event
    timeout = IDLE_SECONDS  # a connection that sends nothing is closed, not kept forever

    def _refused(self) -> bool:
        """Answer 403 to a request for another host, or for the event stream from another page."""
        address: Any = self.server.server_address
        hosts = allowed_hosts(int(address[1]))
        if (self.headers.get("Host") or "").strip().lower() not in hosts:
            self._send(403, "text/plain; charset=utf-8", b"forbidden: wrong Host\n")
            return True
        origin = self.headers.get("Origin")
        origins = {f"http://{h}" for h in hosts}
        if self.path == "/events" and origin is not None and origin.strip().lower() not in origins:
            self._send(403, "text/plain; charset=utf-8", b"forbidden: wrong Origin\n")
            return True
        return False

    def do_GET(self) -> None:
        if self._refused():
            return
        state = self.state
        if self.path in ("/", "/index.html"):
            with state.changed:
                body = page(state).encode("utf-8")
            self._send(200, "text/html; charset=utf-8", body)
        elif self.path == "/state":
            with state.changed:
                doc = {"version": state.version, "errors": state.errors}
            self._send(200, "application/json", json.dumps(doc).encode("utf-8"))
        elif self.path == "/events":
            self._events()
        else:
            self._send(404, "text/plain; charset=utf-8", b"not found\n")

    def _send(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _events(self) -> None:
        """Server-sent events: the current version at once, then each new one."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        state, stop = self.state, self.stop
        sent = [-1]  # a list, so the wait's predicate reads the current value

        def news() -> bool:
            return state.version != sent[0] or stop.is_set()

        try:
            while not stop.is_set():
                with state.changed:
                    state.changed.wait_for(news, _KEEPALIVE_SECONDS)
                    version, errors, report = state.version, list(state.errors), state.report_version
                if stop.is_set():
                    break
                if version != sent[0]:
                    data = json.dumps({"version": version, "errors": errors, "report": report})
                    self.wfile.write(f"data: {data}\n\n".encode())
                    sent[0] = version
                else:
                    self.wfile.write(b": keep-alive\n\n")
                self.wfile.flush()
        except OSError:
            pass  # the page was closed, or stopped reading (the write timed out)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # requests are not news to the user



def _handler(state: _State, stop: threading.Event) -> type[BaseHTTPRequestHandler]:
    """The request handler of one server: `_Handler` reading this `state`, stopping on `stop`."""
    # The idle timeout is read now, per server, as the constant stands when it starts.
    return type("Handler", (_Handler,), {"state": state, "stop": stop, "timeout": IDLE_SECONDS})
