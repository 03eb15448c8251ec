"""Interchanges for the EDI tests, with the GLNs of the EDI notes (valid check digits)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from connectors.edifact import (
    Charge,
    DespatchAdvice,
    DespatchLine,
    Envelope,
    Invoice,
    InvoiceLine,
    Order,
    OrderLine,
    OrderResponse,
    Package,
    PaymentTerms,
    ResponseLine,
)

BUYER, SUPPLIER, SHIP_TO = "5412345000013", "5412345000020", "5412345000037"
ENVELOPE = Envelope(BUYER, SUPPLIER, "CR000001", datetime(2026, 3, 2, 9, 30))
BACK = Envelope(SUPPLIER, BUYER, "S000001", datetime(2026, 3, 3, 14, 5))

ORDER = Order(
    number="PO-000123",
    issued=date(2026, 3, 2),
    buyer=BUYER,
    supplier=SUPPLIER,
    ship_to=SHIP_TO,
    currency="EUR",
    requested_date=date(2026, 3, 9),
    partial_shipments=False,
    special_order_type="special_bid",
    special_reference="SB-2026-77",
    lines=(
        OrderLine(1, "KB-200+US", Decimal(4), Decimal("12.50"), date(2026, 3, 9), "Keyboard 'US'"),
        OrderLine(2, "MS-10:BLK", Decimal("2.5"), Decimal("7.25"), supplier_item="S-4711"),
    ),
)

RESPONSE = OrderResponse(
    number="R-1",
    function="4",
    order_number="PO-000123",
    issued=date(2026, 3, 3),
    buyer=BUYER,
    supplier=SUPPLIER,
    currency="EUR",
    lines=(
        ResponseLine(1, "3", 1, "KB-200+US", quantity=Decimal(3), backorder=Decimal(1)),
        ResponseLine(2, "5", 2, "MS-10:BLK", quantity=Decimal("2.5"), price=Decimal("7.25")),
        ResponseLine(3, "1", None, "CBL-1", quantity=Decimal(1), price=Decimal("3.10")),
    ),
)

ADVICE = DespatchAdvice(
    number="D-1",
    issued=date(2026, 3, 4),
    supplier=SUPPLIER,
    buyer=BUYER,
    ship_to=SHIP_TO,
    order_number="PO-000123",
    despatched=date(2026, 3, 4),
    estimated_delivery=date(2026, 3, 6),
    tracking=("1Z999AA10123456784",),
    packages=(
        Package(
            "1",
            (
                DespatchLine(
                    1,
                    Decimal(3),
                    "KB-200+US",
                    buyer_line=1,
                    serials=("SN0098", "SN0099", "SN0100", "X-1"),
                ),
            ),
            sscc="354123450000000011",
            tracking=("PKG-1",),
        ),
        Package("2", (DespatchLine(2, Decimal(1), "CBL-1", order_number="PO-000123"),), "1"),
    ),
)

INVOICE = Invoice(
    number="INV-9",
    issued=date(2026, 3, 5),
    supplier=SUPPLIER,
    buyer=BUYER,
    currency="EUR",
    order_number="PO-000123",
    due=date(2026, 4, 4),
    terms=PaymentTerms("2/10NET30", "2% 10 days, net 30", 30, Decimal(2), 10),
    charges=(Charge("FC", Decimal("7.50"), "Freight"),),
    lines=(
        InvoiceLine(
            1,
            Decimal(3),
            Decimal("12.50"),
            Decimal("37.50"),
            "KB-200+US",
            buyer_line=1,
            tax_rate=Decimal(21),
            tax_amount=Decimal("7.88"),
        ),
        InvoiceLine(
            2,
            Decimal(1),
            Decimal("3.10"),
            Decimal("3.10"),
            "CBL-1",
            tax_rate=Decimal(21),
            tax_amount=Decimal("0.65"),
        ),
    ),
)


def interchange(
    *body: str, ref: str = "CR1", una: str = "UNA:+.? '", count: int | None = None
) -> str:
    """A hand-written interchange around ``body`` segments (each without its terminator)."""
    segments = [f"UNB+UNOC:3+{SUPPLIER}:14+{BUYER}:14+260303:1405+{ref}", *body]
    messages = count if count is not None else sum(s.startswith("UNH+") for s in body)
    segments.append(f"UNZ+{messages}+{ref}")
    return una + "".join(s + "'" for s in segments)


def message(kind: str, *body: str, ref: str = "1", count: int | None = None) -> list[str]:
    """UNH, ``body``, UNT with the right segment count (or ``count``)."""
    return [f"UNH+{ref}+{kind}:D:96A:UN", *body, f"UNT+{count or len(body) + 2}+{ref}"]


ORDRSP_BODY = (
    "BGM+231+R-7+29",
    "DTM+137:20260303:102",
    "RFF+ON:PO-000123",
    f"NAD+BY+{BUYER}::9",
    f"NAD+SU+{SUPPLIER}::9",
    "LIN+1+5",
    "PIA+5+KB-200:MF",
    "QTY+113:4",
    "RFF+LI:1",
    "UNS+S",
)
