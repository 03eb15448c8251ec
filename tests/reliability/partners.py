"""The simulated partners in a process of their own, as real partners are: what they hold
outlives every posync process the crash test kills.

QuickBooks, Ovotrack, the EDI hub and P21 are served on one loopback port; each loses the answer
of a share of its writes after doing the work (``Faults.lose_rate``) and may take ``delay``
seconds over every call, as a partner across a network does. The test reads what they
hold through a pipe (``Partners.call``), so no scripting reaches them over posync's own HTTP.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
from typing import Any


def _serve(pipe, lose_rate: float, delay: float) -> None:
    from connectors.sandbox.edi_hub import EdiHubSandbox
    from connectors.sandbox.p21 import P21Sandbox
    from connectors.sandbox.quickbooks import QuickBooksSandbox
    from connectors.sandbox.server import Sandbox
    from connectors.sandbox.warehouse import WarehouseSandbox

    qbo = QuickBooksSandbox()
    sandbox = Sandbox([qbo, WarehouseSandbox(), EdiHubSandbox(), P21Sandbox()])
    for partner in sandbox.partners.values():
        partner.faults.lose_rate = lose_rate
        partner.faults.delay = delay
    with sandbox.serve() as server:
        # The hub cuts some answers off on purpose (a lost answer): uvicorn logs each as an
        # error. Set once uvicorn has configured its loggers.
        logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)
        pipe.send(
            {
                "url": server.url,
                "client_id": qbo.client_id,
                "client_secret": qbo.client_secret,
                "realm_id": qbo.realm_id,
                "refresh_token": qbo.issue_refresh_token(),
            }
        )
        while (asked := pipe.recv()) is not None:
            name, method, args, kwargs = asked
            try:
                pipe.send(("ok", getattr(sandbox[name], method)(*args, **kwargs)))
            except Exception as exc:  # noqa: BLE001 - handed to the test, which raises it
                pipe.send(("error", f"{name}.{method}: {type(exc).__name__}: {exc}"))


class Partners:
    """The test's handle on the partners' process."""

    def __init__(self, lose_rate: float, delay: float = 0.0):
        context = multiprocessing.get_context("spawn")  # no fork of a process with threads
        self._pipe, theirs = context.Pipe()
        self._process = context.Process(target=_serve, args=(theirs, lose_rate, delay), daemon=True)
        self._process.start()
        if not self._pipe.poll(120):
            self.close()
            raise RuntimeError(f"the partners did not start ({self._process.exitcode})")
        self.hello: dict[str, Any] = self._pipe.recv()
        self.url: str = self.hello["url"]

    def call(self, partner: str, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call a method of one simulated partner in its process; its result."""
        self._pipe.send((partner, method, args, kwargs))
        if not self._pipe.poll(120):
            raise RuntimeError(f"{partner}.{method} did not answer")
        status, result = self._pipe.recv()
        if status != "ok":
            raise RuntimeError(result)
        return result

    def close(self) -> None:
        if self._process.is_alive():
            with contextlib.suppress(OSError):  # it may be ending already
                self._pipe.send(None)
            self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(timeout=10)

    def __enter__(self) -> Partners:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
