"""DESADV: goods despatched, by package, with serial numbers and tracking numbers."""

from __future__ import annotations

import re

from connectors.edifact import fields as f
from connectors.edifact.messages import DespatchAdvice, DespatchLine, Package
from connectors.edifact.orders import Row, bgm_of, dtm, item, lin, nad
from connectors.edifact.syntax import Segment

MAX_RANGE = 10_000  # serials one GIN range may stand for
_SERIAL = re.compile(r"(.*?)(\d+)")


def expand(first: str, last: str) -> list[str]:
    """The serials of the range first..last: the same prefix, numbers counting up in the
    same width ("SN0098".."SN0101"). ValueError when it is not such a range."""
    a, b = _SERIAL.fullmatch(first), _SERIAL.fullmatch(last)
    if not a or not b or a.group(1) != b.group(1) or len(a.group(2)) != len(b.group(2)):
        raise ValueError(
            f"serial range {first}..{last} does not have one prefix and numbers of one width"
        )
    low, high = int(a.group(2)), int(b.group(2))
    if high < low:
        raise ValueError(f"serial range {first}..{last} counts down")
    if high - low >= MAX_RANGE:
        raise ValueError(f"serial range {first}..{last} holds more than {MAX_RANGE:,} serials")
    width, prefix = len(a.group(2)), a.group(1)
    return [f"{prefix}{n:0{width}d}" for n in range(low, high + 1)]


def _ranges(serials: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Serials as GIN C208s: a run of three or more consecutive ones as a range."""
    out: list[tuple[str, ...]] = []
    i = 0
    while i < len(serials):
        j = i
        while j + 1 < len(serials) and _follows(serials[j], serials[j + 1]):
            j += 1
        if j - i >= 2:
            out.append((serials[i], serials[j]))
            i = j + 1
        else:
            out.append((serials[i],))
            i += 1
    return out


def _follows(a: str, b: str) -> bool:
    ma, mb = _SERIAL.fullmatch(a), _SERIAL.fullmatch(b)
    return bool(
        ma
        and mb
        and ma.group(1) == mb.group(1)
        and len(ma.group(2)) == len(mb.group(2))
        and int(mb.group(2)) == int(ma.group(2)) + 1
    )


def write(advice: DespatchAdvice) -> list[Row]:
    rows: list[Row] = [
        ("BGM", "351", advice.number, "9"),
        *dtm("137", advice.issued),
        *dtm("11", advice.despatched),
        *dtm("17", advice.estimated_delivery),
    ]
    if advice.order_number:
        rows.append(("RFF", ("ON", advice.order_number)))
    rows += [("RFF", ("CN", t)) for t in advice.tracking]
    rows += [*nad("SU", advice.supplier), *nad("BY", advice.buyer), *nad("DP", advice.ship_to)]
    for package in advice.packages:
        rows.append(("CPS", package.number, package.parent))
        if package.sscc or package.tracking:
            rows += [("PAC", "1"), ("PCI", "33E")]
            if package.sscc:
                rows.append(("GIN", "BJ", package.sscc))
            rows += [("RFF", ("CN", t)) for t in package.tracking]
        for line in package.lines:
            rows += [lin(line.line_no, line.supplier_item), *item(line.mpn, "")]
            rows.append(("QTY", ("12", line.quantity)))
            ranges = _ranges(line.serials)
            rows += [("GIN", "BN", *ranges[i : i + 5]) for i in range(0, len(ranges), 5)]
            if line.order_number:
                rows.append(("RFF", ("ON", line.order_number)))
            if line.buyer_line is not None:
                rows.append(("RFF", ("LI", line.buyer_line)))
    rows += [("CNT", ("2", len(advice.lines)))]
    return rows


def read(unh: Segment, segments: list[Segment], fields: f.Fields) -> DespatchAdvice:
    header, packages, _ = f.groups(segments, "CPS", stop="CNT")
    bgm = bgm_of(unh, segments, ("351",), "despatch advice")
    if not packages:  # lines with no CPS: one package holds them all
        header, lines, _ = f.groups(header, "LIN", stop="CNT")
        packages = [[Segment("CPS", (("1",),), bgm.index), *sum(lines, [])]] if lines else []
    dates, parties, refs = f.dates(header), f.parties(header), f.references(header)
    return DespatchAdvice(
        number=f.required(bgm, 1, "BGM document number"),
        issued=f.document_date(dates, bgm),
        supplier=f.party(parties, "SU", bgm),
        buyer=f.party(parties, "BY", bgm),
        ship_to=parties.get("DP") or parties.get("ST"),
        order_number=f.first_reference(refs, "ON"),
        despatched=dates.get("11"),
        estimated_delivery=dates.get("17"),
        tracking=tuple(refs.get("CN", ())),
        packages=tuple(_package(group, fields) for group in packages),
        message_ref=unh.value(0),
    )


def _package(group: list[Segment], fields: f.Fields) -> Package:
    cps = group[0]
    own, lines, _ = f.groups(group[1:], "LIN", stop="CNT")
    sscc = f.first(own, "GIN", "BJ")
    return Package(
        number=f.required(cps, 0, "CPS package number"),
        parent=cps.value(1) or None,
        sscc=sscc.value(1) if sscc else None,
        tracking=tuple(f.references(own).get("CN", ())),
        lines=tuple(_line(line, fields) for line in lines),
    )


def _line(group: list[Segment], fields: f.Fields) -> DespatchLine:
    lin_ = group[0]
    qty = f.first(group, "QTY", "12")
    if qty is None:
        raise f.error(lin_, "the line has no despatched quantity (QTY+12)")
    order = f.first(group, "RFF", "ON")
    return DespatchLine(
        line_no=f.whole(lin_, 0, "LIN line number"),
        quantity=fields.number(qty, 0, 1, "despatched quantity"),
        mpn=f.mpn(group),
        supplier_item=f.supplier_item(lin_),
        buyer_line=f.buyer_line(group),
        order_number=order.value(0, 1) if order else None,
        serials=tuple(_serials(group)),
    )


def _serials(group: list[Segment]) -> list[str]:
    serials: list[str] = []
    for gin in f.tagged(group, "GIN", "BN"):
        for element in gin.elements[1:]:
            first, last = (element + ("",))[:2]
            if not first:
                continue
            try:
                serials += expand(first, last) if last else [first]
            except ValueError as exc:
                raise f.error(gin, str(exc)) from None
    return serials
