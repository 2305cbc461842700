#!/usr/bin/env python3
"""A stand-in for the spec example's app (fixtures/render/spec-gates/), for
trying `oamc gates` locally: its page carries the functional gate's expected
text, and /metrics exposes the series the metrics gate queries, as the
container's would look in Prometheus.

    python3 examples/gates/app.py [PORT]      (default 8080)
"""
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAGE = b"<html><body><h1>rocket shop</h1><p>launch: red button</p></body></html>\n"
METRICS = (
    b"# TYPE rocket_http_requests_duration_seconds_sum gauge\n"
    b'rocket_http_requests_duration_seconds_sum{container_name="rocket",namespace="shop"} 2.5\n'
)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body, kind = (METRICS, "text/plain; version=0.0.4") if self.path == "/metrics" else (PAGE, "text/html")
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
