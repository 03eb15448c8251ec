"""The PO detail's Accounting tab (Cin7 seed): the PO's accounting fields and QuickBooks state.

Invoice Date, Supplier Inv No, Dispatch Date and the invoice's due date (QuickBooks' DueDate; an
EDI invoice sets it) are edited in place (enter; the PO detail's
editor checks them at the field and saves them through the audited PO edit). Below them: the
Accounting Status, the bill's reference whole and the 21-character DocNumber QuickBooks gets,
what the PO became in QuickBooks, the last upload error, and in plain words whether the PO can
be synced as a bill now, and if not each condition it fails. ``u`` queues it for upload now;
``x`` is the seed's Admin page: reset a PO already Imported for re-import.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from posync_tui import timefmt
from posync_tui.failures import database_faults, plain
from posync_tui.models import AccountingStatus
from posync_tui.services.accounting_rules import DOC_NUMBER_MAX, QBO_ENTITY, UploadKind, made_as
from posync_tui.services.po_accounting import KIND_WORDS, POAccounting
from posync_tui.services.po_detail import PODetail
from screens.confirm import Confirm
from screens.po_actions import as_text, label
from screens.po_widgets import FieldGrid, HeaderField
from screens.safe_text import safe

FIELDS = (
    "invoice_date",
    "supplier_invoice_no",
    "dispatch_date",
    "invoice_due_date",
    "accounting_status",
)
LABEL_WIDTH = 18
# The rows under the fields: key, label.
ROWS = (
    ("reference", "Bill reference"),
    ("doc-number", "QBO DocNumber"),
    ("quickbooks", "QuickBooks"),
    ("upload", "Last upload"),
)
OK_STYLE, FAIL_STYLE = "bold $success", "bold $error"
STATUS_HELP = "set by the sync; x (admin) resets a PO already Imported for re-import"
QBO_KINDS = {
    QBO_ENTITY[UploadKind.BILL]: "bill",
    QBO_ENTITY[UploadKind.PURCHASE_ORDER]: "purchase order",
}


# --- what the tab shows (pure) -----------------------------------------------------------------


def fields(d: PODetail) -> list[HeaderField]:
    a = d.accounting
    values = {
        "invoice_date": Content(as_text(d.invoice_date) or "—"),
        "supplier_invoice_no": safe(d.supplier_invoice_no or "—", one_line=True),
        "dispatch_date": Content(as_text(d.dispatch_date) or "—"),
        "invoice_due_date": Content(as_text(d.invoice_due_date))
        if d.invoice_due_date
        else Content.styled("— (invoice date + the QuickBooks terms' days)", "$text-muted"),
        "accounting_status": Content.styled(a.accounting_status, "bold")
        if a.imported
        else Content(a.accounting_status),
    }
    return [HeaderField(key, label(key), values[key]) for key in FIELDS]


def describe(d: PODetail, key: str) -> str:
    """The hint for the cursor's field."""
    if key == "accounting_status":
        return f"Accounting status is {STATUS_HELP}"
    if key == "supplier_invoice_no":
        return "enter: edit the supplier's invoice number (it starts the bill's reference)"
    if key == "invoice_due_date":
        return (
            "enter: edit the bill's due date (YYYY-MM-DD); empty: the invoice date plus the "
            "QuickBooks terms' days"
        )
    return f"enter: edit {label(key).lower()} (YYYY-MM-DD)"


