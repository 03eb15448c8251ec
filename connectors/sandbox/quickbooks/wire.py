"""How the simulated QuickBooks answers on the wire: JSON bodies, Fault shapes, XML, headers."""

from __future__ import annotations

import json
import time
from decimal import Decimal

from starlette.responses import Response

from connectors.sandbox.quickbooks.company import SandboxFault, now_text

XML_NS = "http://schema.intuit.com/finance/v3"


def entity_name(path_part: str) -> str:
    names = {"bill": "Bill", "purchaseorder": "PurchaseOrder", "vendor": "Vendor"}
    names.update({"account": "Account", "item": "Item", "taxcode": "TaxCode", "class": "Class"})
    names.update({"department": "Department", "term": "Term"})
    if path_part.lower() not in names:
        raise SandboxFault("500", "Unsupported Operation", f"/{path_part} is not supported")
    return names[path_part.lower()]


def load(raw: bytes):
    try:
        return json.loads(raw or b"null", parse_float=Decimal)
    except ValueError:
        raise SandboxFault(
            "2010", "Request has invalid or unsupported property", "not JSON"
        ) from None


def dumps(data) -> str:
    # QuickBooks answers amounts as JSON numbers; posync reads them back as Decimal.
    return json.dumps(data, default=lambda v: float(v) if isinstance(v, Decimal) else str(v))


def tid_header(tid: str) -> dict:
    return {"intuit_tid": tid}


def json_response(data: dict, status: int = 200, tid: str | None = None) -> Response:
    headers = tid_header(tid) if tid else {}
    return Response(dumps(data), status, media_type="application/json", headers=headers)


def auth_fault(tid: str) -> Response:
    # A 401 from QuickBooks has a lower-case body, unlike every other Fault.
    body: dict[str, object] = {
        "warnings": None,
        "intuitObject": None,
        "fault": {
            "error": [
                {
                    "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                    "detail": "Token expired or invalid",
                    "code": "3200",
                    "element": None,
                }
            ],
            "type": "AUTHENTICATION",
        },
        "report": None,
        "queryResponse": None,
        "batchItemResponse": [],
        "time": int(time.time() * 1000),
    }
    return json_response(body, 401, tid)


def xml_fault(fault: SandboxFault, tid: str) -> Response:
    from xml.sax.saxutils import escape, quoteattr

    text = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<IntuitResponse xmlns="{XML_NS}" time="{now_text()}">'
        f"<Fault type={quoteattr(fault.fault_type)}><Error code={quoteattr(fault.code)}>"
        f"<Message>{escape(fault.message)}</Message><Detail>{escape(fault.detail)}</Detail>"
        "</Error></Fault></IntuitResponse>"
    )
    return Response(text, fault.status, media_type="application/xml", headers=tid_header(tid))
