"""The supplier behind the sandbox EDI hub: answers an order as scripted, ships it, bills it.

Each behaviour turns a received ORDERS into the ORDRSP a real supplier would send; ``ship``
and ``invoice`` then work from what was confirmed. Pure: builds typed messages, no HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from connectors.edifact import (
    HEADER_CODE,
    LINE_CODE,
    AcceptStatus,
    Charge,
    DespatchAdvice,
    DespatchLine,
    Invoice,
    InvoiceLine,
    Order,
    OrderResponse,
    Package,
    PaymentTerms,
    ResponseLine,
)

BEHAVIOURS = (
    "accept",  # every line as ordered
    "change",  # one line's quantity (and/or price, date, item) changed, then accepted
    "reject",  # the whole order not accepted
    "reject_line",  # one line not accepted, the rest accepted
    "delete_line",  # one line deleted, the rest accepted
    "add_line",  # every line accepted, and a line the supplier added
    "split_line",  # one line confirmed as two deliveries
    "silent",  # no answer at all
)


@dataclass(frozen=True)
class Script:
    """How the supplier treats an order; ``line`` is the buyer line a behaviour is about."""

    behaviour: str = "accept"
    line: int = 1
    quantity: Decimal | None = None
    price: Decimal | None = None
    delivery_date: date | None = None
    item: str | None = None  # a changed MPN, or the added line's
    confirmed_qualifier: str = "113"
    ship: int = 0  # despatch advices to send right after the answer (0: wait for ``ship``)
    invoice: bool = False  # bill once everything is shipped
    freight: Decimal | None = None
    terms: str | None = "NET30"

    @classmethod
    def of(cls, **args: Any) -> Script:
        if args.get("behaviour", "accept") not in BEHAVIOURS:
            raise ValueError(f"behaviour must be one of {BEHAVIOURS}")
        for name in ("quantity", "price", "freight"):
            if args.get(name) is not None:
                args[name] = Decimal(str(args[name]))
        if isinstance(args.get("delivery_date"), str):
            args["delivery_date"] = date.fromisoformat(args["delivery_date"])
        return cls(**args)


@dataclass
class Confirmed:
    """A line the supplier will deliver: what it confirmed (after its changes)."""

    line_no: int
    buyer_line: int | None
    mpn: str
    quantity: Decimal
    price: Decimal
    shipped: Decimal = Decimal(0)


@dataclass
class SupplierOrder:
    order: Order
    script: Script
    confirmed: list[Confirmed] = field(default_factory=list)
    despatches: int = 0
    invoiced: bool = False
    error: str | None = None  # why the script could not be followed (e.g. no such line)

    def as_json(self) -> dict[str, Any]:
        return {
            "po": self.order.number,
            "behaviour": self.script.behaviour,
            "confirmed": {str(c.line_no): str(c.quantity) for c in self.confirmed},
            "shipped": {str(c.line_no): str(c.shipped) for c in self.confirmed},
            "despatches": self.despatches,
            "invoiced": self.invoiced,
            "error": self.error,
        }


def respond(
    order: Order, script: Script, today: date, number: str
) -> tuple[OrderResponse, list[Confirmed]]:
    """The order response the script calls for, and the lines then to be delivered."""
    if script.behaviour not in ("accept", "reject", "add_line", "silent") and not any(
        line.line_no == script.line for line in order.lines
    ):
        raise ValueError(f"order {order.number} has no line {script.line}")
    lines: list[ResponseLine] = []
    confirmed: list[Confirmed] = []
    for line in order.lines:
        answer = ResponseLine(
            line_no=0,
            action=LINE_CODE[AcceptStatus.ACCEPTED],
            buyer_line=line.line_no,
            mpn=line.mpn,
            quantity=line.quantity,
            price=line.price,
            delivery_date=line.requested_date or order.requested_date,
        )
        for part in _answers(answer, script, line.line_no, line.quantity, today):
            part = replace(part, line_no=len(lines) + 1)
            lines.append(part)
            if part.quantity:
                confirmed.append(_confirmed(part))
    if script.behaviour == "add_line":
        added = ResponseLine(
            line_no=len(lines) + 1,
            action=LINE_CODE[AcceptStatus.ADDED],
            mpn=script.item or "ADDED-1",
            quantity=script.quantity or Decimal(1),
            price=script.price or Decimal("9.99"),
            delivery_date=script.delivery_date,
        )
        lines.append(added)
        confirmed.append(_confirmed(added))
    header = {"accept": AcceptStatus.ACCEPTED, "reject": AcceptStatus.REJECTED}.get(
        script.behaviour, AcceptStatus.CHANGED
    )
    response = OrderResponse(
        number=number,
        function=HEADER_CODE[header],
        order_number=order.number,
        issued=today,
        buyer=order.buyer,
        supplier=order.supplier,
        lines=tuple(lines),
        currency=order.currency,
        confirmed_qualifier=script.confirmed_qualifier,
    )
    return response, confirmed


def _answers(
    answer: ResponseLine, script: Script, line_no: int, ordered: Decimal, today: date
) -> list[ResponseLine]:
    """The response line(s) for one order line."""
    behaviour = script.behaviour
    if behaviour == "reject" or (line_no == script.line and behaviour == "reject_line"):
        return [replace(answer, action=LINE_CODE[AcceptStatus.REJECTED], quantity=Decimal(0))]
    if line_no != script.line:
        return [answer]
    if behaviour == "delete_line":
        return [replace(answer, action=LINE_CODE[AcceptStatus.DELETED], quantity=Decimal(0))]
    if behaviour == "change":
        return [_changed(answer, script, ordered)]
    if behaviour == "split_line":
        return _split(answer, script, ordered, today)
    return [answer]


def _confirmed(line: ResponseLine) -> Confirmed:
    return Confirmed(
        line.line_no,
        line.buyer_line,
        line.mpn or "",
        line.quantity or Decimal(0),
        line.price if line.price is not None else Decimal(0),
    )


def _changed(answer: ResponseLine, script: Script, ordered: Decimal) -> ResponseLine:
    quantity = script.quantity
    if quantity is None and script.price is None and script.delivery_date is None:
        quantity = max(ordered - 1, Decimal(1))
    return replace(
        answer,
        action=LINE_CODE[AcceptStatus.CHANGED],
        quantity=quantity if quantity is not None else answer.quantity,
        price=script.price if script.price is not None else answer.price,
        delivery_date=script.delivery_date or answer.delivery_date,
        mpn=script.item or answer.mpn,
    )


def _split(
    answer: ResponseLine, script: Script, ordered: Decimal, today: date
) -> list[ResponseLine]:
    first = script.quantity if script.quantity is not None else (ordered / 2).to_integral_value()
    if not 0 < first < ordered:
        raise ValueError(f"cannot split {ordered} into {first} and {ordered - first}")
    later = (answer.delivery_date or today) + timedelta(days=14)
    code = LINE_CODE[AcceptStatus.CHANGED]
    return [
        replace(answer, action=code, quantity=first),
        replace(answer, action=code, quantity=ordered - first, delivery_date=later),
    ]


def despatch(
    held: SupplierOrder, parts: int, today: date, number: str, tracking: str
) -> DespatchAdvice | None:
    """The next of ``parts`` shipments: an equal share of what is still open per line (the
    last part takes the rest), one package, serials per unit, a tracking number."""
    remaining = parts - held.despatches
    lines: list[DespatchLine] = []
    for c in held.confirmed:
        open_ = c.quantity - c.shipped
        share = open_ if remaining <= 1 else (open_ / remaining).to_integral_value(ROUND_HALF_UP)
        if share <= 0:
            continue
        first = int(c.shipped) + 1
        serials = tuple(
            f"{c.mpn[:8]}-{held.order.number}-{n:04d}" for n in range(first, first + int(share))
        )
        c.shipped += share
        lines.append(
            DespatchLine(
                line_no=len(lines) + 1,
                quantity=share,
                mpn=c.mpn,
                buyer_line=c.buyer_line,
                order_number=held.order.number,
                serials=serials if share == int(share) else (),
            )
        )
    if not lines:
        return None
    held.despatches += 1
    package = Package(str(held.despatches), tuple(lines), tracking=(tracking,))
    return DespatchAdvice(
        number=number,
        issued=today,
        supplier=held.order.supplier,
        buyer=held.order.buyer,
        packages=(package,),
        order_number=held.order.number,
        despatched=today,
        estimated_delivery=today + timedelta(days=2),
        ship_to=held.order.ship_to,
    )


TERMS = {
    "NET30": PaymentTerms("NET30", "Net 30 days", 30),
    "2/10NET30": PaymentTerms("2/10NET30", "2% 10 days, net 30", 30, Decimal(2), 10),
}


def bill(
    held: SupplierOrder,
    today: date,
    number: str,
    *,
    freight: Decimal | None,
    terms: str | None,
    tax_rate: Decimal = Decimal(21),
) -> Invoice:
    """The invoice for what was confirmed: lines with tax, freight as a charge, the terms."""
    cent = Decimal("0.01")
    lines: list[InvoiceLine] = []
    for c in held.confirmed:
        amount = (c.quantity * c.price).quantize(cent, ROUND_HALF_UP)
        tax = (amount * tax_rate / 100).quantize(cent, ROUND_HALF_UP)
        lines.append(
            InvoiceLine(
                len(lines) + 1,
                c.quantity,
                c.price,
                amount,
                mpn=c.mpn,
                buyer_line=c.buyer_line,
                tax_rate=tax_rate,
                tax_amount=tax,
            )
        )
    known = TERMS.get(terms or "")
    chosen = known or (PaymentTerms(terms, "", 45) if terms else None)
    days = chosen.days if chosen and chosen.days else 30
    held.invoiced = True
    return Invoice(
        number=number,
        issued=today,
        supplier=held.order.supplier,
        buyer=held.order.buyer,
        currency=held.order.currency or "EUR",
        lines=tuple(lines),
        order_number=held.order.number,
        due=today + timedelta(days=days),
        charges=(Charge("FC", freight, "Freight"),) if freight else (),
        terms=chosen,
    )
