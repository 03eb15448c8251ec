"""QuickBooks Online Fault bodies → typed errors with plain-words messages.

Intuit answers errors in several shapes, all of which reach this module:
- JSON ``{"Fault": {"Error": [{"Message", "Detail", "code", "element"}], "type"}}`` (most calls);
- JSON ``{"fault": {"error": [{"message", "detail", "code", "element"}], "type"}}`` (401s);
- XML ``<IntuitResponse><Fault type=".."><Error code=".."><Message/><Detail/></Error></Fault>``
  (throttling and some authentication failures, even when JSON was asked for).
The ``intuit_tid`` response header identifies the call for Intuit support; it is kept on the error.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
from pydantic import AliasChoices, BaseModel, BeforeValidator, Field, TypeAdapter, ValidationError

from connectors.bodies import Reply, loads
from connectors.errors import ConnectorError

PARTNER = "QuickBooks"


@dataclass(frozen=True)
class FaultError:
    """One ``Error`` of a Fault, as QuickBooks sent it."""

    code: str
    message: str = ""
    detail: str = ""
    element: str = ""


class QuickBooksError(ConnectorError):
    """QuickBooks refused a request. ``message`` is plain words; the raw error is kept too."""

    retryable = False
    code = ""

    def __init__(
        self,
        message: str,
        *,
        code: str = "",
        status: int | None = None,
        errors: tuple[FaultError, ...] = (),
        fault_type: str = "",
        intuit_tid: str | None = None,
    ):
        super().__init__(message, status=status, detail=errors)
        self.code = code or type(self).code
        self.errors = errors
        self.fault_type = fault_type
        self.intuit_tid = intuit_tid

    @property
    def element(self) -> str:
        return self.errors[0].element if self.errors else ""


class MissingField(QuickBooksError):
    code = "2020"


class ValueTooLong(QuickBooksError):
    code = "2050"


class BadReference(QuickBooksError):
    code = "2500"


class StaleObject(QuickBooksError):
    """Someone changed the record since it was read (SyncToken mismatch): re-read and retry."""

    code = "5010"


class NotFound(QuickBooksError):
    code = "610"


class DuplicateDocNumber(QuickBooksError):
    code = "6140"


class DuplicateName(QuickBooksError):
    code = "6240"


class AuthFailed(QuickBooksError):
    code = "3200"


class Throttled(QuickBooksError):
    """HTTP 429 / ThrottleExceeded (3001): wait, then send the same request again."""

    retryable = True
    throttled = True
    code = "3001"

    def __init__(self, message: str, *, retry_after: float | None = None, **kw):
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ReconnectQuickBooks(ConnectorError):
    """The saved sign-in no longer works (invalid_grant): an operator must reconnect QuickBooks."""


# code → (error class, plain words). {element} and {detail} are filled from the Fault.
_CODES: dict[str, tuple[type[QuickBooksError], str]] = {
    "2020": (MissingField, "a required field is missing ({element}); fill it in and re-sync"),
    "2050": (ValueTooLong, "a value is too long for QuickBooks ({element}): {detail}"),
    "2500": (
        BadReference,
        "it refers to a record QuickBooks does not know ({element}), such as a vendor, item "
        "or account that was deleted or made inactive: {detail}",
    ),
    "5010": (
        StaleObject,
        "someone else changed this record in QuickBooks at the same time; read it again",
    ),
    "610": (NotFound, "the record was not found in QuickBooks (deleted or made inactive)"),
    "6140": (
        DuplicateDocNumber,
        "QuickBooks already has a transaction with this reference number ({element}); "
        "change the supplier invoice number or the PO reference",
    ),
    "6240": (DuplicateName, "QuickBooks already has a contact with this name"),
    "3200": (AuthFailed, "QuickBooks did not accept posync's sign-in; reconnect QuickBooks"),
    "3100": (AuthFailed, "this QuickBooks company has not authorised posync; reconnect QuickBooks"),
    "100": (AuthFailed, "QuickBooks did not accept posync's sign-in; reconnect QuickBooks"),
    "3001": (Throttled, "QuickBooks asked us to slow down (too many requests)"),
}


def _text(value: Any) -> str:
    return "" if value is None else str(value)


Text = Annotated[str, BeforeValidator(_text)]


class _Error(BaseModel):
    code: Text = Field("", validation_alias=AliasChoices("code", "Code"))
    message: Text = Field("", validation_alias=AliasChoices("Message", "message"))
    detail: Text = Field("", validation_alias=AliasChoices("Detail", "detail"))
    element: Text = Field("", validation_alias=AliasChoices("element", "Element"))


def _listed(value: Any) -> Any:
    # One error may come bare instead of in a list; items that are not objects are skipped.
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, dict)]


class _Fault(BaseModel):
    type: Text = ""
    errors: Annotated[list[_Error], BeforeValidator(_listed)] = Field(
        default_factory=list, validation_alias=AliasChoices("Error", "error")
    )


class _FaultBody(BaseModel):
    fault: _Fault | None = Field(None, validation_alias=AliasChoices("Fault", "fault"))


_FAULT = TypeAdapter(_FaultBody)


def parse_fault(body: object) -> tuple[str, tuple[FaultError, ...]]:
    """The Fault type and errors in a decoded JSON body (either capitalisation), or ("", ())."""
    try:
        fault = _FAULT.validate_python(body).fault
    except ValidationError:
        return "", ()
    if fault is None:
        return "", ()
    errors = tuple(
        FaultError(_clean_code(e.code), e.message, e.detail, e.element) for e in fault.errors
    )
    return fault.type, errors


def parse_xml_fault(text: str) -> tuple[str, tuple[FaultError, ...]]:
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return "", ()
    fault = next((el for el in root.iter() if _local(el.tag) == "Fault"), None)
    if fault is None:
        return "", ()
    errors = []
    for err in (el for el in fault if _local(el.tag) == "Error"):
        texts = {_local(child.tag): (child.text or "").strip() for child in err}
        errors.append(
            FaultError(
                code=_clean_code(err.get("code", "")),
                message=texts.get("Message", ""),
                detail=texts.get("Detail", ""),
                element=err.get("element", ""),
            )
        )
    return fault.get("type", ""), tuple(errors)


def fault_from_response(response: httpx.Response | Reply) -> tuple[str, tuple[FaultError, ...]]:
    """The Fault in a response body, JSON or XML; ("", ()) when there is none."""
    text = (response.raw if isinstance(response, Reply) else response.text).lstrip()
    if text.startswith("<"):
        return parse_xml_fault(text)
    try:
        body = loads(text) if text else None
    except ValueError:
        return "", ()
    return parse_fault(body)


def error_for(
    errors: tuple[FaultError, ...],
    *,
    fault_type: str = "",
    status: int | None = None,
    intuit_tid: str | None = None,
    retry_after: float | None = None,
) -> QuickBooksError:
    """The typed error for a Fault; unknown codes become a plain QuickBooksError."""
    first = errors[0] if errors else FaultError(code="")
    code = first.code
    if not code and status == 429:
        code = "3001"
    if not code and status == 401:
        code = "3200"
    cls, template = _CODES.get(code, (QuickBooksError, ""))
    if template:  # only posync's own words are a format string, never QuickBooks' text
        words = template.format(
            element=first.element or _element_from_detail(first) or "unknown field",
            detail=first.detail or first.message or "no detail given",
        )
    else:
        words = first.message or f"QuickBooks refused the request (HTTP {status})"
        if first.detail and first.detail not in words:
            words = f"{words}: {first.detail}"
    message = f"QuickBooks error {code}: {words}" if code else words
    error = cls(
        message,
        code=code,
        status=status,
        errors=errors,
        fault_type=fault_type,
        intuit_tid=intuit_tid,
    )
    if isinstance(error, Throttled):
        error.retry_after = retry_after
    return error


def _clean_code(code: str) -> str:
    # Throttle messages say errorCode=003001; the code attribute says 3001.
    return code.strip().lstrip("0") or code.strip()


def _element_from_detail(error: FaultError) -> str:
    match = re.search(r"(?:param|field|property)[:\s]+(\w+)", error.detail, re.IGNORECASE)
    return match.group(1) if match else ""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
