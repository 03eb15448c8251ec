"""``POST /<partner>/_control``: script a simulated partner over HTTP from another process.

Body ``{"op": "<name>", "args": {...}}`` calls the partner's scripting method of that name
(only those it lists) and answers ``{"result": ...}``; ``op: "faults"`` sets its faults, e.g.
``{"op": "faults", "args": {"down": true}}`` or ``{"fail_next": 2}``, ``{"lose_next": 1}`` or
``{"lose_rate": 0.2}`` or ``{"clear": true}``; the fault mode: ``{"rate": 0.3, "seed": 7}``
(optional ``kinds``, ``retry_after`` of its 429s, ``hang`` of its timeouts).
Faults never apply to this endpoint, so a partner that is "down" can still be brought back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from connectors.sandbox.faults import Faults


def control_route(ops: dict[str, Callable[..., Any]], faults: Faults) -> Route:
    async def control(request: Request) -> JSONResponse:
        try:
            body = await request.json()
            op, args = body["op"], body.get("args") or {}
            if not isinstance(args, dict):
                raise TypeError("args must be an object")
        except (ValueError, KeyError, TypeError) as exc:
            return JSONResponse({"error": f"expected {{op, args}}: {exc}"}, status_code=400)
        try:
            if op == "faults":
                result = set_faults(faults, **args)
            elif op in ops:
                result = ops[op](**args)
            else:
                return JSONResponse(
                    {"error": f"unknown op {op!r}; known: {sorted([*ops, 'faults'])}"},
                    status_code=400,
                )
        except (KeyError, TypeError, ValueError) as exc:
            return JSONResponse({"error": f"{op}: {exc}"}, status_code=400)
        return JSONResponse({"result": result})

    return Route("/_control", control, methods=["POST"])


def set_faults(
    faults: Faults,
    *,
    clear: bool = False,
    down: bool | None = None,
    delay: float | None = None,
    fail_next: int = 0,
    status: int = 503,
    throttle_next: int = 0,
    retry_after: float | None = None,
    lose_next: int = 0,
    lose_rate: float | None = None,
    rate: float | None = None,
    seed: int | None = None,
    kinds: list[str] | None = None,
    hang: float | None = None,
) -> dict[str, Any]:
    if clear:
        faults.clear()
    if down is not None:
        faults.down = bool(down)
    if delay is not None:
        faults.delay = float(delay)
    if fail_next:
        faults.fail_next(int(fail_next), status=int(status))
    if throttle_next:
        wait = 1.0 if retry_after is None else float(retry_after)
        faults.throttle_next(int(throttle_next), retry_after=wait)
    if lose_next:
        faults.lose_next(int(lose_next))
    if lose_rate is not None:
        if not 0.0 <= float(lose_rate) <= 1.0:
            raise ValueError("lose_rate is a share of calls, 0 to 1")
        faults.lose_rate = float(lose_rate)
    if rate is not None:
        faults.random_faults(
            float(rate),
            seed=None if seed is None else int(seed),
            kinds=tuple(kinds) if kinds else None,
            retry_after=None if retry_after is None else float(retry_after),
            hang=None if hang is None else float(hang),
        )
    return {
        "down": faults.down,
        "delay": faults.delay,
        "calls": faults.calls,
        "rate": faults.rate,
        "injected": dict(faults.injected),
    }
