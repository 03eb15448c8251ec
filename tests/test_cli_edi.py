"""`posync edi parse FILE [--json]`: an interchange validated, its content or its error shown."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from connectors.edifact import build_invoic, build_ordrsp, encode
from posync_tui.cli import app
from tests.edi_data import BACK, INVOICE, RESPONSE

runner = CliRunner()


def test_a_valid_interchange_is_summarised(tmp_path):
    file = tmp_path / "invoice.edi"
    file.write_bytes(encode(build_invoic(INVOICE, BACK)))
    result = runner.invoke(app, ["edi", "parse", str(file)])
    assert result.exit_code == 0, result.output
    assert "interchange S000001 from 5412345000020 to 5412345000013" in result.output
    assert "INVOIC 1: INV-9 for PO-000123, total 56.63 EUR, 2 line(s)" in result.output


def test_json_shows_every_field_with_the_accept_statuses(tmp_path):
    file = tmp_path / "response.edi"
    file.write_bytes(encode(build_ordrsp(RESPONSE, BACK).replace("R-1", "R-Größe")))
    result = runner.invoke(app, ["edi", "parse", str(file), "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["envelope"]["control_ref"] == "S000001"
    [response] = shown["messages"]
    assert response["type"] == "ORDRSP" and response["number"] == "R-Größe"
    assert response["status"] == "Changed and Accepted"
    assert [line["status"] for line in response["lines"]] == [
        "Changed and Accepted",
        "Accepted",
        "Added",
    ]
    assert response["lines"][0]["quantity"] == "3" and response["issued"] == "2026-03-03"


def test_an_invalid_interchange_prints_the_error_and_its_segment_and_exits_1(tmp_path):
    file = tmp_path / "bad.edi"
    file.write_text(build_ordrsp(RESPONSE, BACK).replace("QTY+113:3", "QTY+113:THREE"))
    result = runner.invoke(app, ["edi", "parse", str(file)])
    assert result.exit_code == 1
    assert "segment 11 (QTY): confirmed quantity 'THREE' is not a number" in result.output
    as_json = runner.invoke(app, ["edi", "parse", str(file), "--json"])
    assert as_json.exit_code == 1
    assert json.loads(as_json.output) == {
        "error": "content",
        "message": "confirmed quantity 'THREE' is not a number (decimal mark '.')",
        "index": 11,
        "tag": "QTY",
    }


def test_a_wrong_segment_count_is_an_envelope_error(tmp_path):
    file = tmp_path / "count.edi"
    text = build_ordrsp(RESPONSE, BACK)
    assert "UNT+24+1'" in text
    file.write_text(text.replace("UNT+24+1", "UNT+23+1"))
    result = runner.invoke(app, ["edi", "parse", str(file), "--json"])
    assert result.exit_code == 1 and json.loads(result.output)["tag"] == "UNT"
