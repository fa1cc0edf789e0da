"""The web pages and their static files, under content-hashed URLs cached forever.

``__STATIC__`` in the HTML becomes ``/static/<hash>``, the hash of the whole web directory at
start-up: a deploy changes every URL at once, so browsers may cache files as immutable.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, Response

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".html": "text/html",
         ".svg": "image/svg+xml", ".json": "application/json", ".png": "image/png", ".ico": "image/x-icon",
         ".woff2": "font/woff2", ".map": "application/json", ".txt": "text/plain", ".webmanifest": "application/manifest+json"}
FALLBACK = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Ringflow</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>Ringflow</h1><p>The {page} page is not installed in this build.</p></main></body></html>"""


def web_hash(root: Path) -> str:
    """A short hash of every file's path and bytes under ``root``."""
    digest = hashlib.sha256()
    if root.is_dir():
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


IMMUTABLE = "public, max-age=31536000, immutable"
GZIP_FROM = 1024  # smaller files gain nothing from compression


@dataclass(frozen=True)
class Asset:
    """One static file held in memory, with its gzip form when that is worth sending."""

    body: bytes
    gzipped: bytes | None
    media: str


class WebAssets:
    def __init__(self, root: Path = WEB_DIR):
        self.root = root.resolve()
        self.hash = web_hash(self.root)
        self.prefix = f"/static/{self.hash}"
        self._pages: dict[str, str] = {}
        self._files: dict[str, Asset] = {}

    def page(self, name: str) -> str:
        html = self._pages.get(name)
        if html is None:
            path = self.root / name
            text = path.read_text("utf-8") if path.is_file() else FALLBACK.format(page=name.removesuffix(".html"))
            html = self._pages[name] = text.replace("__STATIC__", self.prefix)
        return html

    def file(self, rel: str) -> Path | None:
        """The file for ``rel`` if it is inside the web directory and ``rel`` is its one canonical
        spelling, else None: no traversal, and no ``a/./b``, ``a//b`` or ``a/x/../b`` aliases."""
        if not rel or "\0" in rel or len(rel) > 512:
            return None
        path = (self.root / rel).resolve()
        if not path.is_file() or self.root not in path.parents or path.relative_to(self.root).as_posix() != rel:
            return None
        return path

    def asset(self, rel: str) -> Asset | None:
        """The file for ``rel`` read and compressed once: the editor page asks for ~45 small ES
        modules on every cold open, and serving them from memory keeps that waterfall short.
        Only canonical paths of real files are cached, so the cache holds at most one entry per
        file in the web directory whatever paths strangers ask for."""
        cached = self._files.get(rel)
        if cached is not None:
            return cached
        path = self.file(rel)
        if path is None:
            return None
        body = path.read_bytes()
        media = TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        packed = gzip.compress(body, compresslevel=9, mtime=0) if len(body) >= GZIP_FROM and _compressible(media) else None
        asset = self._files[rel] = Asset(body, packed if packed is not None and len(packed) < len(body) else None, media)
        return asset


def _compressible(media: str) -> bool:
    return media.startswith("text/") or media in ("application/json", "image/svg+xml", "application/manifest+json")


def editor_page(html: str, flow_id: str) -> str:
    """``__FLOW__`` becomes the flow id, so the page's first API requests (``<link rel=preload>``)
    leave with the HTML instead of after its modules; lines naming it go when the id is not a number."""
    if re.fullmatch(r"[1-9][0-9]{0,17}", flow_id):
        return html.replace("__FLOW__", flow_id)
    return "".join(line for line in html.splitlines(keepends=True) if "__FLOW__" not in line)


def _page_response(html: str) -> Response:
    return HTMLResponse(html, headers={"Cache-Control": "no-cache"})


def make_router(assets: WebAssets) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    async def index() -> Response:  # no I/O: no thread hop
        return _page_response(assets.page("index.html"))

    @router.get("/flows/{flow_id}")
    async def editor(flow_id: str) -> Response:  # the page checks access itself through the API
        return _page_response(editor_page(assets.page("editor.html"), flow_id))

    @router.get("/static/{digest}/{rel:path}")
    async def static_file(digest: str, rel: str, request: Request) -> Response:
        asset = assets.asset(rel)
        if asset is None:
            raise HTTPException(404, "no such file")
        if digest != assets.hash:  # an old page after a deploy: send it to the current file
            return Response(status_code=307, headers={"Location": f"{assets.prefix}/{rel}", "Cache-Control": "no-cache"})
        headers = {"Cache-Control": IMMUTABLE}
        if asset.gzipped is None:
            return Response(asset.body, media_type=asset.media, headers=headers)
        headers["Vary"] = "Accept-Encoding"
        if "gzip" in request.headers.get("accept-encoding", ""):
            return Response(asset.gzipped, media_type=asset.media, headers={**headers, "Content-Encoding": "gzip"})
        return Response(asset.body, media_type=asset.media, headers=headers)

    return router


def install(app: FastAPI, assets: WebAssets | None = None) -> WebAssets:
    assets = assets or WebAssets()
    app.include_router(make_router(assets))
    app.state.assets = assets
    return assets
