"""``Request.disconnected()``: what App needs to stop a query whose client went away (issue 5, item
4; the live test is ``test_expensive.py::test_a_client_that_disconnects_frees_its_worker``)."""

from __future__ import annotations

import asyncio

from ilograph.web.http import Request


def request(messages: list[dict], method: str = "POST") -> tuple[Request, list[dict]]:
    queue: asyncio.Queue[dict] = asyncio.Queue()
    for m in messages:
        queue.put_nowait(m)
    scope = {"type": "http", "method": method, "path": "/sparql", "query_string": b"", "headers": []}
    return Request(scope, queue.get), messages


def test_it_returns_when_the_client_goes_away_after_the_body() -> None:
    async def run() -> bytes:
        req, _ = request([{"type": "http.request", "body": b"ASK", "more_body": True},
                          {"type": "http.request", "body": b" {}", "more_body": False},
                          {"type": "http.disconnect"}])
        body = await req.body(1000)
        await asyncio.wait_for(req.disconnected(), 1)
        return body

    assert asyncio.run(run()) == b"ASK {}"


def test_a_get_skips_its_empty_body_and_waits() -> None:
    async def run() -> None:
        queue: asyncio.Queue[dict] = asyncio.Queue()
        queue.put_nowait({"type": "http.request", "body": b"", "more_body": False})
        scope = {"type": "http", "method": "GET", "path": "/sparql", "query_string": b"q", "headers": []}
        req = Request(scope, queue.get)
        waiting = asyncio.ensure_future(req.disconnected())
        await asyncio.sleep(0.05)
        assert not waiting.done()  # the client is still there
        queue.put_nowait({"type": "http.disconnect"})
        await asyncio.wait_for(waiting, 1)

    asyncio.run(run())


def test_it_can_be_cancelled_when_the_answer_is_ready_first() -> None:
    async def run() -> None:
        req, _ = request([{"type": "http.request", "body": b"", "more_body": False}], "GET")
        waiting = asyncio.ensure_future(req.disconnected())
        await asyncio.sleep(0.01)
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)
        assert waiting.cancelled()

    asyncio.run(run())
