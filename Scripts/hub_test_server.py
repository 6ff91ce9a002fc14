#!/usr/bin/env python3
"""A stand-in for the Hugging Face Hub on 127.0.0.1, for vittrain's Hub tests (stdlib only).

Serves the Hub's URL layout and headers, as huggingface_hub reads them (file_download.py):
  HEAD|GET /ORG/NAME/resolve/REVISION/FILE
    LFS files (*.safetensors, *.bin): 302 to the "CDN" (/cdn/<sha256>), with X-Repo-Commit,
      X-Linked-Etag ("<sha256>"), X-Linked-Size and the pointer's ETag;
    other files: 200 with ETag ("<git blob sha1>"), X-Repo-Commit, Content-Length.
    Errors carry X-Error-Code: RepoNotFound, RevisionNotFound, EntryNotFound (404) or 401.
  GET /cdn/<sha256>   the bytes; honours `Range: bytes=N-` (206 + Content-Range).

Usage: hub_test_server.py --repo ORG/NAME=DIR [...] --port-file F --log F [options]
  --moved OLD=NEW   a renamed repository: /OLD/... answers 307 with a relative Location to /NEW/...
  --token T         require `Authorization: Bearer T` on /resolve (else 401, as for a private repo)
  --cut-after N     the first --cut-times CDN answers send N body bytes, then drop the connection
  --corrupt         the CDN flips one byte of every blob (the etag stays the true sha256)
  --cdn-host H      the host in CDN redirects (default localhost: not 127.0.0.1, since the Hub's CDN
                    is another host, which must not receive the token and whose redirect is not followed)
  --lifetime S      stop after S seconds; --max-requests N stop after N requests (bounded either way)
Writes the chosen port to --port-file (atomically) once listening, and one JSON line per
request to --log: method, path, range, authorization.
"""
import argparse
import hashlib
import json
import os
import socket
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LFS_SUFFIXES = (".safetensors", ".bin", ".h5", ".pt")


class Repo:
    def __init__(self, repo_id, folder):
        self.repo_id = repo_id
        self.files = {}
        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                with open(path, "rb") as f:
                    self.files[name] = f.read()
        digest = hashlib.sha1(repo_id.encode())
        for name, data in self.files.items():
            digest.update(name.encode() + b"\0" + data)
        self.commit = digest.hexdigest()

    @staticmethod
    def git_blob_sha1(data):
        return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", action="append", default=[])
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--moved", action="append", default=[])
    parser.add_argument("--token")
    parser.add_argument("--cut-after", type=int)
    parser.add_argument("--cut-times", type=int, default=1)
    parser.add_argument("--corrupt", action="store_true")
    parser.add_argument("--cdn-host", default="localhost")   # another host, as the Hub's CDN is
    parser.add_argument("--lifetime", type=float, default=120)
    parser.add_argument("--max-requests", type=int, default=200)
    args = parser.parse_args()

    repos = {}
    for spec in args.repo:
        repo_id, folder = spec.split("=", 1)
        repos[repo_id] = Repo(repo_id, folder)
    blobs = {}
    for repo in repos.values():
        for name, data in repo.files.items():
            if name.endswith(LFS_SUFFIXES):
                blobs[hashlib.sha256(data).hexdigest()] = data
    moved = dict(spec.split("=", 1) for spec in args.moved)
    state = {"requests": 0, "cuts": 0}
    lock = threading.Lock()
    log = open(args.log, "a", buffering=1)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_):
            pass

        def record(self):
            with lock:
                state["requests"] += 1
                log.write(json.dumps({"method": self.command, "path": self.path,
                                      "range": self.headers.get("Range"),
                                      "authorization": self.headers.get("Authorization")}) + "\n")
                if state["requests"] >= args.max_requests:
                    threading.Thread(target=server.shutdown, daemon=True).start()

        def answer(self, status, headers=(), body=b""):
            self.send_response(status)
            for key, value in headers:
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command == "GET":
                self.wfile.write(body)

        def error(self, status, code, message, extra=()):
            self.answer(status, [("X-Error-Code", code), ("X-Error-Message", message)] + list(extra),
                        message.encode())

        def do_HEAD(self):
            self.do_GET()

        def do_GET(self):
            self.record()
            path = urllib.parse.urlsplit(self.path).path
            if path.startswith("/cdn/"):
                return self.cdn(path[len("/cdn/"):])
            parts = path.strip("/").split("/")
            if len(parts) < 5 or parts[2] != "resolve":
                return self.error(404, "NotFound", "no such route")
            repo_id, revision = "/".join(parts[:2]), urllib.parse.unquote(parts[3])
            if repo_id in moved:
                return self.answer(307, [("Location", "/" + moved[repo_id] + "/" + "/".join(parts[2:]))])
            filename = "/".join(parts[4:])
            if args.token is not None:
                sent = self.headers.get("Authorization")
                if sent != "Bearer " + args.token:
                    message = "Invalid credentials in Authorization header" if sent else "Repository not found"
                    return self.error(401, "RepoNotFound", message)
            repo = repos.get(repo_id)
            if repo is None:
                return self.error(404, "RepoNotFound", "Repository not found")
            if revision not in ("main", repo.commit):
                return self.error(404, "RevisionNotFound", "Invalid rev id: " + revision)
            commit = [("X-Repo-Commit", repo.commit)]
            data = repo.files.get(filename)
            if data is None:
                return self.error(404, "EntryNotFound", "Entry not found", commit)
            if filename.endswith(LFS_SUFFIXES):
                sha = hashlib.sha256(data).hexdigest()
                location = "http://%s:%d/cdn/%s?signature=x" % (args.cdn_host, server.server_port, sha)
                body = ("Found. Redirecting to " + location).encode()
                return self.answer(302, commit + [
                    ("Location", location), ("X-Linked-Etag", '"%s"' % sha),
                    ("X-Linked-Size", str(len(data))), ("ETag", '"%s"' % Repo.git_blob_sha1(sha.encode()))], body)
            return self.answer(200, commit + [("ETag", '"%s"' % Repo.git_blob_sha1(data))], data)

        def cdn(self, sha):
            data = blobs.get(sha)
            if data is None:
                return self.error(404, "NotFound", "no such blob")
            if args.corrupt:
                data = bytes([data[0] ^ 0xFF]) + data[1:]
            start = 0
            wanted = self.headers.get("Range")
            if wanted and wanted.startswith("bytes=") and wanted.endswith("-"):
                start = int(wanted[len("bytes="):-1])
            body = data[start:]
            self.send_response(206 if start else 200)
            if start:
                self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Accept-Ranges", "bytes")
            self.end_headers()
            if self.command != "GET":
                return
            with lock:
                cut = args.cut_after is not None and state["cuts"] < args.cut_times
                if cut:
                    state["cuts"] += 1
            if cut:
                self.wfile.write(body[:args.cut_after])
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    temporary = args.port_file + ".tmp"
    with open(temporary, "w") as f:
        f.write(str(server.server_port))
    os.replace(temporary, args.port_file)
    timer = threading.Timer(args.lifetime, server.shutdown)
    timer.daemon = True
    timer.start()
    server.serve_forever()
    log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