def rows(a: POAccounting) -> dict[str, Content | None]:
    """The values of the rows under the fields; None hides a row."""
    if a.truncated:
        cut = Content.styled(f" (cut to {DOC_NUMBER_MAX} characters)", "dim")
        doc = Content.assemble(safe(a.doc_number, one_line=True), cut)
    else:
        doc = safe(a.doc_number or "—", one_line=True)
    if a.link is not None:
        made = QBO_KINDS.get(a.link.partner_kind, a.link.partner_kind)
        synced = timefmt.local(a.link.synced_at)
        quickbooks = safe(f"{made} {a.link.partner_id}, DocNumber {a.link.doc_number or '—'}")
        if synced:
            quickbooks = Content.assemble(quickbooks, f", {synced}")
    else:
        quickbooks = Content.styled("not uploaded yet", "$text-muted")
    upload = None
    kind = KIND_WORDS.get(a.upload_kind, "")
    if a.waiting:
        upload = Content(f"waiting to go as {kind} with the next QuickBooks run")
    elif a.error:
        upload = Content.assemble(
            (f"✖ failed as {kind}", FAIL_STYLE), f" ({a.error_code}): " if a.error_code else ": "
        )
        upload = Content.assemble(upload, safe(a.error))
    return {
        "reference": safe(a.bill_reference or "—", one_line=True),
        "doc-number": doc,
        "quickbooks": quickbooks,
        "upload": upload,
    }


def verdict(a: POAccounting) -> list[tuple[str, Content]]:
    """Can it be synced as a bill now, and if not, each condition it fails, in plain words:
    (bullet, text) lines; the bullet is "" for a heading."""
    if not a.bill_blockers:
        then = "It is waiting to upload." if a.waiting else "u queues it for upload."
        if a.uploaded_as_purchase_order:  # the bill is linked to it: QuickBooks closes it
            then += " Its bill will be linked to the QuickBooks purchase order."
        return [("", Content.assemble(("✔ Can be synced as a bill now. ", OK_STYLE), then))]
    lines = [("", Content.styled("✖ Cannot be synced as a bill now:", FAIL_STYLE))]
    lines += [("•", safe(reason)) for reason in a.bill_blockers]
    if a.imported:
        lines.append(("", Content("x resets it for re-import (admin).")))
    if a.purchase_order_blockers == ():
        reference = a.purchase_order_reference
        text = f"✔ Unbilled: u uploads it as a QuickBooks purchase order ({reference})."
        lines.append(("", safe(text, OK_STYLE)))
    return lines


# --- the tab -----------------------------------------------------------------------------------


