"""A real HTTP receiver on a free loopback port, recording what it is sent; its paths behave differently:
`/ok` 200, `/fail` 500, `/hang` never answers in time, `/redirect` 302 to `/ok`, `/huge` 200 with a 10 MB body
sent slowly, `/huge-fail` the same with 500, `/flaky` 500 then 200, `/stall-once` never answers the first request."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class _Server(ThreadingHTTPServer):
    # The default backlog (5) drops the SYNs of a worker's concurrent connects; the retransmit a second later
    # can outlast the attempt's deadline, and the attempt then fails without the receiver seeing it.
    request_queue_size = 256
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that went away (a worker killed mid-attempt, a timeout) is part of these tests


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str


@dataclass
class Receiver:
    port: int
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    flaky_failures: int = 1

    def url(self, path: str = "/ok") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def on(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.path == path]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0"))).decode()
            with receiver.lock:
                receiver.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                flaky_left = self.path == "/flaky" and receiver.flaky_failures > 0
                if flaky_left:
                    receiver.flaky_failures -= 1
            if self.path == "/hang":
                time.sleep(5)
            if self.path == "/stall-once" and len(receiver.on("/stall-once")) == 1:
                time.sleep(30)  # the first attempt never ends: its worker is killed meanwhile
            if self.path == "/redirect":
                self.send_response(302)
                self.send_header("location", receiver.url("/ok"))
                self.send_header("content-length", "0")
                self.end_headers()
                return
            if self.path in ("/huge", "/huge-fail"):
                self.send_response(200 if self.path == "/huge" else 500)
                self.send_header("content-length", str(10 * 1024 * 1024))
                self.end_headers()
                try:
                    for _ in range(160):  # 10 MB in 64 KB pieces, slowly
                        self.wfile.write(b"x" * 65536)
                        time.sleep(0.02)
                except OSError:
                    pass
                return
            status = 500 if self.path == "/fail" or flaky_left else 200
            self.send_response(status)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = _Server(("127.0.0.1", 0), _handler(Receiver(0)))
    rec = Receiver(server.server_address[1])
    server.RequestHandlerClass = _handler(rec)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield rec
    server.shutdown()
    server.server_close()
