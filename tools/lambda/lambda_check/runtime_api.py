"""One execution environment's Lambda Runtime API (2018-06-01).

Events are handed out one at a time, as the harness submits them. A `next` with no event waiting
is held open, as Lambda holds it while the environment is idle (or frozen), until an event comes
or the environment is shut down. Each invocation is timed from the event's delivery (the answer
to `next`) to the function's response, as Lambda bills it.
"""

from __future__ import annotations

import collections
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Callable

from .expect import CheckFailed
from .loopback import QuietHandler, QuietServer, read_body, reply

BASE = "/2018-06-01/runtime"
TRACE_ID = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0"


@dataclass(frozen=True)
class Outcome:
    kind: str  # "response", "error" or "init_error"
    body: bytes
    headers: dict
    at: float  # time.monotonic()


class RuntimeApi:
    def __init__(self, function_arn: str, deadline_seconds: float):
        self.function_arn = function_arn
        self.deadline_seconds = deadline_seconds
        self.changed = threading.Condition()
        self.waiting: collections.deque[tuple[str, bytes]] = collections.deque()
        self.closing = False
        self.next_calls = 0
        self.first_next_at: float | None = None
        self.delivered: dict[str, float] = {}
        self.outcomes: dict[str, Outcome] = {}
        self.init_error: Outcome | None = None
        self.unexpected: list[str] = []
        api = self

        class Handler(QuietHandler):
            def do_GET(self):
                if self.path != f"{BASE}/invocation/next":
                    api.note_unexpected(f"GET {self.path}")
                    return reply(self, 404, b'{"errorMessage":"unknown path"}')
                api.next_invocation(self)

            def do_POST(self):
                body = read_body(self)
                if not api.finish(self.path, body, dict(self.headers)):
                    api.note_unexpected(f"POST {self.path}")
                    return reply(self, 404, b'{"errorMessage":"unknown path"}')
                reply(self, 202, b'{"status":"OK"}')

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> RuntimeApi:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        with self.changed:
            self.closing = True
            self.changed.notify_all()
        self.server.shutdown()
        self.server.server_close()

    # ---- what the function calls

    def next_invocation(self, handler: QuietHandler) -> None:
        with self.changed:
            self.next_calls += 1
            if self.first_next_at is None:
                self.first_next_at = time.monotonic()
            self.changed.notify_all()
            while not self.waiting and not self.closing:
                self.changed.wait(0.1)
            if self.closing:
                handler.close_connection = True
                return
            request_id, event = self.waiting.popleft()
            self.delivered[request_id] = time.monotonic()
        reply(handler, 200, event, {
            "Lambda-Runtime-Aws-Request-Id": request_id,
            "Lambda-Runtime-Deadline-Ms": str(int((time.time() + self.deadline_seconds) * 1000)),
            "Lambda-Runtime-Invoked-Function-Arn": self.function_arn,
            "Lambda-Runtime-Trace-Id": TRACE_ID,
        })  # fmt: skip

    def finish(self, path: str, body: bytes, headers: dict) -> bool:
        """Keeps an invocation's response or error, or the init error; False for any other path."""
        parts = path.removeprefix(f"{BASE}/").split("/")
        with self.changed:
            outcome = Outcome(parts[-1], body, headers, time.monotonic())
            if parts == ["init", "error"]:
                outcome = Outcome("init_error", body, headers, outcome.at)
                self.init_error = self.init_error or outcome
            elif len(parts) == 3 and parts[0] == "invocation" and parts[1] in self.delivered and parts[2] in ("response", "error"):
                if parts[1] in self.outcomes:
                    self.unexpected.append(f"a second outcome: {parts[2]}")
                else:
                    self.outcomes[parts[1]] = outcome
            else:
                return False
            self.changed.notify_all()
            return True

    def note_unexpected(self, what: str) -> None:
        with self.changed:
            self.unexpected.append(what)
            self.changed.notify_all()

    # ---- what the harness calls

    def submit(self, event: bytes) -> str:
        """Queues an invocation; the function gets it at its (next) `next`. Returns its request id."""
        request_id = str(uuid.uuid4())
        with self.changed:
            self.waiting.append((request_id, event))
            self.changed.notify_all()
        return request_id

    def wait_for(self, predicate: Callable[[], bool], timeout: float, process: subprocess.Popen) -> bool:
        """Waits until `predicate` holds, the process exits, it reports an init error, or `timeout` passes."""
        end = time.monotonic() + timeout
        with self.changed:
            while not predicate():
                if process.poll() is not None or self.init_error is not None:
                    return predicate()
                remaining = end - time.monotonic()
                if remaining <= 0:
                    return False
                self.changed.wait(min(remaining, 0.05))
            return True

    def invoke(self, event: bytes, timeout: float, process: subprocess.Popen) -> tuple[Outcome, float]:
        """Hands the function `event`: its outcome and how long it took (ms), or raises CheckFailed."""
        request_id = self.submit(event)
        if not self.wait_for(lambda: request_id in self.outcomes, timeout, process):
            if self.init_error is not None:
                raise CheckFailed(f"it reported an init error: {self.init_error.body.decode(errors='replace')}")
            if process.poll() is not None:
                raise CheckFailed(f"it exited with {process.returncode} during a warm invocation")
            raise CheckFailed(f"no answer to a warm invocation within {timeout:.0f} s")
        return self.outcomes[request_id], self.took_ms(request_id)

    def took_ms(self, request_id: str) -> float:
        return (self.outcomes[request_id].at - self.delivered[request_id]) * 1000
