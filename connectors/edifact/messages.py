"""The four messages as typed records: what an interchange means, without its syntax.

Quantities and money are Decimal, dates are ``date``; GLNs are 13-digit strings. A message's
``message_ref`` is its UNH reference, unique within its interchange.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from connectors.edifact.status import AcceptStatus, header_status, line_status

# Special pricing on an order and the RFF qualifier its reference travels in:
# PR price quote number (a special bid), CT contract number (a special deal).
SpecialOrderType = Literal["special_bid", "special_deal"]
SPECIAL_PRICING_QUALIFIERS: dict[str, str] = {"special_bid": "PR", "special_deal": "CT"}


@dataclass(frozen=True)
class Envelope:
    """UNB: who sends, to whom, when, and the interchange control reference (UNB 0020, unique
    per sender: the hub refuses a second interchange with the same one)."""

    sender: str
    recipient: str
    control_ref: str
    prepared: datetime
    syntax: str = "UNOC"
    syntax_version: str = "3"


# --- ORDERS --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderLine:
    line_no: int  # LIN 1082, repeated as RFF+LI so a response can point back at it
    mpn: str  # PIA+5+<mpn>:MF
    quantity: Decimal  # QTY+21
    price: Decimal | None = None  # PRI+AAA (net unit price)
    requested_date: date | None = None  # DTM+2
    description: str = ""  # IMD+F
    supplier_item: str | None = None  # LIN+n++<no>:SA


@dataclass(frozen=True)
class Order:
    """ORDERS (BGM 220): a purchase order."""

    number: str  # BGM 1004: the PO number
    issued: date  # DTM+137
    buyer: str  # NAD+BY GLN
    supplier: str  # NAD+SU GLN
    lines: tuple[OrderLine, ...]
    ship_to: str | None = None  # NAD+ST GLN
    currency: str | None = None  # CUX+2:<ccy>:9
    requested_date: date | None = None  # DTM+2
    partial_shipments: bool = True  # FTX+DIN++PSA (allowed) or SCO (ship complete only)
    special_order_type: SpecialOrderType | None = None
    special_reference: str | None = None  # RFF+PR (bid) or RFF+CT (deal)
    message_ref: str = "1"


# --- ORDRSP --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResponseLine:
    line_no: int  # LIN 1082: the response's own line number
    action: str  # LIN 1229 action code (see status.LINE_CODES); "" when absent
    buyer_line: int | None = None  # RFF+LI: the PO line it answers; None on an added line
    mpn: str | None = None  # PIA+1|5 :MF
    supplier_item: str | None = None  # LIN :SA
    quantity: Decimal | None = None  # QTY+113 or QTY+187: confirmed
    backorder: Decimal | None = None  # QTY+83
    price: Decimal | None = None  # PRI+AAA
    delivery_date: date | None = None  # DTM+2
    description: str = ""

    @property
    def status(self) -> AcceptStatus | None:
        """Accepted, Changed and Accepted, …; None for "no action" (4) or no code at all, when
        the order's status (BGM 1225) is the line's too."""
        return line_status(self.action) if self.action else None


@dataclass(frozen=True)
class OrderResponse:
    """ORDRSP (BGM 231): the supplier's answer to an order."""

    number: str  # BGM 1004: the response's number
    function: str  # BGM 1225 (see status.HEADER_CODES)
    order_number: str  # RFF+ON: the PO answered
    issued: date  # DTM+137
    buyer: str  # NAD+BY
    supplier: str  # NAD+SU
    lines: tuple[ResponseLine, ...] = ()
    currency: str | None = None
    delivery_date: date | None = None  # DTM+2
    confirmed_qualifier: str = "113"  # QTY 6063 the confirmed quantities are written with
    message_ref: str = "1"

    @property
    def status(self) -> AcceptStatus | None:
        return header_status(self.function)


# --- DESADV --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DespatchLine:
    line_no: int  # LIN 1082
    quantity: Decimal  # QTY+12 despatched
    mpn: str | None = None
    supplier_item: str | None = None
    buyer_line: int | None = None  # RFF+LI
    order_number: str | None = None  # RFF+ON on the line (else the advice's)
    serials: tuple[str, ...] = ()  # GIN+BN, ranges A..B expanded


