"""One simulated QuickBooks Online company (realm): its records, validation and query language.

Pure bookkeeping, no HTTP: the partner in ``__init__`` wraps it with OAuth, limits and faults.
Validation answers the codes real QuickBooks answers: 2020 required field missing, 2050 string
too long (DocNumber over 21), 2500 invalid reference, 610 object not found, 5010 stale
SyncToken, 6140 duplicate DocNumber, 6240 duplicate name, 4000 query parse error.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

DOC_NUMBER_MAX = 21
TXN_ENTITIES = ("Bill", "PurchaseOrder")
ENTITIES = (
    "Bill",
    "PurchaseOrder",
    "Vendor",
    "Account",
    "Item",
    "TaxCode",
    "Class",
    "Department",
    "Term",
)
# References a bill or purchase order may carry: (where, field) → the entity it must name.
HEADER_REFS = {"DepartmentRef": "Department", "SalesTermRef": "Term", "APAccountRef": "Account"}
LINE_REFS = {"TaxCodeRef": "TaxCode", "ClassRef": "Class"}
# Header fields kept as sent (a full update without them clears them, as QuickBooks does).
KEPT_AS_SENT = ("DueDate", "PrivateNote", *HEADER_REFS)


class SandboxFault(Exception):
    """A QuickBooks Fault: becomes ``{"Fault": {"Error": [...], "type": ...}}``."""

    def __init__(
        self,
        code: str,
        message: str,
        detail: str = "",
        element: str = "",
        *,
        status: int = 400,
        fault_type: str = "ValidationFault",
    ):
        super().__init__(message)
        self.code, self.message, self.detail, self.element = code, message, detail, element
        self.status, self.fault_type = status, fault_type

    def body(self) -> dict:
        error = {"Message": self.message, "Detail": self.detail, "code": self.code}
        if self.element:
            error["element"] = self.element
        return {"Fault": {"Error": [error], "type": self.fault_type}, "time": now_text()}


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def required(element: str) -> SandboxFault:
    return SandboxFault(
        "2020",
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {element} is missing in the request",
        element,
    )


def not_found(entity: str, qbo_id: str) -> SandboxFault:
    return SandboxFault(
        "610",
        "Object Not Found",
        f"Object Not Found : Something you're trying to use has been made inactive. "
        f"Check the fields with accounts, customers, items, vendors or employees. ({entity} "
        f"{qbo_id})",
    )


class Company:
    def __init__(self, realm_id: str, name: str = "Sandbox Company"):
        self.realm_id, self.name = realm_id, name
        self.records: dict[str, dict[str, dict]] = {e: {} for e in ENTITIES}
        self._next_id = 1000  # ids below are free for records added with a chosen id
        self.drop_links = False  # answer as if QuickBooks could not apply a LinkedTxn

    def new_id(self) -> str:
        taken = True
        while taken:
            self._next_id += 1
            taken = any(str(self._next_id) in records for records in self.records.values())
        return str(self._next_id)

    def add(self, entity: str, data: dict, qbo_id: str | None = None) -> dict:
        if qbo_id is not None and qbo_id in self.records[entity]:
            raise ValueError(f"{entity} {qbo_id} exists already")
        stamp = now_text()
        record = {
            **data,
            "Id": qbo_id or self.new_id(),
            "SyncToken": "0",
            "domain": "QBO",
            "sparse": False,
            "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp},
        }
        self.records[entity][record["Id"]] = record
        return record

    # --- create / update ------------------------------------------------------------------------

    def save(self, entity: str, body: Any) -> dict:
        """Create (no Id) or update (Id + SyncToken) a record; raise SandboxFault if bad.

        A full update replaces the record: fields it does not send are cleared. A sparse update
        (``"sparse": true``) changes only the fields it sends, as QuickBooks documents.
        """
        if entity not in ("Bill", "PurchaseOrder", "Vendor"):
            raise SandboxFault("500", "Unsupported Operation", f"{entity} is not supported")
        if not isinstance(body, dict):
            raise SandboxFault("2010", "Request has invalid or unsupported property", "body")
        current = None
        if body.get("Id"):
            current = self.records[entity].get(str(body["Id"]))
            if current is None:
                raise not_found(entity, str(body["Id"]))
            if str(body.get("SyncToken")) != current["SyncToken"]:
                raise SandboxFault(
                    "5010",
                    "Stale Object Error",
                    "Stale Object Error : You and another user were working on this at the same "
                    "time. The other user finished before you did, so your work was not saved.",
                    "SyncToken",
                )
        sparse = current is not None and body.get("sparse") is True
        if sparse:
            assert current is not None
            body = {**current, **body}
        data = (
            self._vendor(body, current) if entity == "Vendor" else self._txn(entity, body, current)
        )
        if current is None:
            return self.add(entity, data)
        if not sparse and entity != "Vendor":
            for key in KEPT_AS_SENT:
                current.pop(key, None)
        current.update(data)
        current["SyncToken"] = str(int(current["SyncToken"]) + 1)
        current["MetaData"]["LastUpdatedTime"] = now_text()
        return current

    def _vendor(self, body: dict, current: dict | None) -> dict:
        name = str(body.get("DisplayName") or "").strip()
        if not name:
            raise required("DisplayName")
        if len(name) > 500:
            raise SandboxFault("2050", "String length is too long", "Max 500", "DisplayName")
        for vendor in self.records["Vendor"].values():
            if vendor["DisplayName"].lower() == name.lower() and vendor is not current:
                raise SandboxFault(
                    "6240",
                    "Duplicate Name Exists Error",
                    "The name supplied already exists. : Another customer, vendor or employee "
                    "is already using this name. Please use a different name.",
                    "DisplayName",
                )
        data = {"DisplayName": name, "Active": True}
        for key in ("PrimaryEmailAddr", "CurrencyRef", "CompanyName"):
            if key in body:
                data[key] = body[key]
        return data

    def _txn(self, entity: str, body: dict, current: dict | None) -> dict:
        vendor_id = str((body.get("VendorRef") or {}).get("value") or "")
        if not vendor_id:
            raise required("VendorRef")
        lines = body.get("Line")
        if not isinstance(lines, list) or not lines:
            raise required("Line")
        doc = str(body.get("DocNumber") or "")
        if len(doc) > DOC_NUMBER_MAX:
            raise SandboxFault(
                "2050",
                "String length is either shorter or longer than supported by specification",
                f"String length specified does not match the supported length. Min:0 "
                f"Max:{DOC_NUMBER_MAX} supplied:{len(doc)}",
                "DocNumber",
            )
        vendor = self.records["Vendor"].get(vendor_id)
        if vendor is None or not vendor.get("Active", True):
            raise SandboxFault(
                "2500",
                "Invalid Reference Id",
                f"Invalid Reference Id : Vendor assigned to this transaction has been deleted "
                f"or does not exist (Id {vendor_id})",
                "VendorRef",
            )
        if doc:
            self._check_unique(entity, doc, vendor_id, current)
        self._check_refs(body, HEADER_REFS, "")
        out_lines, total = self._lines(entity, lines, vendor_id)
        data = {
            "VendorRef": {"value": vendor_id, "name": vendor["DisplayName"]},
            "DocNumber": doc or self.new_id(),
            "TxnDate": body.get("TxnDate") or datetime.now(UTC).date().isoformat(),
            "Line": out_lines,
            "TotalAmt": total,
            "CurrencyRef": body.get("CurrencyRef") or {"value": "USD"},
        }
        for key in KEPT_AS_SENT:
            if key in body:
                data[key] = body[key]
        if entity == "Bill":
            data["Balance"] = total
        else:
            data["POStatus"] = (current or {}).get("POStatus", "Open")
        return data

    def _check_refs(self, part: dict, refs: dict[str, str], where: str) -> None:
        for key, ref_entity in refs.items():
            if key not in part:
                continue
            ref = str((part.get(key) or {}).get("value") or "")
            record = self.records[ref_entity].get(ref)
            wrong_kind = (
                key == "APAccountRef"
                and record is not None
                and record.get("AccountType") != "Accounts Payable"
            )
            if record is None or wrong_kind or record.get("Active") is False:
                raise SandboxFault(
                    "2500",
                    "Invalid Reference Id",
                    f"Invalid Reference Id : {ref_entity} {ref} does not exist"
                    + (" or is not an Accounts Payable account" if wrong_kind else ""),
                    f"{where}{key}",
                )

    def delete(self, entity: str, body: Any) -> dict:
        """``operation=delete``: the record is gone (a read answers 610, a query leaves it out)."""
        if entity not in TXN_ENTITIES or not isinstance(body, dict) or not body.get("Id"):
            raise required("Id")
        current = self.records[entity].get(str(body["Id"]))
        if current is None:
            raise not_found(entity, str(body["Id"]))
        if str(body.get("SyncToken")) != current["SyncToken"]:
            raise SandboxFault("5010", "Stale Object Error", "Stale Object Error", "SyncToken")
        del self.records[entity][current["Id"]]
        return {"Id": current["Id"], "status": "Deleted", "domain": "QBO"}

    def void(self, entity: str, qbo_id: str) -> None:
        """Voided in QuickBooks' screens: amounts zero, the memo says "Voided"."""
        record = self.records[entity][qbo_id]
        for line in record["Line"]:
            line["Amount"] = Decimal(0)
        record["TotalAmt"] = Decimal(0)
        if entity == "Bill":
            record["Balance"] = Decimal(0)
        record["PrivateNote"] = f"Voided - {record.get('PrivateNote', '')}".strip(" -")
        record["SyncToken"] = str(int(record["SyncToken"]) + 1)

    def _check_unique(self, entity: str, doc: str, vendor_id: str, current: dict | None) -> None:
        # Bills: a vendor's invoice number once per vendor; purchase orders: once per company.
        for other in self.records[entity].values():
            same_scope = entity != "Bill" or other["VendorRef"]["value"] == vendor_id
            if other is not current and same_scope and other["DocNumber"] == doc:
                raise SandboxFault(
                    "6140",
                    "Duplicate Document Number Error",
                    f"Duplicate Document Number Error : You must specify a different number. "
                    f"This number has already been used. DocNumber={doc} is assigned to "
                    f"TxnType={entity} with TxnId={other['Id']}",
                    "DocNumber",
                )

    def _lines(self, entity: str, lines: list, vendor_id: str) -> tuple[list, Decimal]:
        out, total = [], Decimal(0)
        for n, line in enumerate(lines, start=1):
            if not isinstance(line, dict):
                raise required("Line")
            amount = _decimal(line.get("Amount"), "Line.Amount")
            kind = line.get("DetailType")
            detail = line.get(kind) if isinstance(kind, str) else None
            if kind not in ("ItemBasedExpenseLineDetail", "AccountBasedExpenseLineDetail"):
                raise required("Line.DetailType")
            if not isinstance(detail, dict):
                raise required(f"Line.{kind}")
            ref_key, ref_entity = (
                ("ItemRef", "Item")
                if kind == "ItemBasedExpenseLineDetail"
                else ("AccountRef", "Account")
            )
            ref = str((detail.get(ref_key) or {}).get("value") or "")
            if not ref:
                raise required(f"Line.{kind}.{ref_key}")
            if ref not in self.records[ref_entity]:
                raise SandboxFault(
                    "2500",
                    "Invalid Reference Id",
                    f"Invalid Reference Id : {ref_entity} {ref} does not exist",
                    f"Line.{kind}.{ref_key}",
                )
            self._check_refs(detail, LINE_REFS, f"Line.{kind}.")
            clean = {**detail}
            for key in ("Qty", "UnitPrice"):
                if key in clean:
                    clean[key] = _decimal(clean[key], f"Line.{key}")
            kept = {
                "Id": str(n),
                "LineNum": n,
                "Amount": amount,
                "DetailType": kind,
                kind: clean,
                **({"Description": line["Description"]} if "Description" in line else {}),
            }
            total += amount
            if entity == "Bill":
                # QuickBooks keeps a bill's links on the lines that settle the purchase order.
                applied = [
                    {"TxnId": po_id, "TxnType": "PurchaseOrder"}
                    for link in line.get("LinkedTxn") or []
                    if (po_id := self._apply_link(link, vendor_id))
                ]
                if applied:
                    kept["LinkedTxn"] = applied
            out.append(kept)
        return out, total

    def _apply_link(self, link: Any, vendor_id: str) -> str | None:
        """Link a bill line to an open PO of the same vendor; else drop the link silently."""
        if self.drop_links or not isinstance(link, dict) or link.get("TxnType") != "PurchaseOrder":
            return None
        po = self.records["PurchaseOrder"].get(str(link.get("TxnId")))
        if po is None or po["VendorRef"]["value"] != vendor_id:
            return None
        po["POStatus"] = "Closed"
        return po["Id"]

    # --- query --------------------------------------------------------------------------------

    def query(self, statement: str) -> dict:
        entity, conditions, start, limit = parse_query(statement)
        rows = [r for r in self.records[entity].values() if all(c(r) for c in conditions)]
        rows = rows[start - 1 : start - 1 + limit]
        if not rows:
            return {}
        return {entity: rows, "startPosition": start, "maxResults": len(rows)}


