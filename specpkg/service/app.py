"""The test service's HTTP interface: DCC Boxed's paths, on Starlette (issue 20).

=====================================  ===================================================
``POST /api/v1/serviceT``              Transform Service, command variant 4: the signed
                                       reply, I0 with the Pre-Command, or the DUIS error
``POST /api/v1/serviceS``              Send Command Service, command variant 5: I99; the
                                       Service Response follows at the User's receiver
``POST /api/v1/serviceD``              Non-Device Service: the reset is a device request,
                                       so the DUIS error
``GET  /admin/status``                 counts of requests, outcomes, deliveries
``GET  /admin/requests/{id}``          one request: its state, code and outcome
``GET  /admin/quarantine``             the quarantined commands and their decisions
``POST /admin/quarantine/{id}/release`` release a quarantined command (TR-10)
``POST /admin/quarantine/{id}/reject``  reject it
``PUT  /admin/thresholds/{user}``      a User's volume and data value thresholds (JSON)
``GET  /admin/deliveries``             the delivery queue (``?state=undeliverable``)
``POST /admin/deliveries/{n}/requeue`` send an undeliverable message again
=====================================  ===================================================

DUIS documents travel as ``application/xml`` both ways. A body of another content
type gets HTTP 415 (DUIS has no response for it); a body over the DUIS size cap is
read no further and gets the DUIS error for its size; unsigned, badly signed and
every other refused request gets its DUIS error response, signed by the DCC. The
admin endpoints speak JSON and are not authenticated: bind the service to
127.0.0.1 (the default).
"""

from __future__ import annotations

import contextlib
import logging

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from specpkg.anomaly.thresholds import Threshold
from specpkg.duis.codes import DuisError, ResponseCode
from specpkg.duis.xmlsafe import MAX_BYTES
from specpkg.errors import SpecError
from specpkg.service.core import Service
from specpkg.service.delivery import Deliverer

log = logging.getLogger("specpkg.service")
XML = "application/xml"
XML_TYPES = ("application/xml", "text/xml")


def _xml(body: bytes) -> Response:
    return Response(body, media_type=XML)


async def _body(request: Request) -> bytes | Response:
    """The request body, at most one byte over the DUIS cap; or the 415 response."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in XML_TYPES:
        return PlainTextResponse(f"content type {kind or '(none)'!r}: DUIS requests are "
                                 f"{XML}", status_code=415)
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_BYTES:
            break  # the cap is exceeded: the parser refuses it for its size
    return bytes(data[: MAX_BYTES + 1])


def build_app(service: Service) -> Starlette:
    """The Starlette application over ``service``; its lifespan runs the deliveries."""
    deliverer: Deliverer | None = None

    async def handle(request: Request, step) -> Response:
        body = await _body(request)
        if isinstance(body, Response):
            return body
        reply = await run_in_threadpool(step, body)
        if deliverer is not None:
            deliverer.wake()
        return _xml(reply)

    async def service_t(request: Request) -> Response:
        return await handle(request, service.transform)

    async def service_s(request: Request) -> Response:
        return await handle(request, service.send)

    async def service_d(request: Request) -> Response:
        body = await _body(request)
        if isinstance(body, Response):
            return body
        error = DuisError(ResponseCode.WRONG_SERVICE_REFERENCE,
                          "the Non-Device Service takes non-device requests (command variants "
                          "2, 6, 8); Reset Debt Register is a device request: send it to "
                          "/api/v1/serviceT")
        return _xml(await run_in_threadpool(service.dcc.refuse, error))

    async def status(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(service.status))

    async def one_request(request: Request) -> Response:
        row = service.store.request(request.path_params["request_id"].upper())
        return JSONResponse(row) if row else JSONResponse({"error": "unknown request"}, 404)

    async def quarantine(request: Request) -> Response:
        return JSONResponse(service.store.rows("quarantine"))

    async def decide(request: Request) -> Response:
        action = request.path_params["action"]
        key = request.path_params["request_id"]
        if action not in ("release", "reject"):
            return JSONResponse({"error": f"no action {action!r}"}, 404)
        try:
            await run_in_threadpool(getattr(service, action), key)
        except SpecError as exc:
            return JSONResponse({"error": str(exc)}, 409)
        if deliverer is not None:
            deliverer.wake()
        return JSONResponse(service.store.request(key.upper()))

    async def thresholds(request: Request) -> Response:
        user = request.path_params["user_id"]
        try:
            rows = await request.json()
            table = [Threshold(user, str(r["service_reference"]), r["kind"],
                               int(r.get("window_seconds", 0)), int(r["limit"])) for r in rows]
            await run_in_threadpool(service.set_thresholds, user, table)
        except (ValueError, KeyError, TypeError, SpecError) as exc:
            return JSONResponse({"error": f"thresholds: {exc}"}, 400)
        return JSONResponse({"user": user, "thresholds": len(table)})

    async def deliveries(request: Request) -> Response:
        state = request.query_params.get("state")
        rows = [{k: v for k, v in row.items() if k != "body"}
                for row in service.store.rows("deliveries")
                if state is None or row["state"] == state]
        return JSONResponse(rows)

    async def requeue(request: Request) -> Response:
        url = request.query_params.get("url")
        if not service.store.requeue(int(request.path_params["n"]), url):
            return JSONResponse({"error": "no undeliverable message of that number"}, 409)
        if deliverer is not None:
            deliverer.wake()
        return JSONResponse({"requeued": int(request.path_params["n"])})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        nonlocal deliverer
        import asyncio

        deliverer = Deliverer(service.store, service.config.delivery)
        task = asyncio.create_task(deliverer.run())
        log.info("DCC test service: responses signed by the DCC certificate %s (%s-ds.pem "
                 "in %s)", service.signer_id, service.signer_id.lower(), service.keys_dir)
        try:
            yield
        finally:
            deliverer.stop()
            await task

    routes = [
        Route("/api/v1/serviceT", service_t, methods=["POST"]),
        Route("/api/v1/serviceS", service_s, methods=["POST"]),
        Route("/api/v1/serviceD", service_d, methods=["POST"]),
        Route("/admin/status", status),
        Route("/admin/requests/{request_id}", one_request),
        Route("/admin/quarantine", quarantine),
        Route("/admin/quarantine/{request_id}/{action}", decide, methods=["POST"]),
        Route("/admin/thresholds/{user_id}", thresholds, methods=["PUT"]),
        Route("/admin/deliveries", deliveries),
        Route("/admin/deliveries/{n:int}/requeue", requeue, methods=["POST"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def start(config, *, host: str = "127.0.0.1", port: int = 0):
    """The service on ``config``, served in a background thread on ``host``:``port``
    (0: a free port): ``(service, server)``; ``server.stop()`` then
    ``service.close()`` end it."""
    from specpkg.service.runner import ServerThread

    service = Service(config)
    try:
        server = ServerThread(build_app(service), host, port).start()
    except BaseException:
        service.close()
        raise
    return service, server
