"""The full set of simulated partners, as `posync demo` and `posync sandbox` serve them."""

from __future__ import annotations

from connectors.sandbox.catalog import CatalogSandbox
from connectors.sandbox.edi_hub import EdiHubSandbox
from connectors.sandbox.quickbooks import QuickBooksSandbox
from connectors.sandbox.server import Sandbox
from connectors.sandbox.supplier import SupplierSandbox


def default_sandbox() -> Sandbox:
    return Sandbox([SupplierSandbox(), CatalogSandbox(), QuickBooksSandbox(), EdiHubSandbox()])
