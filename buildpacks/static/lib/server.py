"""Static file server of the paas static buildpack (Python standard library only).

Serves the document root on $PORT, configured by static.json in the app directory:

  {
    "root": "dist",                      # default: public/ if it exists, else the app directory
    "routes": {"/**": "index.html"},     # fallbacks for paths with no file (an SPA); "spa": true is the same
    "clean_urls": true,                  # /about serves about.html
    "error_page": "404.html",            # sent with status 404
    "headers": {"/assets/**": {"Cache-Control": "public, max-age=60"}}
  }

Gzip: NAME.gz next to NAME (made at build time) is sent to clients that accept gzip.
Caching: ETag and Last-Modified with 304 answers; files whose names carry a content hash
(app.3f2a9c1b.js) are cacheable for a year, HTML is revalidated every time, the rest for an hour.
Paths with a segment starting with "." are never served.

`python3 server.py --check` prints the document root, or the problem with static.json (exit 1).
"""
import email.utils
import fnmatch
import json
import mimetypes
import os
import posixpath
import re
import signal
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

APP_DIR = os.environ.get("STATIC_APP_DIR", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
HASHED = re.compile(r"[.-][0-9a-fA-F]{8,}\.|[.-][A-Za-z0-9_]{8,}\.(?:js|css|mjs|woff2?)$")
mimetypes.add_type("application/javascript", ".mjs")
mimetypes.add_type("application/manifest+json", ".webmanifest")
mimetypes.add_type("application/wasm", ".wasm")


class ConfigError(Exception):
    pass


def glob_to_regex(pattern):
    """/** matches any path, /* one segment: routes and headers patterns, as static.json has them."""
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile("^" + out + "$")


def load_config(app_dir):
    path = os.path.join(app_dir, "static.json")
    raw = {}
    if os.path.exists(path):
        try:
            with open(path, encoding="utf-8") as f:
                raw = json.load(f)
        except (OSError, ValueError) as e:
            raise ConfigError("static.json is not valid JSON: %s" % e)
        if not isinstance(raw, dict):
            raise ConfigError("static.json must hold an object")
    root_name = raw.get("root")
    if root_name is None:
        root_name = "public" if os.path.isdir(os.path.join(app_dir, "public")) else "."
    if not isinstance(root_name, str):
        raise ConfigError('static.json "root" must be a string')
    root = os.path.realpath(os.path.join(app_dir, root_name))
    if root != app_dir and not root.startswith(app_dir + os.sep):
        raise ConfigError('static.json "root" must be inside the app')
    if not os.path.isdir(root):
        raise ConfigError('document root "%s" does not exist' % root_name)
    routes = raw.get("routes") or {}
    if raw.get("spa") is True:
        routes = dict(routes, **{"/**": "index.html"})
    headers = raw.get("headers") or {}
    if not isinstance(routes, dict) or not all(isinstance(v, str) for v in routes.values()):
        raise ConfigError('static.json "routes" must map path patterns to files')
    if not isinstance(headers, dict) or not all(isinstance(v, dict) for v in headers.values()):
        raise ConfigError('static.json "headers" must map path patterns to header objects')
    error_page = raw.get("error_page")
    if error_page is not None and not isinstance(error_page, str):
        raise ConfigError('static.json "error_page" must be a string')
    return {
        "root": root,
        "routes": [(glob_to_regex(k), v.lstrip("/")) for k, v in routes.items()],
        "clean_urls": raw.get("clean_urls") is True,
        "error_page": error_page.lstrip("/") if error_page else None,
        "headers": [(glob_to_regex(k), {str(h): str(v) for h, v in hs.items()}) for k, hs in headers.items()],
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "paas-static"
    sys_version = ""
    config = None

    def log_message(self, format, *args):  # the router logs requests
        pass

    def do_HEAD(self):
        self.serve(head=True)

    def do_GET(self):
        self.serve(head=False)

    def file_for(self, url_path):
        """The file a URL path names, or None. Never outside the root, never a dot-path."""
        segments = [s for s in url_path.split("/") if s not in ("", ".")]
        if any(s.startswith(".") for s in segments):
            return None
        root = self.config["root"]
        path = os.path.join(root, *segments) if segments else root
        if os.path.isdir(path):
            path = os.path.join(path, "index.html")
        elif not os.path.isfile(path) and self.config["clean_urls"] and not url_path.endswith("/"):
            path = path + ".html"
        real = os.path.realpath(path)
        if not real.startswith(root + os.sep) or not os.path.isfile(real):
            return None
        return real

    def serve(self, head):
        url_path = posixpath.normpath(urllib.parse.unquote(urllib.parse.urlsplit(self.path).path))
        if not url_path.startswith("/"):
            url_path = "/" + url_path
        status = 200
        path = self.file_for(url_path)
        if path is None:
            for pattern, target in self.config["routes"]:
                if pattern.match(url_path):
                    path = self.file_for("/" + target)
                    break
        if path is None:
            status = 404
            page = self.config["error_page"]
            path = self.file_for("/" + page) if page else None
            if path is None:
                return self.send_text(404, "Not Found\n", head)
        self.send_file(path, url_path, status, head)

    def send_text(self, status, text, head):
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def send_file(self, path, url_path, status, head):
        st = os.stat(path)
        etag = '"%x-%x"' % (int(st.st_mtime), st.st_size)
        ctype = mimetypes.guess_type(path)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype in ("application/javascript", "application/json", "image/svg+xml"):
            ctype += "; charset=utf-8"
        name = os.path.basename(path)
        if name.endswith((".html", ".htm")) or status != 200:
            cache = "no-cache"
        elif HASHED.search(name):
            cache = "public, max-age=31536000, immutable"
        else:
            cache = "public, max-age=3600"
        extra = {}
        for pattern, headers in self.config["headers"]:
            if pattern.match(url_path):
                extra.update(headers)
        if status == 200 and (self.not_modified(etag, st.st_mtime) or self.not_modified(etag[:-1] + '-gz"', st.st_mtime)):
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Cache-Control", extra.get("Cache-Control", cache))
            self.end_headers()
            return
        send = path
        gz = path + ".gz"
        accepts_gzip = "gzip" in self.headers.get("Accept-Encoding", "")
        if accepts_gzip and not path.endswith(".gz") and os.path.isfile(gz):
            send = gz
        if send == gz:
            etag = etag[:-1] + '-gz"'
        size = os.path.getsize(send)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(size))
        self.send_header("Cache-Control", cache)
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", email.utils.formatdate(st.st_mtime, usegmt=True))
        if os.path.isfile(gz) or send == gz:
            self.send_header("Vary", "Accept-Encoding")
        if send == gz:
            self.send_header("Content-Encoding", "gzip")
        for header, value in extra.items():
            self.send_header(header, value)
        self.end_headers()
        if head:
            return
        with open(send, "rb") as f:
            while True:
                chunk = f.read(64 * 1024)
                if not chunk:
                    break
                self.wfile.write(chunk)

    def not_modified(self, etag, mtime):
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            return etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
        ims = self.headers.get("If-Modified-Since")
        if ims:
            try:
                return int(mtime) <= email.utils.parsedate_to_datetime(ims).timestamp()
            except (TypeError, ValueError):
                return False
        return False


def main():
    app_dir = os.path.realpath(APP_DIR)
    try:
        config = load_config(app_dir)
    except ConfigError as e:
        print(str(e))
        sys.exit(1)
    if "--check" in sys.argv:
        print(config["root"])
        return
    Handler.config = config
    port = int(os.environ.get("PORT", "5000"))
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("paas-static: serving %s on port %d" % (config["root"], port), flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass


if __name__ == "__main__":
    main()
