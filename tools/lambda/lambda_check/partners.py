"""The delivery company's and customer service's APIs, stood in for on loopback.

The template gives each partner's URL (a serverless.yml param); the functions are pointed here
instead, the URL's path kept, as AWS_ENDPOINT_URL points them at moto. Every call is kept and
answered 202.
"""

from __future__ import annotations

import json
import threading
from urllib.parse import urlsplit

from .loopback import QuietHandler, QuietServer, read_body, reply

# The variables that name a partner's URL (crates/aws/src/config.rs).
PARTNER_URL_VARIABLES = ("DELIVERY_API_URL", "CUSTOMER_SERVICE_API_URL")


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


class PartnerApis:
    def __init__(self):
        self.calls: list[dict] = []
        self.lock = threading.Lock()
        partners = self

        class Handler(QuietHandler):
            def do_POST(self):
                body = read_body(self)
                try:
                    parsed = json.loads(body)
                except ValueError:
                    parsed = None
                with partners.lock:
                    partners.calls.append({
                        "path": self.path,
                        "idempotencyKey": self.headers.get("Idempotency-Key"),
                        "contentType": self.headers.get("Content-Type"),
                        "body": parsed,
                    })  # fmt: skip
                reply(self, 202, b'{"accepted":true}')

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stand_in_for(self, url: str) -> str:
        """The URL of this stand-in for a partner's real URL: same path and query."""
        return self.base_url + path_of(url)

    def calls_to(self, url: str) -> list[dict]:
        """The calls made to `url` (a stand-in URL) so far."""
        path = path_of(url)
        with self.lock:
            return [call for call in self.calls if call["path"] == path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
