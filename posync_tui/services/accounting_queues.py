"""The Accounting screen's paged reads: one source per upload queue tab, and the Contacts list.

Each queue tab is a ``PagedSource`` over ``purchase_order`` (joined to its vendor, and to its
QuickBooks link if it has one: what it became there, read in the page's own query) limited by
``accounting.queue_condition``. The rows a page reads are turned into ``QueueRow``s with the
service's own ``queue_row``, so the Reference (shown whole), the 21-character DocNumber and the
reasons a PO is not ready come from the same rules that ``enqueue_upload`` checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from sqlalchemy import Engine, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, FromClause

from posync_tui.config import Settings
from posync_tui.db import Database
from posync_tui.links import LINK
from posync_tui.models import AccountingStatus, PartnerLink, PurchaseOrder, Vendor
from posync_tui.paging import Column, PagedSource, Row, View, contains
from posync_tui.services.accounting import (
    ERROR_STATUSES,
    ERROR_TABS,
    MSG,
    TAB_KIND,
    WAITING_STATUSES,
    QueueRow,
    QueueTab,
    UploadKind,
    UploadState,
    queue_condition,
    queue_row,
    quickbooks_link,
    ready_condition,
    upload_message,
    uploads_in,
)
from posync_tui.services.accounting_checks import facts_for
from posync_tui.services.accounting_rules import RowFacts, made_as

PO = PurchaseOrder.__table__.c
VENDOR = Vendor.__table__.c

# What the rules read of a PO's QuickBooks link.
LINK_FIELDS = ("partner_kind", "partner_id", "doc_number")

# QuickBooks' error codes in a word or two (the stored message says the rest in plain words).
CODE_WORDS = {
    "2020": "missing field",
    "2050": "too long",
    "2500": "bad reference",
    "5010": "changed meanwhile",
    "610": "not found",
    "6140": "duplicate number",
    "6240": "duplicate name",
    "3200": "sign-in refused",
    "3100": "not authorised",
    "100": "sign-in refused",
    "3001": "throttled",
    "not ready": "rules not met",
}


def code_words(code: str | None) -> str:
    if not code:
        return ""
    words = CODE_WORDS.get(code)
    return f"{code} {words}" if words and words != code else code


def plain_error(code: str | None, error: str | None) -> str:
    """QuickBooks' message without the "QuickBooks error 6140: " the Code column already says."""
    return (error or "").removeprefix(f"QuickBooks error {code}: ")


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def _date(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def short_status(
    row: QueueRow, po: PurchaseOrder, vendor: Vendor, link: PartnerLink | None, kind: UploadKind
) -> str:
    """A few words for the Status column; the detail line gives the rules' full sentences."""
    if row.upload_state == UploadState.WAITING:
        return "sending"
    if row.upload_state in (UploadState.ERROR, UploadState.DECISION):
        return code_words(row.error_code)
    if not row.blockers:
        linked_bill = kind == UploadKind.BILL and made_as(link, UploadKind.PURCHASE_ORDER)
        return "ready, links PO" if linked_bill else "ready"
    # The rules' first failing condition in a word or two, in the rules' own order.
    linked = bool(vendor.qbo_vendor_id)
    if row.blockers[0].startswith("Its QuickBooks DocNumber"):
        label = "same DocNumber"
    elif kind == UploadKind.BILL:
        labels = [
            ("no inv date", po.invoice_date is None),
            ("no inv no", not po.supplier_invoice_no),
            ("link contact", not linked),
            ("imported", po.accounting_status != AccountingStatus.NOT_IMPORTED),
        ]
        label = _first(labels)
    else:
        labels = [
            ("setting off", True),  # the only reason left when the others do not apply
            ("uploaded", link is not None),
            ("billed", bool(po.invoice_date or po.supplier_invoice_no or po.dispatch_date)),
            ("link contact", not linked),
        ]
        label = _first(labels[1:] + labels[:1])
    more = f" +{len(row.blockers) - 1}" if len(row.blockers) > 1 else ""
    return f"{label}{more}"


def _first(labels: list[tuple[str, bool]]) -> str:
    """The rules' first failing condition (in the rules' own order), or the mapping's."""
    return next((text for text, failed in labels if failed), "not mapped")


# --- the queue tabs ------------------------------------------------------------------------------


UPLOAD_STATUS = upload_message(MSG.status)


def _columns(tab: QueueTab) -> tuple[Column, ...]:
    """The seed's Reference column comes first (for a bill it holds the PO's number too).

    The columns after Status (Total, DocNumber) are reached by scrolling right at 80 columns;
    the line under the table repeats the whole reference and the DocNumber QuickBooks gets.
    """
    vendor = Column("vendor", "Vendor", 12, VENDOR.name, sort=(VENDOR.name, PO.number))
    # The value is replaced by the rules' reference once a row is read.
    reference = Column(
        "reference",
        "Reference",
        28,
        PO.supplier_invoice_no,
        sort=(PO.supplier_invoice_no, PO.number),
        nullable=True,
    )
    po_reference = Column("reference", "Reference", 10, PO.number, sort=(PO.number,))
    doc = Column("doc_number", "QBO DocNumber", 21, PO.number)
    total = Column("total", "Total", 9, PO.total, sort=(PO.total,), align="right", format=_money)
    code = Column(
        "code", "Code", 9, PO.accounting_error_code, sort=(PO.accounting_error_code, PO.number)
    )
    error = Column("error", "QuickBooks said", 24, PO.accounting_error)
    if tab == QueueTab.SUPPLIER_INVOICES:
        invoice = Column(
            "invoice_date",
            "Inv date",
            10,
            PO.invoice_date,
            sort=(PO.invoice_date,),
            nullable=True,
            format=_date,
        )
        status = Column("status", "Status", 12, UPLOAD_STATUS)
        return (reference, vendor, invoice, total, status, doc)
    if tab == QueueTab.PURCHASE_ORDERS:
        ordered = Column(
            "order_date",
            "Ordered",
            10,
            PO.order_date,
            sort=(PO.order_date,),
            nullable=True,
            format=_date,
        )
        status = Column("status", "Status", 29, UPLOAD_STATUS)
        return (po_reference, replace(vendor, width=14), ordered, total, status, doc)
    if tab == QueueTab.ERRORS_SUPPLIER_INVOICES:
        return (replace(reference, width=24), replace(vendor, width=10), code, error, total, doc)
    return (po_reference, replace(vendor, width=14), code, replace(error, width=38), total, doc)


def default_view() -> View:
    return View(sort="reference")  # the seed's Reference column, which leads every tab


class QueueSource(PagedSource):
    """One upload queue tab; row key = purchase_order.id; ``row.data["queue"]`` its QueueRow."""

    key = PO.id

    def __init__(self, engine: Engine, tab: QueueTab, *, setting_on: bool = False):
        super().__init__(engine)
        self.tab = tab
        self.kind = TAB_KIND[tab]
        self.setting_on = setting_on
        self.columns = _columns(tab)
        self._joined = PurchaseOrder.__table__.join(
            Vendor.__table__, VENDOR.id == PO.vendor_id
        ).outerjoin(PartnerLink.__table__, quickbooks_link(PO.id))

    def from_clause(self, view: View) -> FromClause:
        return self._joined

    def extra_fields(self) -> Sequence[ColumnElement]:
        # Everything the rules read, so a row's reasons need no second query.
        fields = (
            PO.number,
            PO.vendor_id,
            PO.status,
            PO.order_date,
            PO.invoice_date,
            PO.supplier_invoice_no,
            PO.dispatch_date,
            PO.accounting_status,
            PO.accounting_error_code,
            PO.accounting_error,
        )
        return (
            *(f.label(f"po_{f.name}") for f in fields),
            PO.total.label("po_total"),
            upload_message(MSG.id).label("message_id"),
            UPLOAD_STATUS.label("message_status"),
            VENDOR.name.label("vendor_name"),
            VENDOR.qbo_vendor_id.label("vendor_qbo_vendor_id"),
            *(LINK[name].label(f"link_{name}") for name in LINK_FIELDS),
        )

    def conditions(self, view: View) -> list[ColumnElement]:
        found = [queue_condition(self.tab)]
        text = view.text.strip()
        if text:
            found.append(
                contains(
                    text,
                    PO.number,
                    PO.supplier_invoice_no,
                    VENDOR.name,
                    VENDOR.code,
                    PO.accounting_error_code,
                )
            )
        return found

    def page(self, view: View, offset: int, limit: int, **kw) -> list[Row]:
        return self._explained(super().page(view, offset, limit, **kw))

    def rows(self, view: View, keys: Sequence[int]) -> list[Row]:
        return self._explained(super().rows(view, keys))

    def _explained(self, rows: list[Row]) -> list[Row]:
        """The rows with the rules' verdict; the checks beyond each PO read once per page."""
        with Session(self.engine) as s:
            facts = facts_for(s, self.kind, [r.key for r in rows])
        return [self._explain(row, facts[row.key]) for row in rows]

    def _explain(self, row: Row, facts: RowFacts) -> Row:
        data = dict(row.data)
        po = PurchaseOrder(
            id=row.key,
            total=data["po_total"],
            **{
                name[3:]: data[name]
                for name in data
                if name.startswith("po_") and name != "po_total"
            },
        )
        vendor = Vendor(
            id=data["po_vendor_id"],
            code="",
            name=data["vendor_name"] or "",
            qbo_vendor_id=data["vendor_qbo_vendor_id"],
        )
        link = None
        if data["link_partner_id"] is not None:
            link = PartnerLink(**{name: data[f"link_{name}"] for name in LINK_FIELDS})
        message = (data["message_id"], data["message_status"]) if data["message_id"] else None
        queue = queue_row(
            po,
            vendor,
            self.tab,
            link=link,
            setting_on=self.setting_on,
            message=message,
            facts=facts,
        )
        data.update(
            number=queue.number,
            queue=queue,
            reference=queue.reference,
            doc_number=queue.doc_number,
            status=short_status(queue, po, vendor, link, self.kind),
            error=plain_error(queue.error_code, queue.error),
            code=queue.error_code or "",
        )
        return Row(key=row.key, data=data, sort_values=row.sort_values)


# --- Contacts ------------------------------------------------------------------------------------

_IN_QUEUES = or_(
    queue_condition(QueueTab.SUPPLIER_INVOICES), queue_condition(QueueTab.PURCHASE_ORDERS)
)


class ContactSource(PagedSource):
    """Vendors not yet linked to a QuickBooks vendor, with how many queued POs wait on each."""

    key = VENDOR.id
    columns = (
        Column("code", "Code", 8, VENDOR.code, sort=(VENDOR.code,)),
        Column("name", "Vendor", 26, VENDOR.name, sort=(VENDOR.name,), flex=True),
        Column("currency", "Cur", 3, VENDOR.currency, sort=(VENDOR.currency, VENDOR.name)),
        Column(
            "waiting",
            "POs",
            5,
            select(func.count())
            .select_from(PurchaseOrder.__table__)
            .where(PO.vendor_id == VENDOR.id, _IN_QUEUES)
            .scalar_subquery(),
            align="right",
        ),
        Column("email", "Email", 24, VENDOR.email),
    )

    def from_clause(self, view: View) -> FromClause:
        return Vendor.__table__

    def conditions(self, view: View) -> list[ColumnElement]:
        found: list[ColumnElement] = [VENDOR.qbo_vendor_id.is_(None)]
        text = view.text.strip()
        if text:
            found.append(contains(text, VENDOR.name, VENDOR.code))
        return found


def contacts_view() -> View:
    return View(sort="name")


# --- Upload All and what became of an upload -----------------------------------------------------


def upload_all_ids(db: Database, tab: QueueTab) -> list[int]:
    """Upload All: the ready rows of a Purchases tab, or every row of an Errors tab (re-sync)."""
    condition = queue_condition(tab) if tab in ERROR_TABS else ready_condition(tab)
    with db.reader() as s:
        query = select(PO.id).select_from(PurchaseOrder.__table__).where(condition)
        return list(s.execute(query.order_by(PO.number)).scalars())


@dataclass(frozen=True)
class UploadFailure:
    po_id: int
    number: str
    code: str
    error: str


def upload_failures(db: Database, po_ids: Sequence[int]) -> list[UploadFailure]:
    """Those of ``po_ids`` that QuickBooks (or the rules, checked again) refused."""
    if not po_ids:
        return []
    found: list[UploadFailure] = []
    with db.reader() as s:
        for start in range(0, len(po_ids), 500):
            query = (
                select(PO.id, PO.number, PO.accounting_error_code, PO.accounting_error)
                .where(
                    PO.id.in_(list(po_ids[start : start + 500])),
                    PO.id.in_(uploads_in(ERROR_STATUSES)),
                )
                .order_by(PO.number)
            )
            found += [UploadFailure(i, n, c or "", e or "") for i, n, c, e in s.execute(query)]
    return found


def settled_count(db: Database, message_ids: Sequence[int]) -> int:
    """How many of these outbox messages are no longer waiting (an upload's progress)."""
    waiting = 0
    with db.reader() as s:
        for start in range(0, len(message_ids), 500):
            query = select(func.count()).where(
                MSG.id.in_(list(message_ids[start : start + 500])),
                MSG.status.in_([str(status) for status in WAITING_STATUSES]),
            )
            waiting += s.execute(query).scalar_one()
    return len(message_ids) - waiting


def po_numbers(db: Database, po_ids: Sequence[int]) -> dict[int, str]:
    with db.reader() as s:
        query = select(PO.id, PO.number).where(PO.id.in_(list(po_ids)[:500]))
        return {po_id: number for po_id, number in s.execute(query)}


def setting_on(settings: Settings | None) -> bool:
    return bool(settings is not None and settings.quickbooks.upload_pos_as_purchase_orders)
