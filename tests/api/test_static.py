"""Web pages and static files: __STATIC__ rewritten to a content-hashed prefix cached forever."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from ringflow.api import static


def _site(tmp_path: Path) -> Path:
    web = tmp_path / "web"
    (web / "js").mkdir(parents=True)
    (web / "index.html").write_text('<script type="module" src="__STATIC__/js/app.js"></script>')
    (web / "editor.html").write_text('<link rel="stylesheet" href="__STATIC__/app.css">editor')
    (web / "js" / "app.js").write_text("export const x = 1;")
    (web / "app.css").write_text("body{}")
    (tmp_path / "secret.txt").write_text("nope")
    return web


def test_pages_get_the_hashed_prefix_and_files_are_immutable(tmp_path: Path) -> None:
    app = FastAPI()
    assets = static.install(app, static.WebAssets(_site(tmp_path)))
    with TestClient(app) as c:
        page = c.get("/").text
        assert f'src="/static/{assets.hash}/js/app.js"' in page and "__STATIC__" not in page
        assert f"/static/{assets.hash}/app.css" in c.get("/flows/42").text
        r = c.get(f"/static/{assets.hash}/js/app.js")
        assert r.status_code == 200 and r.text == "export const x = 1;"
        assert r.headers["content-type"].startswith("text/javascript")
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert c.get(f"/static/{assets.hash}/app.css").headers["content-type"].startswith("text/css")
        old = c.get("/static/0123456789ab/js/app.js", follow_redirects=False)
        assert old.status_code == 307 and old.headers["location"] == f"/static/{assets.hash}/js/app.js"
        assert c.get(f"/static/{assets.hash}/../secret.txt").status_code == 404
        assert c.get(f"/static/{assets.hash}/%2e%2e/secret.txt").status_code == 404
        assert c.get(f"/static/{assets.hash}/missing.js").status_code == 404


def test_hash_changes_with_content(tmp_path: Path) -> None:
    web = _site(tmp_path)
    before = static.web_hash(web)
    (web / "js" / "app.js").write_text("export const x = 2;")
    assert static.web_hash(web) != before and len(before) == 12


def test_files_are_gzipped_once_for_clients_that_accept_it(tmp_path: Path) -> None:
    web = _site(tmp_path)
    (web / "js" / "big.js").write_text("export const words = `" + "ringflow " * 400 + "`;")
    app = FastAPI()
    assets = static.install(app, static.WebAssets(web))
    with TestClient(app) as c:
        url = f"/static/{assets.hash}/js/big.js"
        packed = c.get(url, headers={"Accept-Encoding": "gzip"})
        assert packed.headers["content-encoding"] == "gzip" and packed.headers["vary"] == "Accept-Encoding"
        assert packed.text.startswith("export const words") and int(packed.headers["content-length"]) < 500
        plain = c.get(url, headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers and plain.text == packed.text
        small = c.get(f"/static/{assets.hash}/js/app.js", headers={"Accept-Encoding": "gzip"})
        assert "content-encoding" not in small.headers  # too small to gain anything


def test_editor_page_names_its_flow_for_the_early_requests(tmp_path: Path) -> None:
    web = _site(tmp_path)
    (web / "editor.html").write_text('<link rel="preload" as="fetch" href="/api/v1/flows/__FLOW__">\n<p>editor</p>\n')
    app = FastAPI()
    static.install(app, static.WebAssets(web))
    with TestClient(app) as c:
        assert '<link rel="preload" as="fetch" href="/api/v1/flows/42">' in c.get("/flows/42").text
        for odd in ("abc", "0", "4%3Cscript%3E", "1" * 30):
            page = c.get(f"/flows/{odd}").text
            assert "preload" not in page and "__FLOW__" not in page and "<p>editor</p>" in page


def test_five_thousand_spellings_of_one_file_do_not_grow_the_cache() -> None:
    """Issue 14, M4: the cache was keyed by the raw path, so every alias of engine.js (unauthenticated)
    added a copy: 5,000 of them held 131 MB. Only the canonical path is served and cached now."""
    app = FastAPI()
    assets = static.install(app, static.WebAssets())
    with TestClient(app) as c:
        assert c.get(f"/static/{assets.hash}/js/engine/engine.js").status_code == 200
        assert len(assets._files) == 1
        for k in range(1, 2501):
            for path in ("js/" + "./" * k + "engine/engine.js", "js/" + "/" * k + "engine/engine.js"):
                assert assets.asset(path) is None
        for k in range(1, 101):  # and over HTTP (the client itself folds "./"; "//" reaches the app)
            for path in ("js/" + "./" * k + "engine/engine.js", "js/" + "/" * k + "engine/engine.js"):
                assert c.get(f"/static/0/{path}", follow_redirects=False).status_code in (307, 404)
        assert len(assets._files) == 1  # the one canonical entry, nothing per spelling
        assert c.get(f"/static/{assets.hash}/js/engine/../engine/engine.js").status_code in (200, 404)
        assert len(assets._files) == 1
