"""A local HTTP mirror on 127.0.0.1 that behaves like S3 for downloads: HEAD with Content-Length and an
MD5 ETag, GET with ``Range: bytes=N-`` answered 206, 404 for a missing key, and the faults a real
network has, on demand: a connection dropped mid-file, corrupted bytes, a stall, a slow link.
Every request is logged as (method, path, Range header)."""
from __future__ import annotations

import hashlib
import http.server
import threading
import time
from pathlib import Path


class MirrorServer:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.log = []
        self.drop_once = set()       # paths whose next GET sends half the bytes, then drops the connection
        self.corrupt_once = set()    # paths whose next GET sends flipped bytes (same length, same ETag)
        self.stall = {}              # path -> threading.Event: send half, then wait for the event
        self.stalled = threading.Event()   # set when a stall began
        self.seconds_per_chunk = 0.0 # slow link: sleep this long per 8 KiB
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):   # quiet
                pass

            def _file(self):
                path = server.root / self.path.lstrip("/")
                return path if path.is_file() else None

            def _headers(self, path, status, start, size):
                self.send_response(status)
                self.send_header("Content-Length", str(size - start))
                self.send_header("ETag", f'"{hashlib.md5(path.read_bytes()).hexdigest()}"')
                self.send_header("Accept-Ranges", "bytes")
                if status == 206:
                    self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
                self.end_headers()

            def do_HEAD(self):
                server.log.append(("HEAD", self.path, None))
                path = self._file()
                if path is None:
                    self.send_error(404)
                    return
                self._headers(path, 200, 0, path.stat().st_size)

            def do_GET(self):
                requested = self.headers.get("Range")
                server.log.append(("GET", self.path, requested))
                path = self._file()
                if path is None:
                    self.send_error(404)
                    return
                data = path.read_bytes()
                start = int(requested.split("=")[1].split("-")[0]) if requested else 0
                if start >= len(data):
                    self.send_error(416)
                    return
                self._headers(path, 206 if start else 200, start, len(data))
                body = data[start:]
                if self.path in server.corrupt_once:
                    server.corrupt_once.discard(self.path)
                    body = bytes(b ^ 0xFF for b in body)
                if self.path in server.drop_once or self.path in server.stall:
                    self.wfile.write(body[:len(body) // 2])
                    self.wfile.flush()
                    if self.path in server.stall:
                        server.stalled.set()
                        server.stall[self.path].wait(120)
                    server.drop_once.discard(self.path)
                    self.close_connection = True
                    return
                for offset in range(0, len(body), 8192):
                    self.wfile.write(body[offset:offset + 8192])
                    if server.seconds_per_chunk:
                        time.sleep(server.seconds_per_chunk)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        for event in self.stall.values():
            event.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def requests(self, method="GET", containing=""):
        return [entry for entry in self.log if entry[0] == method and containing in entry[1]]
