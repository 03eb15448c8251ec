"""The simulated partners as one HTTP application, served on a loopback port."""

from __future__ import annotations

import socket
import threading
import time
from typing import Protocol

import uvicorn
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, Router
from starlette.types import Receive, Scope, Send

from connectors.sandbox.faults import Faults, cut_off, with_connection


class Partner(Protocol):
    """One simulated partner, served under ``/<name>``."""

    name: str
    faults: Faults

    def routes(self) -> list[BaseRoute]: ...


class _WithFaults:
    """Lets a partner's scripted faults answer before its real routes do."""

    def __init__(self, partner: Partner):
        self.partner = partner
        self.router = Router(routes=partner.routes())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].endswith("/_control"):
            from starlette.requests import Request

            request = Request(scope, receive)
            replacement = await self.partner.faults.apply(request)
            if replacement is not None:
                await replacement(scope, receive, send)
                return
            if getattr(request.state, "cut_off", False):
                send = cut_off(scope, receive, send)
        await self.router(scope, receive, send)


class Sandbox:
    def __init__(self, partners: list[Partner]):
        self.partners = {p.name: p for p in partners}
        mounts = [Mount(f"/{p.name}", app=_WithFaults(p)) for p in partners]
        self.app = with_connection(Starlette(routes=mounts))

    def __getitem__(self, name: str) -> Partner:
        return self.partners[name]

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> SandboxServer:
        return SandboxServer(self.app, host, port).start()


class SandboxServer:
    """uvicorn on a loopback port, in a daemon thread: real HTTP for connectors and the demo."""

    def __init__(self, app, host: str, port: int):
        if port == 0:
            with socket.socket() as s:
                s.bind((host, 0))
                port = s.getsockname()[1]
        self.host, self.port = host, port
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=1,  # a request held by faults.down must not block stop
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="sandbox", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> SandboxServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"the sandbox did not start on {self.url}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)

    def __enter__(self) -> SandboxServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
