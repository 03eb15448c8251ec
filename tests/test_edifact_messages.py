"""ORDERS, ORDRSP, DESADV and INVOIC built and read back; accept statuses; serial ranges; totals."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from connectors.edifact import (
    AcceptStatus,
    ContentError,
    TotalsError,
    UnknownCode,
    build,
    build_desadv,
    build_invoic,
    build_orders,
    build_ordrsp,
    header_status,
    line_status,
    parse,
    totals_of,
)
from connectors.edifact.desadv import expand
from connectors.edifact.messages import Interchange
from connectors.edifact.syntax import Separators
from tests.edi_data import (
    ADVICE,
    BACK,
    ENVELOPE,
    INVOICE,
    ORDER,
    ORDRSP_BODY,
    RESPONSE,
    interchange,
    message,
)


def test_an_order_round_trips_with_gln_mpn_partial_shipment_and_special_bid():
    text = build_orders(ORDER, ENVELOPE)
    assert "NAD+BY+5412345000013::9'" in text and "NAD+ST+5412345000037::9'" in text
    assert "PIA+5+KB-200?+US:MF'" in text  # release character before a data separator
    assert "FTX+DIN++SCO" in text and "RFF+PR:SB-2026-77'" in text
    assert "QTY+21:4'" in text and "PRI+AAA:12.50'" in text and "RFF+LI:1'" in text
    read = parse(text)
    assert read.envelope == ENVELOPE
    assert read.messages == (ORDER,)


def test_partial_shipments_allowed_and_a_special_deal_round_trip():
    order = replace(ORDER, partial_shipments=True, special_order_type="special_deal")
    text = build_orders(order, ENVELOPE)
    assert "FTX+DIN++PSA" in text and "RFF+CT:SB-2026-77'" in text
    assert parse(text).messages == (order,)


def test_special_pricing_needs_both_the_type_and_the_reference():
    with pytest.raises(ValueError, match="special"):
        build_orders(replace(ORDER, special_reference=None), ENVELOPE)


def test_an_order_response_round_trips_with_changed_added_and_backordered_lines():
    text = build_ordrsp(RESPONSE, BACK)
    assert "BGM+231+R-1+4'" in text and "LIN+3+1'" in text and "QTY+113:3'" in text
    read = parse(text).messages[0]
    assert read == RESPONSE
    assert read.status is AcceptStatus.CHANGED
    assert [line.status for line in read.lines] == [
        AcceptStatus.CHANGED,
        AcceptStatus.ACCEPTED,
        AcceptStatus.ADDED,
    ]
    assert read.lines[2].buyer_line is None  # a supplier-added line has no RFF+LI


def test_a_confirmed_quantity_is_read_from_qty_187_as_from_113():
    body = [s.replace("QTY+113", "QTY+187") for s in ORDRSP_BODY]
    read = parse(interchange(*message("ORDRSP", *body))).messages[0]
    assert read.lines[0].quantity == Decimal(4) and read.confirmed_qualifier == "187"
    response = replace(RESPONSE, confirmed_qualifier="187")
    assert "QTY+187:3'" in build_ordrsp(response, BACK)
    assert parse(build_ordrsp(response, BACK)).messages[0] == response


def test_a_hub_s_confirmed_qualifiers_are_the_ones_read():
    """[edi] confirmed_qualifiers: a partner whose 187 means "scheduled", not confirmed."""
    body = [s.replace("QTY+113", "QTY+187") for s in ORDRSP_BODY]
    text = interchange(*message("ORDRSP", *body))
    assert parse(text, confirmed=("113",)).messages[0].lines[0].quantity is None
    assert parse(text, confirmed=("187",)).messages[0].lines[0].quantity == Decimal(4)


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("29", AcceptStatus.ACCEPTED),
        ("4", AcceptStatus.CHANGED),
        ("28", AcceptStatus.CHANGED),
        ("30", AcceptStatus.CHANGED),
        ("34", AcceptStatus.CHANGED),
        ("27", AcceptStatus.REJECTED),
        ("1", AcceptStatus.DELETED),
        ("3", AcceptStatus.DELETED),
        ("12", None),
    ],
)
def test_each_bgm_1225_code_maps_to_its_order_accept_status(code, status):
    assert header_status(code) is status
    body = [s.replace("BGM+231+R-7+29", f"BGM+231+R-7+{code}") for s in ORDRSP_BODY]
    assert parse(interchange(*message("ORDRSP", *body))).messages[0].status is status


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("5", AcceptStatus.ACCEPTED),
        ("3", AcceptStatus.CHANGED),
        ("6", AcceptStatus.CHANGED),
        ("24", AcceptStatus.CHANGED),
        ("7", AcceptStatus.REJECTED),
        ("2", AcceptStatus.DELETED),
        ("1", AcceptStatus.ADDED),
        ("4", None),
    ],
)
def test_each_lin_1229_code_maps_to_its_line_accept_status(code, status):
    assert line_status(code) is status
    body = [s.replace("LIN+1+5", f"LIN+1+{code}") for s in ORDRSP_BODY]
    assert parse(interchange(*message("ORDRSP", *body))).messages[0].lines[0].status is status


def test_the_status_names_are_the_consoles():
    assert [s.value for s in AcceptStatus] == [
        "Accepted",
        "Changed and Accepted",
        "Rejected",
        "Deleted",
        "Added",
    ]


@pytest.mark.parametrize(
    ("tag", "old", "new"), [("BGM", "+29", "+99"), ("LIN", "LIN+1+5", "LIN+1+9")]
)
def test_an_unknown_response_code_is_an_error_at_its_segment(tag, old, new):
    body = [s.replace(old, new) if s.startswith(tag) else s for s in ORDRSP_BODY]
    with pytest.raises(ContentError) as caught:
        parse(interchange(*message("ORDRSP", *body)))
    assert (
        caught.value.tag == tag
        and caught.value.index == 2 + body.index(next(s for s in body if s.startswith(tag))) + 1
    )
    with pytest.raises(UnknownCode):
        header_status("99")


def test_a_despatch_advice_round_trips_with_packages_serials_and_tracking():
    text = build_desadv(ADVICE, BACK)
    assert "GIN+BN+SN0098:SN0100+X-1'" in text  # three in a row written as a range
    assert "RFF+CN:1Z999AA10123456784'" in text and "GIN+BJ+354123450000000011'" in text
    read = parse(text).messages[0]
    assert read == ADVICE
    assert read.lines[0].serials == ("SN0098", "SN0099", "SN0100", "X-1")
    assert read.tracking_numbers == ("1Z999AA10123456784", "PKG-1")


def test_a_gin_range_is_expanded_and_singles_are_kept():
    body = (
        "BGM+351+D-7+9",
        "DTM+137:20260304:102",
        "RFF+ON:PO-000123",
        "NAD+SU+5412345000020::9",
        "NAD+BY+5412345000013::9",
        "LIN+1",
        "QTY+12:7",
        "GIN+BN+AB0998:AB1002+Z1+Z2",
        "GIN+BN+Z3",
        "CNT+2:1",
    )
    advice = parse(interchange(*message("DESADV", *body))).messages[0]
    assert advice.packages[0].number == "1"  # lines without CPS: one package
    assert advice.lines[0].serials == (
        "AB0998",
        "AB0999",
        "AB1000",
        "AB1001",
        "AB1002",
        "Z1",
        "Z2",
        "Z3",
    )
    assert advice.despatched is None and advice.order_number == "PO-000123"


@pytest.mark.parametrize(
    ("first", "last", "words"),
    [
        ("SN10", "SN09", "counts down"),
        ("A1", "B2", "one prefix"),
        ("SN1", "SN20", "one width"),
        ("S00000", "S99999", "more than"),
    ],
)
def test_a_serial_range_that_is_not_one_is_refused(first, last, words):
    with pytest.raises(ValueError, match=words):
        expand(first, last)
    body = (
        "BGM+351+D-7+9",
        "DTM+137:20260304:102",
        "NAD+SU+5412345000020::9",
        "NAD+BY+5412345000013::9",
        "LIN+1",
        "QTY+12:1",
        f"GIN+BN+{first}:{last}",
    )
    with pytest.raises(ContentError, match=words) as caught:
        parse(interchange(*message("DESADV", *body)))
    assert caught.value.tag == "GIN" and caught.value.index == 9


def test_an_invoice_round_trips_with_freight_terms_tax_and_totals():
    text = build_invoic(INVOICE, BACK)
    assert "ALC+C++6++FC:::Freight'MOA+23:7.50'" in text
    assert "PAT+1+2/10NET30:::2% 10 days, net 30+5:3:D:30'" in text and "PCD+12:2'" in text
    assert "TAX+7+VAT+++:::21+S'" in text and "DTM+13:20260404:102'" in text
    assert "MOA+79:40.60'MOA+131:7.50'MOA+125:48.10'MOA+176:8.53'MOA+77:56.63'" in text
    read = parse(text).messages[0]
    assert read == replace(INVOICE, totals=totals_of(INVOICE))
    assert read.due == date(2026, 4, 4) and read.charges[0].amount == Decimal("7.50")


INVOIC_BODY = (
    "BGM+380+INV-3+9",
    "DTM+137:20260305:102",
    "NAD+SU+5412345000020::9",
    "NAD+BY+5412345000013::9",
    "CUX+2:EUR:4",
    "ALC+C++6++FC",
    "MOA+23:5",
    "LIN+1",
    "QTY+47:2",
    "MOA+203:20",
    "PRI+AAA:10",
    "LIN+2",
    "QTY+47:1",
    "MOA+203:10",
    "PRI+AAA:10",
    "UNS+S",
    "MOA+79:30",
    "MOA+131:5",
    "MOA+125:35",
    "MOA+176:7.35",
    "MOA+77:42.35",
)


def test_a_charge_is_taken_once_though_the_summary_repeats_it():
    invoice = parse(interchange(*message("INVOIC", *INVOIC_BODY))).messages[0]
    assert [(c.code, c.amount) for c in invoice.charges] == [("FC", Decimal(5))]
    assert invoice.totals.charges == Decimal(5) and invoice.totals.total == Decimal("42.35")
    assert invoice.terms is None and invoice.due is None


@pytest.mark.parametrize(
    ("segment", "wrong", "words"),
    [
        ("MOA+79:30", "MOA+79:31", "sum of the line amounts"),
        ("MOA+131:5", "MOA+131:6", "sum of the charges"),
        ("MOA+125:35", "MOA+125:36", "MOA\\+79 \\+ MOA\\+131"),
        ("MOA+77:42.35", "MOA+77:42.36", "MOA\\+125 \\+ MOA\\+176"),
    ],
)
def test_totals_that_do_not_add_up_are_an_error_at_the_total(segment, wrong, words):
    body = [wrong if s == segment else s for s in INVOIC_BODY]
    with pytest.raises(TotalsError, match=words) as caught:
        parse(interchange(*message("INVOIC", *body)))
    assert caught.value.tag == "MOA" and caught.value.index == 3 + body.index(wrong)


def test_an_invoice_without_a_grand_total_is_refused():
    body = [s for s in INVOIC_BODY if s != "MOA+77:42.35"]
    with pytest.raises(ContentError, match="MOA\\+77"):
        parse(interchange(*message("INVOIC", *body)))


def test_several_messages_in_one_interchange_in_a_decimal_comma():
    messages = (replace(RESPONSE, message_ref="1"), replace(ADVICE, message_ref="2"))
    comma = Separators(decimal=",")
    text = build(Interchange(BACK, messages), separators=comma)
    assert text.startswith("UNA:+,? '") and "QTY+21" not in text and "QTY+12:3'" in text
    assert "PRI+AAA:7,25'" in text
    assert parse(text).messages == messages


def test_a_buyer_line_reference_may_carry_the_po_number_before_the_line_number():
    body = [s.replace("RFF+LI:1", "RFF+LI:PO-000123:7") for s in ORDRSP_BODY]
    assert parse(interchange(*message("ORDRSP", *body))).messages[0].lines[0].buyer_line == 7


def test_text_with_a_control_character_is_not_built():
    with pytest.raises(ValueError, match="control character"):
        build_orders(replace(ORDER, number="PO\n1"), ENVELOPE)
