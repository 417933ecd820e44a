"""A website's end of the hub's outbound webhooks, in the standard library plus the SDK: it checks
each delivery's signature and prints the event once per event id.

    .venv/bin/python examples/webhook_receiver.py --secret whsec_... --port 9000

Answer 2xx only after the event is handled for good: anything else makes the hub try again later
(deliveries are at least once, so a receiver deduplicates by the event id, as here).
"""

from __future__ import annotations

import argparse
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sdk.webhooks import WebhookSignatureError, verify_webhook

seen: set[str] = set()


def handler_for(secret: str) -> type[BaseHTTPRequestHandler]:
    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            try:
                event = verify_webhook(secret, dict(self.headers.items()), body)
            except WebhookSignatureError as error:
                print(f"refused: {error}", flush=True)
                self.send_response(400)
                self.end_headers()
                return
            if event["id"] not in seen:  # the same event may come again: handle it once
                seen.add(event["id"])
                print(json.dumps({k: event[k] for k in ("id", "type", "created_at", "data")}), flush=True)
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:  # http.server's name
            pass  # one line per event above is enough

    return Receiver


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--secret", required=True, help="the endpoint's signing secret (shown once at creation)")
    parser.add_argument("--port", type=int, default=9000)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler_for(args.secret))
    print(f"listening on http://127.0.0.1:{args.port}/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