def _decimal(value: Any, element: str) -> Decimal:
    if value is None or value == "":
        raise required(element)
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise SandboxFault(
            "2020", "Invalid Number", f"{value!r} is not a number", element
        ) from None
    if not result.is_finite():
        raise SandboxFault("2020", "Invalid Number", f"{value!r} is not a number", element)
    return result


_TOKEN = re.compile(r"\s*(?:('(?:\\.|[^'\\])*')|([A-Za-z_][\w.]*|\d+)|(\*|=|\(|\)|,))")


def _tokens(statement: str) -> list[str]:
    tokens, pos = [], 0
    statement = statement.strip()
    while pos < len(statement):
        match = _TOKEN.match(statement, pos)
        if not match or match.end() == pos:
            raise _parse_error(statement)
        tokens.append(match.group(0).strip())
        pos = match.end()
    return tokens


def _parse_error(statement: str) -> SandboxFault:
    return SandboxFault(
        "4000", "Error parsing query", f"QueryParserError: Encountered an error in {statement!r}"
    )


def _literal(token: str, statement: str) -> str:
    if token.lower() in ("true", "false"):  # booleans are written bare: Active = true
        return token.lower()
    if len(token) < 2 or token[0] != "'" or token[-1] != "'":
        raise _parse_error(statement)
    return re.sub(r"\\(.)", r"\1", token[1:-1])