@dataclass(frozen=True)
class Package:
    """CPS: one package (or the whole consignment) with the lines packed in it."""

    number: str  # CPS 7164
    lines: tuple[DespatchLine, ...]
    parent: str | None = None  # CPS 7166
    sscc: str | None = None  # GIN+BJ
    tracking: tuple[str, ...] = ()  # RFF+CN


@dataclass(frozen=True)
class DespatchAdvice:
    """DESADV (BGM 351): goods sent, by package, with serials and tracking numbers."""

    number: str  # BGM 1004: the despatch note number
    issued: date  # DTM+137
    supplier: str  # NAD+SU
    buyer: str  # NAD+BY
    packages: tuple[Package, ...]
    order_number: str | None = None  # RFF+ON
    despatched: date | None = None  # DTM+11
    estimated_delivery: date | None = None  # DTM+17
    ship_to: str | None = None  # NAD+DP
    tracking: tuple[str, ...] = ()  # RFF+CN on the header
    message_ref: str = "1"

    @property
    def lines(self) -> tuple[DespatchLine, ...]:
        return tuple(line for package in self.packages for line in package.lines)

    @property
    def tracking_numbers(self) -> tuple[str, ...]:
        """Every tracking number, the header's and the packages', each once, in order."""
        found = [*self.tracking, *(t for p in self.packages for t in p.tracking)]
        return tuple(dict.fromkeys(found))


# --- INVOIC --------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceLine:
    line_no: int
    quantity: Decimal  # QTY+47
    price: Decimal  # PRI+AAA net unit price
    amount: Decimal  # MOA+203 line amount
    mpn: str | None = None
    supplier_item: str | None = None
    buyer_line: int | None = None  # RFF+LI
    tax_rate: Decimal | None = None  # TAX+7+VAT+++:::<rate>+S
    tax_amount: Decimal | None = None  # MOA+124
    description: str = ""


@dataclass(frozen=True)
class Charge:
    """ALC+C: a charge on the whole invoice, its amount from MOA+23 (never MOA+131 too)."""

    code: str  # ALC C214 7161: FC freight, DL delivery, PC packing, HD handling, IN insurance
    amount: Decimal  # MOA+23
    description: str = ""


@dataclass(frozen=True)
class PaymentTerms:
    """PAT: the supplier's terms identifier and what it says (days, early-payment discount)."""

    identifier: str | None = None  # PAT+1 C110 4277
    description: str = ""
    days: int | None = None  # PAT+1 ...+5:3:D:<days>: days after the invoice date
    discount_percent: Decimal | None = None  # PAT+22 with PCD+12
    discount_days: int | None = None


@dataclass(frozen=True)
class InvoiceTotals:
    """The summary amounts; reading an invoice checks Σ203=79, 79+131=125, 125+176=77."""

    lines: Decimal  # MOA+79
    charges: Decimal  # MOA+131
    taxable: Decimal  # MOA+125
    tax: Decimal  # MOA+176
    total: Decimal  # MOA+77


@dataclass(frozen=True)
class Invoice:
    """INVOIC (BGM 380; 381 a credit note)."""

    number: str  # BGM 1004
    issued: date  # DTM+137
    supplier: str  # NAD+SU
    buyer: str  # NAD+BY
    currency: str  # CUX+2:<ccy>:4
    lines: tuple[InvoiceLine, ...]
    order_number: str | None = None  # RFF+ON
    due: date | None = None  # DTM+13
    charges: tuple[Charge, ...] = ()
    terms: PaymentTerms | None = None
    totals: InvoiceTotals | None = None  # None when building: worked out from the lines
    document: str = "380"
    message_ref: str = "1"


Message = Order | OrderResponse | DespatchAdvice | Invoice
MESSAGE_TYPES: dict[type, str] = {
    Order: "ORDERS",
    OrderResponse: "ORDRSP",
    DespatchAdvice: "DESADV",
    Invoice: "INVOIC",
}


@dataclass(frozen=True)
class Interchange:
    """One UNB…UNZ: its envelope and its messages."""

    envelope: Envelope
    messages: tuple[Message, ...] = field(default_factory=tuple)

    @property
    def sender(self) -> str:
        return self.envelope.sender

    @property
    def recipient(self) -> str:
        return self.envelope.recipient

    @property
    def control_ref(self) -> str:
        return self.envelope.control_ref

    @property
    def prepared(self) -> datetime:
        return self.envelope.prepared
