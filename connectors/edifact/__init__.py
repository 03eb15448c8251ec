"""UN/EDIFACT D.96A for the EDI hub: typed ORDERS, ORDRSP, DESADV and INVOIC, both ways.

``parse(text_or_bytes) -> Interchange`` and ``build(interchange) -> str`` (or
``build_orders(order, envelope)`` and its siblings). Every problem in an interchange is an
``EdifactError`` subclass with the segment's ``index`` and ``tag``. No database, no posync.
"""

from connectors.edifact.errors import (
    ContentError,
    EdifactError,
    EdifactSyntaxError,
    EnvelopeError,
    ServiceCharacterError,
    TotalsError,
)
from connectors.edifact.fields import CONFIRMED
from connectors.edifact.gln import check_digit, gln_problem, is_gln
from connectors.edifact.interchange import (
    build,
    build_desadv,
    build_invoic,
    build_orders,
    build_ordrsp,
    charset,
    encode,
    parse,
)
from connectors.edifact.invoic import totals_of
from connectors.edifact.messages import (
    SPECIAL_PRICING_QUALIFIERS,
    Charge,
    DespatchAdvice,
    DespatchLine,
    Envelope,
    Interchange,
    Invoice,
    InvoiceLine,
    InvoiceTotals,
    Message,
    Order,
    OrderLine,
    OrderResponse,
    Package,
    PaymentTerms,
    ResponseLine,
    SpecialOrderType,
)
from connectors.edifact.status import (
    HEADER_CODE,
    LINE_CODE,
    AcceptStatus,
    UnknownCode,
    header_status,
    line_status,
)
from connectors.edifact.syntax import DEFAULT, Separators

__all__ = [
    "CONFIRMED",
    "DEFAULT",
    "HEADER_CODE",
    "LINE_CODE",
    "SPECIAL_PRICING_QUALIFIERS",
    "AcceptStatus",
    "Charge",
    "ContentError",
    "DespatchAdvice",
    "DespatchLine",
    "EdifactError",
    "EdifactSyntaxError",
    "Envelope",
    "EnvelopeError",
    "Interchange",
    "Invoice",
    "InvoiceLine",
    "InvoiceTotals",
    "Message",
    "Order",
    "OrderLine",
    "OrderResponse",
    "Package",
    "PaymentTerms",
    "ResponseLine",
    "Separators",
    "ServiceCharacterError",
    "SpecialOrderType",
    "TotalsError",
    "UnknownCode",
    "build",
    "build_desadv",
    "build_invoic",
    "build_orders",
    "build_ordrsp",
    "charset",
    "check_digit",
    "encode",
    "gln_problem",
    "header_status",
    "is_gln",
    "line_status",
    "parse",
    "totals_of",
]
