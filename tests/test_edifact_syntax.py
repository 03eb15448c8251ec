"""Bad interchanges: each refused with a typed error naming the segment (index and tag).

Segments are counted from UNB = 1 (a UNA is 0), so an interchange reads the same with or
without one. The cases are those of the EDI notes' test data conventions and issue 17's bad
input list.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from connectors.edifact import (
    ContentError,
    EdifactError,
    EdifactSyntaxError,
    EnvelopeError,
    ServiceCharacterError,
    build_orders,
    encode,
    gln_problem,
    is_gln,
    parse,
)
from connectors.edifact.gln import check_digit
from tests.edi_data import BUYER, ENVELOPE, ORDER, ORDRSP_BODY, SUPPLIER, interchange, message

GOOD = interchange(*message("ORDRSP", *ORDRSP_BODY))


def refused(text: str | bytes, kind: type[EdifactError]) -> EdifactError:
    with pytest.raises(kind) as caught:
        parse(text)
    return caught.value


def test_the_good_interchange_reads():
    response = parse(GOOD).messages[0]
    assert response.order_number == "PO-000123" and response.lines[0].quantity == Decimal(4)


# --- service characters ------------------------------------------------------------------


def test_unoc_2_without_una_reads_with_the_default_separators():
    text = GOOD.removeprefix("UNA:+.? '").replace("UNOC:3", "UNOC:2")
    read = parse(text)
    assert read.envelope.syntax_version == "2" and read.messages[0].lines[0].mpn == "KB-200"


def test_a_decimal_comma_una_reads_quantities_with_a_comma():
    text = interchange(
        *message("ORDRSP", *[s.replace("QTY+113:4", "QTY+113:2,5") for s in ORDRSP_BODY]),
        una="UNA:+,? '",
    )
    assert parse(text).messages[0].lines[0].quantity == Decimal("2.5")


def test_a_decimal_point_under_a_decimal_comma_una_is_not_a_number():
    body = [s.replace("QTY+113:4", "QTY+113:2.5") for s in ORDRSP_BODY]
    error = refused(interchange(*message("ORDRSP", *body), una="UNA:+,? '"), ContentError)
    assert (error.index, error.tag) == (10, "QTY") and "'2.5' is not a number" in error.message


def test_other_separators_declared_in_una_are_used():
    text = GOOD.replace("UNA:+.? '", "").translate(str.maketrans({"+": "*", ":": "^", "'": "~"}))
    assert parse("UNA^*.? ~" + text).messages[0].lines[0].mpn == "KB-200"


@pytest.mark.parametrize(
    ("una", "words"),
    [
        ("UNA:+.?", "six service characters"),
        ("UNA::.? '", "two purposes"),
        ("UNA:+.?A'", "reserved"),
        ("UNA:+;? '", "decimal mark"),
        ("UNAX+.? '", "punctuation"),
        ("UNA:+. ''", "punctuation"),
    ],
)
def test_a_bad_una_is_refused_at_segment_0(una, words):
    error = refused(una + GOOD.removeprefix("UNA:+.? '"), ServiceCharacterError)
    assert (error.index, error.tag) == (0, "UNA") and words in error.message


def test_release_characters_escape_service_characters_in_data():
    body = [s.replace("PIA+5+KB-200:MF", "PIA+5+KB-200?+US?:1?'A??B:MF") for s in ORDRSP_BODY]
    assert parse(interchange(*message("ORDRSP", *body))).messages[0].lines[0].mpn == (
        "KB-200+US:1'A?B"
    )


def test_a_release_character_before_an_ordinary_character_is_refused():
    body = [s.replace("PIA+5+KB-200:MF", "PIA+5+KB?-200:MF") for s in ORDRSP_BODY]
    error = refused(interchange(*message("ORDRSP", *body)), ServiceCharacterError)
    assert error.index == 9 and "before '-'" in error.message


def test_an_escaped_final_terminator_leaves_the_interchange_unterminated():
    error = refused(GOOD[:-1] + "?'", EdifactSyntaxError)
    assert "does not end with the segment terminator" in error.message


# --- character sets ----------------------------------------------------------------------


def test_iso_8859_1_bytes_of_a_unoc_interchange_are_read_as_latin_1():
    text = build_orders(
        ORDER.__class__(
            **{
                **ORDER.__dict__,
                "lines": (
                    ORDER.lines[0].__class__(
                        1, "KB-200", Decimal(1), description="Clavier français, größe"
                    ),
                ),
            }
        ),
        ENVELOPE,
    )
    data = encode(text)
    assert "ç".encode("iso-8859-1") in data and "ç".encode() not in data
    assert parse(data).messages[0].lines[0].description == "Clavier français, größe"


def test_utf_8_bytes_under_unoa_are_refused_with_their_segment():
    body = [s.replace("PIA+5+KB-200:MF", "PIA+5+KB-200:MF") for s in ORDRSP_BODY]
    text = interchange(*message("ORDRSP", *body)).replace("UNOC:3", "UNOA:3")
    data = text.replace("KB-200", "KB-2ö0").encode()
    error = refused(data, ServiceCharacterError)
    assert error.index == 9 and "UNOA" in error.message


def test_a_character_outside_iso_8859_1_is_refused_in_unoc():
    text = GOOD.replace("R-7", "R€7")
    error = refused(text, ServiceCharacterError)
    assert (error.index, error.tag) == (3, "BGM") and "UNOC" in error.message


def test_lower_case_is_refused_in_unoa():
    error = refused(
        GOOD.replace("UNOC:3", "UNOA:3").replace("KB-200", "kb-200"), ServiceCharacterError
    )
    assert (error.index, error.tag) == (9, "PIA")


def test_a_control_character_inside_data_is_refused():
    error = refused(GOOD.replace("R-7", "R\x07"), ServiceCharacterError)
    assert (error.index, error.tag) == (3, "BGM")


def test_building_text_the_character_set_cannot_carry_is_refused():
    order = ORDER.__class__(**{**ORDER.__dict__, "number": "PO-€"})
    with pytest.raises(ValueError, match="UNOC"):
        build_orders(order, ENVELOPE)


# --- envelopes ---------------------------------------------------------------------------


def test_a_missing_unt_is_refused_at_unz():
    text = interchange(*message("ORDRSP", *ORDRSP_BODY)[:-1], count=1)
    error = refused(text, EnvelopeError)
    assert (error.index, error.tag) == (13, "UNZ") and "has no UNT" in error.message


def test_a_missing_unt_before_the_next_message_is_refused_there():
    first = message("ORDRSP", *ORDRSP_BODY)[:-1]
    text = interchange(*first, *message("ORDRSP", *ORDRSP_BODY, ref="2"), count=2)
    error = refused(text, EnvelopeError)
    assert (error.index, error.tag) == (13, "UNH") and "'1'" in error.message


def test_a_wrong_unt_segment_count_is_refused():
    text = interchange(*message("ORDRSP", *ORDRSP_BODY, count=11))
    error = refused(text, EnvelopeError)
    assert (error.index, error.tag) == (13, "UNT") and "'11' segments; it has 12" in error.message


def test_a_unt_reference_that_is_not_the_unhs_is_refused():
    text = GOOD.replace("UNT+12+1'", "UNT+12+9'")
    assert refused(text, EnvelopeError).tag == "UNT"


def test_a_wrong_unz_message_count_is_refused():
    error = refused(interchange(*message("ORDRSP", *ORDRSP_BODY), count=2), EnvelopeError)
    assert (error.index, error.tag) == (14, "UNZ") and "'2' messages; it has 1" in error.message


def test_a_unz_control_reference_that_is_not_the_unbs_is_refused():
    error = refused(GOOD.replace("UNZ+1+CR1", "UNZ+1+CR2"), EnvelopeError)
    assert error.tag == "UNZ" and "'CR2'" in error.message


def test_no_unb_no_unz_and_segments_outside_messages_are_refused():
    assert refused("UNH+1+ORDRSP:D:96A:UN'", EnvelopeError).index == 1
    assert refused("UNA:+.? 'UNH+1+ORDRSP:D:96A:UN'", ServiceCharacterError).index == 0
    assert "no UNZ" in refused(GOOD.removesuffix("UNZ+1+CR1'"), EnvelopeError).message
    stray = GOOD.replace("UNZ+1+CR1'", "FTX+AAI+++X'UNZ+1+CR1'")
    assert refused(stray, EnvelopeError).tag == "FTX"
    after = refused(GOOD + "UNH+2+ORDRSP:D:96A:UN'", EnvelopeError)
    assert "after UNZ" in after.message


def test_two_messages_with_one_reference_are_refused():
    text = interchange(*message("ORDRSP", *ORDRSP_BODY), *message("ORDRSP", *ORDRSP_BODY))
    assert "reference '1'" in refused(text, EnvelopeError).message


def test_an_unsupported_message_type_or_directory_is_refused_at_unh():
    text = GOOD.replace("ORDRSP:D:96A", "ORDRSP:D:01B")
    error = refused(text, ContentError)
    assert (error.index, error.tag) == (2, "UNH")
    assert refused(GOOD.replace("ORDRSP:D", "IFTMIN:D"), ContentError).tag == "UNH"


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("UNOC:3", "UNOX:3", "syntax identifier"),
        ("UNOC:3", "UNOC:7", "syntax version"),
        ("260303:1405", "261303:1405", "date and time"),
        (f"{SUPPLIER}:14", "5412345000021:14", "check digit"),
        ("+CR1'", "+CR12345678901234'", "1 to 14"),
    ],
)
def test_a_bad_unb_is_refused(old, new, words):
    text = GOOD.replace(old, new, 1)
    error = refused(text, EnvelopeError)
    assert (error.index, error.tag) == (1, "UNB") and words in error.message


def test_text_that_does_not_end_with_a_terminator_is_refused():
    error = refused(GOOD[:-1], EdifactSyntaxError)
    assert error.index == 14


def test_a_malformed_tag_is_refused():
    error = refused(GOOD.replace("RFF+ON", "R?:F+ON"), EdifactSyntaxError)
    assert error.index == 5


# --- content -----------------------------------------------------------------------------


@pytest.mark.parametrize("quantity", ["ABC", "", "1.2.3", "1e5", "12345678901234567"])
def test_a_non_numeric_quantity_is_refused_at_its_qty(quantity):
    body = [s.replace("QTY+113:4", f"QTY+113:{quantity}") for s in ORDRSP_BODY]
    error = refused(interchange(*message("ORDRSP", *body)), ContentError)
    assert (error.index, error.tag) == (10, "QTY") and "is not a number" in error.message
    assert str(error).startswith("segment 10 (QTY): confirmed quantity")


def test_an_invalid_gln_in_a_nad_is_refused():
    body = [s.replace(f"NAD+BY+{BUYER}", "NAD+BY+5412345000014") for s in ORDRSP_BODY]
    error = refused(interchange(*message("ORDRSP", *body)), ContentError)
    assert (error.index, error.tag) == (6, "NAD") and "check digit" in error.message


def test_a_response_that_names_no_order_is_refused():
    body = [s for s in ORDRSP_BODY if not s.startswith("RFF+ON")]
    assert "RFF+ON" in refused(interchange(*message("ORDRSP", *body)), ContentError).message


def test_an_error_carries_the_text_it_was_found_in():
    error = refused(GOOD.replace("QTY+113:4", "QTY+113:X"), ContentError)
    assert error.raw is not None and "QTY+113:X" in error.raw
    assert error.where == "segment 10 (QTY)"
    assert error.as_json() == {
        "error": "content",
        "message": error.message,
        "index": 10,
        "tag": "QTY",
    }


# --- GLN ---------------------------------------------------------------------------------


@pytest.mark.parametrize("gln", [BUYER, SUPPLIER, "5412345000037", "4012345000009"])
def test_valid_glns(gln):
    assert is_gln(gln) and gln_problem(gln) is None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("5412345000014", "should be 3"),
        ("541234500001", "13 digits"),
        ("54123450000133", "13 digits"),
        ("541234500001X", "13 digits"),
        ("５４１２３４５００００１３", "13 digits"),
    ],
)
def test_invalid_glns_say_why(text, words):
    assert not is_gln(text) and words in gln_problem(text)


def test_the_check_digit_is_gs1_mod_10():
    assert check_digit("541234500001") == 3 and check_digit("629104150021") == 3
