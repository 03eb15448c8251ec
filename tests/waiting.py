"""Waiting on a condition in a test: a generous bound, since no test here is a timing test."""

from __future__ import annotations

import asyncio

import pytest


async def until(predicate, timeout: float = 30.0, what: str = "condition") -> None:
    """Wait for ``predicate()`` to hold; fail after ``timeout`` seconds naming ``what``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)
