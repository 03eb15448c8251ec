"""ORDRSP: the supplier's answer to an order, written by the sandbox and read by posync."""

from __future__ import annotations

from connectors.edifact import fields as f
from connectors.edifact.messages import OrderResponse, ResponseLine
from connectors.edifact.orders import Row, bgm_of, dtm, item, lin, nad
from connectors.edifact.status import UnknownCode, header_status, line_status
from connectors.edifact.syntax import Segment


def write(response: OrderResponse) -> list[Row]:
    rows: list[Row] = [
        ("BGM", "231", response.number, response.function),
        *dtm("137", response.issued),
        *dtm("2", response.delivery_date),
        ("RFF", ("ON", response.order_number)),
        *nad("BY", response.buyer),
        *nad("SU", response.supplier),
    ]
    if response.currency:
        rows.append(("CUX", ("2", response.currency, "9")))
    for line in response.lines:
        rows += [
            lin(line.line_no, line.supplier_item, line.action),
            *item(line.mpn, line.description),
        ]
        if line.quantity is not None:
            rows.append(("QTY", (response.confirmed_qualifier, line.quantity)))
        if line.backorder is not None:
            rows.append(("QTY", ("83", line.backorder)))
        rows += dtm("2", line.delivery_date)
        if line.price is not None:
            rows.append(("PRI", ("AAA", line.price)))
        if line.buyer_line is not None:
            rows.append(("RFF", ("LI", line.buyer_line)))
    rows += [("UNS", "S"), ("CNT", ("2", len(response.lines)))]
    return rows


def read(unh: Segment, segments: list[Segment], fields: f.Fields) -> OrderResponse:
    header, groups, _ = f.groups(segments, "LIN")
    bgm = bgm_of(unh, segments, ("231",), "order response")
    function = f.required(bgm, 2, "BGM message function (1225)")
    try:
        header_status(function)
    except UnknownCode as exc:
        raise f.error(bgm, str(exc)) from None
    dates, parties, refs = f.dates(header), f.parties(header), f.references(header)
    if not refs.get("ON"):
        raise f.error(bgm, "the order response names no order (RFF+ON)")
    qualifiers = [
        s.value(0, 0) for s in segments if s.tag == "QTY" and s.value(0, 0) in fields.confirmed
    ]
    return OrderResponse(
        number=f.required(bgm, 1, "BGM document number"),
        function=function,
        order_number=refs["ON"][0],
        issued=f.document_date(dates, bgm),
        buyer=f.party(parties, "BY", bgm),
        supplier=f.party(parties, "SU", bgm),
        currency=f.optional(f.first(header, "CUX", "2"), 0, 1),
        delivery_date=dates.get("2"),
        lines=tuple(_line(group, fields) for group in groups),
        confirmed_qualifier=qualifiers[0] if qualifiers else "113",
        message_ref=unh.value(0),
    )


def _line(group: list[Segment], fields: f.Fields) -> ResponseLine:
    lin_ = group[0]
    action = lin_.value(1)
    if action:
        try:
            line_status(action)
        except UnknownCode as exc:
            raise f.error(lin_, str(exc)) from None
    return ResponseLine(
        line_no=f.whole(lin_, 0, "LIN line number"),
        action=action,
        buyer_line=f.buyer_line(group),
        mpn=f.mpn(group),
        supplier_item=f.supplier_item(lin_),
        quantity=fields.optional_number(
            next(f.tagged(group, "QTY", *fields.confirmed), None), 0, 1, "confirmed quantity"
        ),
        backorder=fields.optional_number(f.first(group, "QTY", "83"), 0, 1, "backorder quantity"),
        price=fields.optional_number(f.first(group, "PRI", "AAA"), 0, 1, "net price"),
        delivery_date=f.dates(group).get("2"),
        description=f.description(group),
    )
