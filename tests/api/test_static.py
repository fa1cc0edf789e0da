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
