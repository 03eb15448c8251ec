"""The partner registry: every outside system posync talks to, declared once.

A partner's declaration (a ``Partner``, next to its flow in ``services/``) says everything the
rest of the app needs: its settings section, how its client is made, its scheduled jobs, its
short name on the status line, its queue counts for the title bar and how a quarantined entry of
its feed is re-processed. The scheduler, the CLI,
the status line, the Connectors screen and the title bar read the declarations; nothing else
names a partner.

Adding a partner: its connector and services, its settings section in ``config.Settings``, its
``Partner`` declaration, and one line in ``PARTNERS``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from posync_tui.config import ConnectorSettings, Settings
    from posync_tui.leases import Fence
    from posync_tui.runtime import Runtime

C = TypeVar("C")

# Every partner, in the order the console shows them: "module:NAME" of its declaration.
# (Named, not imported: each declaration imports this module for ``Partner``.)
PARTNERS = [
    "posync_tui.services.supplier_partner:SUPPLIER",
    "posync_tui.services.supplier_partner:CATALOG",
    "posync_tui.services.accounting_connection:QUICKBOOKS",
    "posync_tui.services.warehouse_partner:WAREHOUSE",
    "posync_tui.services.edi_partner:EDI",
    "posync_tui.services.p21_partner:P21",
]


@dataclass(frozen=True)
class Schedule:
    """A partner's scheduled job; ``run(rt, fence)`` returns what it did in plain words.

    Its name is its lease and its ``connector_state`` row. ``interval`` None: the partner's
    ``poll_interval`` setting.
    """

    name: str
    run: Callable[[Runtime, Fence], Awaitable[str]]
    interval: float | None = None


@dataclass(frozen=True)
class Queue:
    """Outbound work of a partner: messages on their way, and those that need an operator."""

    waiting: int = 0
    errors: int = 0


@dataclass(frozen=True)
class Partner:
    name: str  # its sandbox mount and, for a partner without jobs, its connector_state row
    short: str  # three letters on the status line
    client: Callable[..., Any]  # client(rt, **options): for its base_url, or the demo's sandbox
    jobs: tuple[Schedule, ...] = ()  # none: only called from other partners' jobs (see status)
    queue: Callable[[Runtime], Queue] | None = None  # its outbound queue, for the title bar
    section: str | None = None  # its settings section; None: its name
    # reprocess(rt, quarantine_id): fetch a quarantined entry of its feed again and apply it;
    # what it did in plain words (ValueError: why not). None: its feed has no re-processing.
    reprocess: Callable[[Runtime, int], Awaitable[str]] | None = None

    def settings(self, settings: Settings) -> ConnectorSettings:
        return getattr(settings, self.section or self.name)

    def enabled(self, rt: Runtime) -> bool:
        return self.settings(rt.settings).enabled

    def configured(self, rt: Runtime) -> bool:
        """Enabled and reachable: a base_url, or the demo's sandbox simulates it."""
        if not self.enabled(rt):
            return False
        try:
            address(rt, self.name)
        except NotConfigured:
            return False
        return True

    def config_line(self) -> str:
        """What to add to the config file to configure it."""
        return f'[{self.section or self.name}] base_url = "https://…"'


class NotConfigured(LookupError):
    """An enabled partner with no base_url, outside the demo."""

    def __init__(self, partner: Partner):
        super().__init__(
            f"The {partner.name} connector is not configured: add {partner.config_line()} "
            "to the config file (or run `posync demo`)"
        )
        self.partner = partner


def registered() -> list[Partner]:
    """Every registered partner, in the order the console shows them."""
    found = []
    for entry in PARTNERS:
        module, name = entry.split(":")
        found.append(getattr(import_module(module), name))
    return found


def partner(name: str) -> Partner:
    for each in registered():
        if each.name == name:
            return each
    raise KeyError(f"No partner named {name!r} is registered")


def address(rt: Runtime, name: str) -> str:
    """Where a partner answers: its configured base_url, else the demo's sandbox."""
    declared = partner(name)
    configured = declared.settings(rt.settings).base_url
    if configured:
        return configured.rstrip("/")
    sandbox, server = rt.sandbox, rt.sandbox_server
    if sandbox is not None and server is not None and name in sandbox.partners:
        return f"{server.url}/{name}"
    raise NotConfigured(declared)


def http_client(rt: Runtime, name: str, client_class: Callable[..., C], *, attempts: int = 4) -> C:
    """A partner's HTTP client: at its address, with its settings' API key and timeout."""
    settings = partner(name).settings(rt.settings)
    key = settings.api_key.get_secret_value() if settings.api_key else None
    return client_class(address(rt, name), api_key=key, timeout=settings.timeout, attempts=attempts)


def not_configured(rt: Runtime) -> list[Partner]:
    """Enabled partners that cannot be reached: no base_url, and no sandbox simulates them."""
    return [p for p in registered() if p.enabled(rt) and not p.configured(rt)]