def _field(record: dict, name: str) -> str:
    value = record.get(name)
    if isinstance(value, dict):
        value = value.get("value")
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def parse_query(statement: str):
    """``select * from Entity [where F = 'v' and F in ('a','b') and F like '%v%']
    [startposition n] [maxresults n]`` → (entity, conditions, start, limit)."""
    tokens = _tokens(statement)
    lower = [t.lower() for t in tokens]
    if lower[:3] != ["select", "*", "from"] or len(tokens) < 4:
        raise _parse_error(statement)
    entity = next((e for e in ENTITIES if e.lower() == lower[3]), None)
    if entity is None:
        raise _parse_error(statement)
    conditions, start, limit, i = [], 1, 100, 4
    if i < len(tokens) and lower[i] == "where":
        i += 1
        while True:
            if i + 2 > len(tokens):
                raise _parse_error(statement)
            name, op = tokens[i], lower[i + 1]
            if op == "in":
                if i + 2 >= len(tokens) or tokens[i + 2] != "(":
                    raise _parse_error(statement)
                values, i = [], i + 3
                while i < len(tokens) and tokens[i] != ")":
                    if tokens[i] != ",":
                        values.append(_literal(tokens[i], statement))
                    i += 1
                i += 1
                conditions.append(lambda r, n=name, v=frozenset(values): _field(r, n) in v)
            elif op in ("=", "like"):
                value = _literal(tokens[i + 2], statement)
                i += 3
                if op == "=":
                    conditions.append(lambda r, n=name, v=value: _field(r, n) == v)
                else:
                    pattern = re.compile(
                        "^" + ".*".join(map(re.escape, value.split("%"))) + "$", re.IGNORECASE
                    )
                    conditions.append(lambda r, n=name, p=pattern: bool(p.match(_field(r, n))))
            else:
                raise _parse_error(statement)
            if i < len(tokens) and lower[i] == "and":
                i += 1
                continue
            break
    while i < len(tokens):
        if lower[i] in ("startposition", "maxresults") and i + 1 < len(tokens):
            if not tokens[i + 1].isdigit():
                raise _parse_error(statement)
            if lower[i] == "startposition":
                start = max(1, int(tokens[i + 1]))
            else:
                limit = min(1000, int(tokens[i + 1]))
            i += 2
        else:
            raise _parse_error(statement)
    return entity, conditions, start, limit