class AccountingPane(VerticalScroll, can_focus=False):
    """The Accounting tab's body; ``show(detail)`` after each read of the PO."""

    BINDINGS = [
        Binding("u", "upload", "Upload"),
        Binding("x", "reset", "Re-import"),
    ]
    DEFAULT_CSS = f"""
    AccountingPane {{ height: 1fr; }}
    AccountingPane .acct-row {{ height: auto; padding: 0 1; }}
    AccountingPane .acct-row.hidden {{ display: none; }}
    AccountingPane .acct-label {{ width: {LABEL_WIDTH}; color: $text-muted; }}
    AccountingPane .acct-value {{ width: 1fr; }}
    AccountingPane #acct-verdict {{ height: auto; padding: 0 1; }}
    AccountingPane #acct-verdict Horizontal {{ height: auto; }}
    AccountingPane .acct-bullet {{ width: 2; }}
    AccountingPane .acct-reason {{ width: 1fr; }}
    """

    @dataclass
    class Said(Message):
        """What an action did, for the detail's hint line."""

        text: str
        error: bool = False

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.detail: PODetail | None = None

    def compose(self) -> ComposeResult:
        yield FieldGrid(columns=1, label_width=LABEL_WIDTH, id="accounting-fields")
        for key, text in ROWS:
            with Horizontal(classes="acct-row", id=f"acct-row-{key}"):
                yield Static(text, classes="acct-label")
                yield Static(classes="acct-value", id=f"acct-{key}")
        yield Vertical(id="acct-verdict")

    def show(self, d: PODetail) -> None:
        self.detail = d
        self.query_one(FieldGrid).set_fields(fields(d))
        for key, value in rows(d.accounting).items():
            self.query_one(f"#acct-row-{key}").set_class(value is None, "hidden")
            self.query_one(f"#acct-{key}", Static).update(value or "")
        # A bullet apart from its text, so that a wrapped condition hangs under its first word.
        box = self.query_one("#acct-verdict", Vertical)
        box.remove_children()
        box.mount_all(
            Horizontal(
                Static(Content(bullet), classes="acct-bullet"), Static(text, classes="acct-reason")
            )
            if bullet
            else Static(text)
            for bullet, text in verdict(d.accounting)
        )

    def _say(self, text: str, *, error: bool = False, warning: bool = False) -> None:
        severity = "error" if error else ("warning" if warning else "information")
        self.app.notify(text, title="QuickBooks", severity=severity)
        self.post_message(self.Said(text, error=error or warning))

    # --- u: upload now -------------------------------------------------------------------------

    def action_upload(self) -> None:
        d = self.detail
        if d is None or self.app.runtime is None:
            return
        a = d.accounting
        if a.waiting:
            self._say(f"{d.number} is already waiting to upload to QuickBooks.", warning=True)
            return
        kind = a.upload_kind_now
        if kind is None:
            reasons = " ".join(a.bill_blockers)
            self._say(f"{d.number} cannot be synced as a bill now: {reasons}", warning=True)
            return
        question = f"Upload {d.number} to QuickBooks as {KIND_WORDS[kind]}?"

        def answered(yes: bool | None) -> None:
            if yes:
                self._enqueue(d.id, d.number, kind)

        self.app.push_screen(Confirm(question, yes="Upload", title="QuickBooks Online"), answered)

    @work(thread=True, exclusive=True, group="po-accounting", exit_on_error=False)
    def _enqueue(self, po_id: int, number: str, kind: UploadKind) -> None:
        from posync_tui.services.accounting import enqueue_upload

        rt = self.app.runtime
        try:
            result = enqueue_upload(rt.db, kind, [po_id], settings=rt.settings)
        except Exception as exc:  # noqa: BLE001 - nothing was queued (one transaction): say why
            self.app.call_from_thread(
                self._say, f"{number} was not queued: {plain(exc)}", error=True
            )
            return
        if result.queued:
            text = (
                f"{number} queued for upload to QuickBooks as {KIND_WORDS[kind]}; "
                "it goes out with the next QuickBooks run."
            )
            self.app.call_from_thread(self._say, text)
        else:
            reasons = " ".join(result.skipped.get(po_id, []))
            self.app.call_from_thread(self._say, f"{number} not queued: {reasons}", warning=True)

    # --- x: reset for re-import (the seed's Admin page) ----------------------------------------

    def action_reset(self) -> None:
        d = self.detail
        if d is None or self.app.runtime is None:
            return
        a = d.accounting
        if not a.can_reset:
            self._say(
                f'{d.number}: Accounting Status is already "{a.accounting_status}"; '
                "nothing to reset.",
                warning=True,
            )
            return
        question = (
            f"Reset {d.number} for re-import? Its Accounting Status becomes "
            f'"{AccountingStatus.NOT_IMPORTED}"'
        )
        if a.link is not None and made_as(a.link, UploadKind.BILL):
            question += f", and the next sync updates QuickBooks bill {a.link.partner_id}"
        question += "."

        def answered(yes: bool | None) -> None:
            if yes:
                self._reset(d.id, d.number)

        self.app.push_screen(Confirm(question, yes="Reset", title="Admin"), answered)

    @work(thread=True, exclusive=True, group="po-accounting", exit_on_error=False)
    def _reset(self, po_id: int, number: str) -> None:
        from posync_tui.services.accounting import reset_for_reimport

        try:
            reset_for_reimport(self.app.runtime.db, po_id)
        except LookupError as exc:
            self.app.call_from_thread(self._say, str(exc), error=True)
            return
        except database_faults() as exc:  # rolled back: the PO's accounting status as it was
            self.app.call_from_thread(
                self._say, f"{number} was not reset: {plain(exc)}", error=True
            )
            return
        self.app.call_from_thread(self._say, f"{number} reset for re-import.")
