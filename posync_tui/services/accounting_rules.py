"""The Cin7 seed's rules for syncing POs to QuickBooks Online, as plain functions of a PO.

- A PO is synced as a Bill only with an Invoice Date, a Supplier Inv No, a vendor contact linked
  to QuickBooks, and Accounting Status "Not Imported Yet Or Reset For Re-import".
- The bill's reference is the supplier's invoice number combined with the PO's reference; the
  console shows it whole, QuickBooks receives it cut to 21 characters (its DocNumber limit).
- With the setting "Upload POs as QuickBooks Purchase Orders" on, an unbilled PO (Invoice Date,
  Invoice Number and Dispatch Date all empty) can be uploaded as a QuickBooks purchase order
  with its own reference; a PO uploaded that way can no longer be synced as a bill.

What a PO became in QuickBooks (a Bill or a PurchaseOrder, its id and DocNumber) is its
``PartnerLink``, passed in as ``link``. Each rule that fails is named in plain words, so the
console can say why a PO is not ready.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TypeGuard

from posync_tui.models import AccountingStatus, PartnerLink, PurchaseOrder, Vendor

DOC_NUMBER_MAX = 21  # QuickBooks Online's DocNumber limit
SETTING_NAME = "Upload POs as QuickBooks Purchase Orders"


class UploadKind(StrEnum):
    BILL = "bill"  # a billed PO → a QuickBooks Bill ("Supplier Invoices")
    PURCHASE_ORDER = "purchase_order"  # an unbilled PO → a QuickBooks PurchaseOrder


# What each upload makes in QuickBooks: the PartnerLink's partner_kind.
QBO_ENTITY = {UploadKind.BILL: "Bill", UploadKind.PURCHASE_ORDER: "PurchaseOrder"}


@dataclass(frozen=True)
class RowFacts:
    """What the rules need to know beyond the PO (read by ``accounting_checks``)."""

    clashes: tuple[str, ...] = ()  # other POs whose reference cuts to the same DocNumber
    unmapped_lines: int = 0  # lines with no QuickBooks item and no expense account chosen


def made_as(link: PartnerLink | None, kind: UploadKind) -> TypeGuard[PartnerLink]:
    """Whether the PO was made in QuickBooks as ``kind``'s record."""
    return link is not None and link.partner_kind == QBO_ENTITY[kind]


class UploadState(StrEnum):
    """Where a PO's upload stands, from its outbox message."""

    WAITING = "waiting"  # in the outbox, not yet answered by QuickBooks
    ERROR = "error"  # QuickBooks refused it: shown on the Errors tabs
    DECISION = "decision"  # it may have reached QuickBooks: an operator decides (Errors tabs)


def bill_reference(po: PurchaseOrder) -> str:
    """The bill's reference, whole: supplier invoice number, then the PO's reference."""
    parts = [p.strip() for p in (po.supplier_invoice_no or "", po.number or "") if p and p.strip()]
    return "/".join(parts)


def purchase_order_reference(po: PurchaseOrder) -> str:
    return (po.number or "").strip()


def qbo_doc_number(reference: str) -> str:
    """What QuickBooks receives: the reference cut to 21 characters."""
    return reference[:DOC_NUMBER_MAX]


def reference_for(po: PurchaseOrder, kind: UploadKind) -> str:
    return bill_reference(po) if kind == UploadKind.BILL else purchase_order_reference(po)


def is_billed(po: PurchaseOrder) -> bool:
    return po.invoice_date is not None or bool(po.supplier_invoice_no)


def is_unbilled(po: PurchaseOrder) -> bool:
    return po.invoice_date is None and not po.supplier_invoice_no and po.dispatch_date is None


def _named(link: PartnerLink) -> str:
    return link.doc_number or link.partner_id


def vendor_blocker(vendor: Vendor | None) -> str | None:
    if vendor is None:
        return "The PO has no vendor."
    if not vendor.qbo_vendor_id:
        return (
            f"Vendor {vendor.name} is not linked to QuickBooks: link it on the Contacts tab "
            "(to an existing QuickBooks vendor, or create one)."
        )
    return None


def bill_blockers(
    po: PurchaseOrder, vendor: Vendor | None, *, link: PartnerLink | None
) -> list[str]:
    """Why ``po`` cannot be synced as a bill now (empty: it can).

    A PO uploaded as a QuickBooks purchase order is billed by a bill linked to it (Cin7 leaves
    that bill to be made by hand; posync makes it, and QuickBooks closes the purchase order).
    """
    reasons = []
    if po.invoice_date is None:
        reasons.append("No Invoice Date: enter the date of the supplier's invoice.")
    if not po.supplier_invoice_no:
        reasons.append("No Supplier Inv No: enter the supplier's invoice number.")
    if (blocker := vendor_blocker(vendor)) is not None:
        reasons.append(blocker)
    if po.accounting_status != AccountingStatus.NOT_IMPORTED:
        reasons.append(
            f'Accounting Status is "{po.accounting_status}": it was already synced. An admin '
            f'can reset it to "{AccountingStatus.NOT_IMPORTED}" on the Admin page.'
        )
    return reasons


def purchase_order_blockers(
    po: PurchaseOrder, vendor: Vendor | None, *, link: PartnerLink | None, setting_on: bool
) -> list[str]:
    """Why ``po`` cannot be uploaded as a QuickBooks purchase order now (empty: it can)."""
    reasons = []
    if not setting_on:
        reasons.append(f'The setting "{SETTING_NAME}" is off in the QuickBooks settings.')
    if link is not None and made_as(link, UploadKind.PURCHASE_ORDER):
        reasons.append(f"Already uploaded to QuickBooks as purchase order {_named(link)}.")
    elif made_as(link, UploadKind.BILL) or po.accounting_status == AccountingStatus.IMPORTED:
        reasons.append("Already synced to QuickBooks as a bill.")
    filled = [
        name
        for name, value in (
            ("Invoice Date", po.invoice_date),
            ("Invoice Number", po.supplier_invoice_no),
            ("Dispatch Date", po.dispatch_date),
        )
        if value
    ]
    if filled:
        reasons.append(
            f"It is billed ({', '.join(filled)} filled in); only an unbilled PO can be uploaded "
            "as a purchase order. Sync it as a bill instead."
        )
    if (blocker := vendor_blocker(vendor)) is not None:
        reasons.append(blocker)
    return reasons


def fact_blockers(po: PurchaseOrder, kind: UploadKind, facts: RowFacts) -> list[str]:
    reasons = []
    if facts.clashes:
        doc = qbo_doc_number(reference_for(po, kind))
        others = ", ".join(facts.clashes)
        reasons.append(
            f"Its QuickBooks DocNumber {doc!r} (the reference cut to {DOC_NUMBER_MAX} "
            f"characters) is the same as PO {others}'s: QuickBooks would refuse the second with "
            "6140. Shorten the supplier invoice number or the PO's reference of one of them."
        )
    if facts.unmapped_lines:
        reasons.append(
            f"{facts.unmapped_lines} line(s) have no QuickBooks item and no expense account is "
            "chosen: choose one on Accounting › Settings (or map the items there)."
        )
    return reasons


def blockers(
    po: PurchaseOrder,
    vendor: Vendor | None,
    kind: UploadKind,
    *,
    link: PartnerLink | None,
    setting_on: bool = False,
    facts: RowFacts = RowFacts(),
) -> list[str]:
    if kind == UploadKind.BILL:
        reasons = bill_blockers(po, vendor, link=link)
    else:
        reasons = purchase_order_blockers(po, vendor, link=link, setting_on=setting_on)
    return reasons + fact_blockers(po, kind, facts)
