"""Release files answered from disk: a file larger than the cache's item size is read in chunks
as it is sent, never whole (a 10M-triple dump is gigabytes), with the right bytes, Content-Length,
SHA-256 ETag and 304, and byte ranges (206, 416, If-Range); small files still come from the cache."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import httpx
import pytest

from ilograph.pages import Publication
from ilograph.store import InProcessStore, read_release
from ilograph.web import Settings, create_app
from ilograph.web.linked import CHUNK, FileResponse

from ..web.test_app import call

SMALL = 64 * 1024  # the cache's item size here: the dumps are larger, so they are streamed


@pytest.fixture(scope="module")
def sums(release) -> dict[str, str]:
    lines = (Path(release.path) / "SHA256SUMS").read_text().splitlines()
    return {name: digest for digest, _, name in (line.partition("  ") for line in lines)}


@pytest.fixture(scope="module")
def app(release):
    info = read_release(Path(release.path))
    return create_app(Settings(cache_item_bytes=SMALL), InProcessStore(info), publication=Publication.open(info.folder))


def test_a_large_file_is_answered_from_disk_with_its_checksum(app, release, sums) -> None:
    folder = Path(release.path)
    name = "ilograph.nq"
    size = (folder / name).stat().st_size
    assert size > max(SMALL, CHUNK)
    r = call(app, "GET", f"/download/{name}")
    assert r.status_code == 200 and r.headers["content-length"] == str(size) and len(r.content) == size
    assert hashlib.sha256(r.content).hexdigest() == sums[name] and r.headers["etag"] == f'"{sums[name]}"'
    assert r.headers["content-type"] == "application/n-quads" and r.headers["accept-ranges"] == "bytes"
    again = call(app, "GET", f"/download/{name}", headers={"if-none-match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    head = call(app, "HEAD", f"/download/{name}")
    assert head.status_code == 200 and head.headers["content-length"] == str(size) and head.content == b""
    gz = call(app, "GET", f"/download/{name}.gz")
    assert gz.headers["content-type"] == "application/gzip" and "content-encoding" not in gz.headers
    assert hashlib.sha256(gz.content).hexdigest() == sums[f"{name}.gz"]


def test_byte_ranges(app, release) -> None:
    data = (Path(release.path) / "ilograph.nt").read_bytes()
    size = len(data)
    for asked, (start, end) in (("bytes=0-99", (0, 100)), ("bytes=1000-", (1000, size)), ("bytes=-500", (size - 500, size)),
                                (f"bytes=100-{size + 50}", (100, size))):
        r = call(app, "GET", "/download/ilograph.nt", headers={"range": asked})
        assert r.status_code == 206, asked
        assert r.content == data[start:end] and r.headers["content-length"] == str(end - start)
        assert r.headers["content-range"] == f"bytes {start}-{end - 1}/{size}"
    refused = call(app, "GET", "/download/ilograph.nt", headers={"range": f"bytes={size}-"})
    assert refused.status_code == 416 and refused.headers["content-range"] == f"bytes */{size}"
    etag = call(app, "HEAD", "/download/ilograph.nt").headers["etag"]
    kept = call(app, "GET", "/download/ilograph.nt", headers={"range": "bytes=0-9", "if-range": etag})
    assert kept.status_code == 206 and kept.content == data[:10]
    stale = call(app, "GET", "/download/ilograph.nt", headers={"range": "bytes=0-9", "if-range": '"another"'})
    assert stale.status_code == 200 and stale.content == data  # the file changed: all of it
    several = call(app, "GET", "/download/ilograph.nt", headers={"range": "bytes=0-9,20-29"})
    assert several.status_code == 200 and several.content == data


def test_a_small_file_is_kept_in_the_cache(app, release, sums) -> None:
    first = call(app, "GET", "/download/context.jsonld")
    assert first.status_code == 200 and hashlib.sha256(first.content).hexdigest() == sums["context.jsonld"]
    assert ("file", "context.jsonld") in app.linked.cache._data


def test_a_streamed_file_is_read_chunk_by_chunk(release) -> None:
    path = Path(release.path) / "ilograph.nq"
    data = path.read_bytes()

    async def chunks(response: FileResponse) -> list[bytes]:
        return [c async for c in response.stream()]

    whole = asyncio.run(chunks(FileResponse(200, path, 0, len(data), "application/n-quads", [])))
    assert len(whole) == -(-len(data) // CHUNK) and all(len(c) <= CHUNK for c in whole) and b"".join(whole) == data
    part = asyncio.run(chunks(FileResponse(206, path, 10, CHUNK + 30, "application/n-quads", [])))
    assert b"".join(part) == data[10:CHUNK + 30] and len(part) == 2


def test_the_app_sends_a_large_file_in_chunks(app) -> None:
    messages: list[dict] = []
    scope = {"type": "http", "method": "GET", "path": "/download/ilograph.nq", "query_string": b"", "headers": [],
             "scheme": "http", "server": ("127.0.0.1", 80)}

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        messages.append(message)

    asyncio.run(app(scope, receive, send))
    bodies = [m for m in messages if m["type"] == "http.response.body"]
    assert len(bodies) > 1 and all(len(m["body"]) <= CHUNK for m in bodies)


def test_a_live_server_serves_the_dump_whole(copy_project, tmp_path: Path) -> None:
    from ..web.conftest import start_server

    root = copy_project()
    server = start_server(root, tmp_path / "serve.log", "--workers", "1", ready_within=600)  # builds first
    try:
        folder = (root / "dist").resolve()
        digest = dict(reversed(line.split("  ")) for line in (folder / "SHA256SUMS").read_text().splitlines())
        with httpx.stream("GET", f"{server.url}/download/ilograph.nq", timeout=30) as r:
            body = b"".join(r.iter_bytes())
            assert r.status_code == 200 and r.headers["content-length"] == str(len(body))
        assert hashlib.sha256(body).hexdigest() == digest["ilograph.nq"]
        part = httpx.get(f"{server.url}/download/ilograph.nq", headers={"range": "bytes=5-14"}, timeout=30)
        assert part.status_code == 206 and part.content == body[5:15]
    finally:
        assert server.stop() == 0
