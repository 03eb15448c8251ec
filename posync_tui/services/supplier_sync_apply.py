"""The auto-sync rules: apply a page of fetched supplier orders to POs in one transaction.

Everything is decided in memory first (``_Batch.plan``) from a few indexed reads, then written
with bulk Core statements (``PageStore.write``): one bad order is refused before anything is
written, so it never leaves a partial write, and the page is still applied in one go. The rules:

- a supplier order is matched to a PO by supplier order no., else by the buyer PO number, within
  the vendor whose supplier account sent it; every PO records when the supplier last notified;
- only POs with auto-sync are updated: the supplier's fields, with an audit entry per field;
- an order created directly with the supplier (no buyer PO number) is imported as a new PO when
  the vendor auto-syncs;
- an item not in posync is looked up in the cloud catalog (answers passed in); found → added
  and linked, else the line is kept as a missing item with a syncing notification;
- a cancelled line is hidden (never deleted) with a syncing notification naming the item;
- bad input (unknown vendor or buyer PO, an order that failed to parse) → a sync-error
  notification and the PO's last sync error; the rest of the page still applies.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connectors.supplier import SupplierLine, SupplierOrder
from posync_tui.audit import Change, shown
from posync_tui.models import (
    Integration,
    Item,
    NotificationKind,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
)
from posync_tui.money import po_total
from posync_tui.services.supplier_sync_store import (  # noqa: F401 - part of this API
    LINE_FIELDS,
    PO_FIELDS,
    PO_T,
    SOURCE,
    ApplyResult,
    CatalogAnswers,
    OrderWork,
    PageStore,
    PartKey,
    Ref,
    part_keys,
    q4,
    unknown_parts,
)


def apply_orders(
    session: Session, works: list[OrderWork], catalog: CatalogAnswers, now: datetime
) -> ApplyResult:
    """Apply the works inside the caller's transaction; the caller notes the changes."""
    batch = _Batch(session, catalog, now)
    batch.load(works)
    for work in works:
        batch.plan(work)
    batch.write()
    return batch.result


class _Batch(PageStore):
    """The rules, planned in memory over what the page store read."""

    # --- planning: the rules, in memory ----------------------------------------------------

    def plan(self, work: OrderWork) -> None:
        self.result.orders += 1
        vendor = self.vendors.get(work.supplier_account or "")
        if work.order is None:
            self._failed(work, vendor, work.error or "the supplier order could not be read")
            return
        order = work.order
        if vendor is None:
            self._failed(
                work,
                None,
                f"No vendor in posync has supplier account "
                f"{order.supplier_account} (supplier order {order.order_no})",
            )
            return
        po = self._match(work, vendor, order)
        linked = po["supplier_order_no"] if po is not None else None
        if po is not None and linked and linked != order.order_no:
            # Its buyer reference names a PO that another supplier order already fills.
            message = (
                f"Supplier order {order.order_no} names PO {po['number']}, which is already "
                f"linked to supplier order {linked}; nothing was changed"
            )
            self.result.errors.append(message)
            self._note(NotificationKind.SYNC_ERROR, message, vendor, po, payload=work.order_no)
        elif po is None and order.buyer_po_number:
            self._failed(
                work,
                vendor,
                f"Supplier order {order.order_no} names PO {order.buyer_po_number}, which is not "
                f"in posync for vendor {vendor['code']}; nothing was changed",
            )
        elif po is None and _syncs(vendor) and vendor["auto_sync"]:
            # Orders made directly with the supplier come in for auto-sync vendors only.
            self._import(work, vendor, order)
        elif po is None:
            self.result.not_auto_synced += 1
        else:
            self._update(work, vendor, po, order)

    def _match(self, work: OrderWork, vendor: dict, order: SupplierOrder | None) -> dict | None:
        if work.po_id is not None:
            po = self.pos.get(work.po_id)
            return po if po and po["vendor_id"] == vendor["id"] else None
        po = self.po_by_order.get((vendor["id"], work.order_no or ""))
        buyer = order.buyer_po_number if order else work.buyer_po_number
        if po is None and buyer:
            po = self.po_by_number.get((vendor["id"], buyer))
        return po

    def _notified(self, po: dict, work: OrderWork) -> None:
        seen = po["supplier_notified_at"]
        if work.notified_at and (seen is None or work.notified_at > seen):
            po["supplier_notified_at"] = work.notified_at
            self._touch(po)

    def _touch(self, po: dict) -> None:
        if not isinstance(po["id"], Ref):
            self.dirty_pos.add(po["id"])

    def _failed(self, work: OrderWork, vendor: dict | None, message: str) -> None:
        po = self._match(work, vendor, None) if vendor else None
        if po is not None:
            self._notified(po, work)
            po["last_sync_error"] = message
            self._touch(po)
            self.result.po_errors[po["id"]] = message
        if work.silent:
            return
        self.result.errors.append(message)
        self._note(NotificationKind.SYNC_ERROR, message, vendor, po, payload=work.order_no)

    def _update(self, work: OrderWork, vendor: dict, po: dict, order: SupplierOrder) -> None:
        self._notified(po, work)
        if not po["auto_sync"] or not _syncs(vendor):
            # Off on the PO, or the vendor is no longer an integrated supplier: from the
            # moment it was switched away, nothing the supplier sends changes its POs.
            self.result.not_auto_synced += 1
            return
        changed = 0
        for name, new in (
            ("supplier_order_no", order.order_no),
            ("expected_date", order.expected_date),
            ("currency", order.currency),
        ):
            if new is not None and new != po[name]:
                self._audit("purchase_order", po["id"], po, name, po[name], new)
                po[name] = new
                changed += 1
        lines = self.lines[po["id"]]
        for sl in order.lines:
            line = lines.get(sl.line_no)
            if line is None:
                if not sl.cancelled:
                    self._add_line(po, vendor, order, sl)
                    changed += 1
            else:
                changed += self._sync_line(po, vendor, order, line, sl)
        self._recount(po)
        po["last_synced_at"] = work.fetched_at or self.now
        po["last_sync_error"] = None
        self._touch(po)
        self.result.po_ids.add(po["id"])
        self.result.vendor_ids.add(vendor["id"])
        self.result.updated += bool(changed)

    def _sync_line(self, po, vendor, order, line: dict, sl: SupplierLine) -> int:
        before = self.result.fields_changed
        if sl.cancelled:
            if not line["hidden"]:
                self._set(po, line, "hidden", True)
                self.result.cancelled += 1
                what = " ".join(filter(None, (sl.supplier_part_no, sl.description)))
                self._note(
                    NotificationKind.LINE_CANCELLED,
                    f"{vendor['code']} cancelled line {sl.line_no} ({what}, "
                    f"{shown(sl.quantity_ordered)} ordered) on PO {po['number']}: "
                    f"hidden on the PO",
                    vendor,
                    po,
                    line=line["id"],
                    payload=json.dumps(sl.as_json()),
                )
            return self.result.fields_changed - before
        if line["hidden"]:
            self._set(po, line, "hidden", False)
        for name in LINE_FIELDS:
            new = getattr(sl, name)
            new = q4(new) if isinstance(new, Decimal) else new
            if new is not None and new != line[name]:
                self._set(po, line, name, new)
        if line["item_id"] is None:
            item = self._item_for(po, vendor, sl)
            if item is not None:
                self._set(po, line, "item_id", item)
                line["missing_item"] = False
                self.resolved_lines.append(line["id"])
            elif line["id"] not in self.noted_missing:
                self._missing(po, vendor, order, sl, line["id"])
        return self.result.fields_changed - before

    def _set(self, po: dict, line: dict, name: str, new: Any) -> None:
        self._audit("purchase_order_line", line["id"], po, name, line[name], new)
        line[name] = new
        self.dirty_lines[line["id"]] = line

    def _add_line(self, po: dict, vendor: dict, order: SupplierOrder, sl: SupplierLine) -> None:
        item = self._item_for(po, vendor, sl)
        ref = Ref()
        row = PurchaseOrderLine(
            po_id=0,  # a placeholder, set below: it may be a Ref, which the model must not see
            line_no=sl.line_no,
            item_id=None,
            supplier_part_no=sl.supplier_part_no,
            upc=sl.upc,
            description=sl.description,
            quantity_ordered=q4(sl.quantity_ordered),
            quantity_confirmed=q4(sl.quantity_confirmed),
            unit_cost=q4(sl.unit_cost),
            expected_date=sl.expected_date or order.expected_date,
            missing_item=item is None,
        ).model_dump(exclude={"id"})
        row.update(id=ref, po_id=po["id"], item_id=item)
        self.new_lines.append((ref, row))
        self.lines[po["id"]][sl.line_no] = row
        summary = f"{sl.supplier_part_no} {sl.description}".strip()
        added = (
            f"line {sl.line_no}: {summary}, {shown(sl.quantity_ordered)} at {shown(sl.unit_cost)}"
        )
        self._audit("purchase_order_line", ref, po, "line", None, added)
        if item is None:
            self._missing(po, vendor, order, sl, ref)

    def _missing(self, po, vendor, order: SupplierOrder, sl: SupplierLine, line_id) -> None:
        self.result.missing += 1
        why = "is not in posync or the cloud catalog"
        if self.catalog.unavailable:
            why = (
                "is not in posync and the cloud catalog could not be asked "
                f"({self.catalog.unavailable})"
            )
        payload = {
            **sl.as_json(),
            "supplier_account": order.supplier_account,
            "order_no": order.order_no,
            "vendor_id": vendor["id"],
            "currency": order.currency,
        }
        self._note(
            NotificationKind.MISSING_ITEM,
            f"PO {po['number']} line {sl.line_no}: {vendor['code']} item {sl.supplier_part_no} "
            f"({sl.description or 'no description'}) {why}; add it to complete the line",
            vendor,
            po,
            line=line_id,
            payload=json.dumps(payload),
        )

    def _item_for(self, po: dict, vendor: dict, sl: SupplierLine) -> int | Ref | None:
        """The item a supplier line names: known, added from the catalog now, or None."""
        for item_id, owner in self.items_by_part.get(sl.supplier_part_no, ()):
            if owner in (vendor["id"], None):
                return item_id
        if sl.upc and sl.upc in self.items_by_upc:
            return self.items_by_upc[sl.upc]
        product = self.catalog.products.get((sl.supplier_part_no, sl.upc))
        if product is None:
            return None
        if product.sku in self.items_by_sku:
            return self.items_by_sku[product.sku]
        ref = Ref()
        row = Item(
            sku=product.sku,
            description=product.description[:200],
            upc=product.upc or sl.upc,
            mpn=product.mpn,
            supplier_part_no=sl.supplier_part_no,
            vendor_id=vendor["id"],
            unit_cost=q4(product.unit_cost or sl.unit_cost),
        ).model_dump(exclude={"id"})
        self.new_items.append((ref, row))
        self._know_item(ref, row["sku"], sl.supplier_part_no, row["upc"], vendor["id"])
        self.result.items_added += 1
        self._note(
            NotificationKind.ITEM_ADDED,
            f"Added {product.sku} ({product.description}) from the cloud catalog for "
            f"PO {po['number']} line {sl.line_no}",
            vendor,
            po,
            payload=json.dumps(product.as_json()),
            reviewed=True,
        )
        return ref

    def _import(self, work: OrderWork, vendor: dict, order: SupplierOrder) -> None:
        ref = Ref()
        row = PurchaseOrder(
            number=self._next_number(),
            vendor_id=vendor["id"],
            status=POStatus.OPEN,
            order_date=self.now.date(),
            expected_date=order.expected_date,
            currency=order.currency,
            auto_sync=bool(vendor["auto_sync"]),
            supplier_order_no=order.order_no,
            created_by_supplier=True,
            last_synced_at=work.fetched_at or self.now,
            supplier_notified_at=work.notified_at,
            created_at=self.now,
            updated_at=self.now,
        ).model_dump(exclude={"id"})
        row["id"] = ref
        self.new_pos.append((ref, row))
        self.lines[ref] = {}
        self._audit(
            "purchase_order",
            ref,
            row,
            "created",
            None,
            f"imported from supplier order {order.order_no}",
        )
        for sl in order.lines:
            if not sl.cancelled:
                self._add_line(row, vendor, order, sl)
        self._recount(row)
        self.result.imported += 1
        self.result.vendor_ids.add(vendor["id"])

    def _next_number(self) -> str:
        if not self.numbers:
            start = (self.s.execute(select(func.max(PO_T.c.id))).scalar() or 0) + 1
            candidates = [f"PO-{n:07d}" for n in range(start, start + 200)]
            taken = set(
                self.s.execute(select(PO_T.c.number).where(PO_T.c.number.in_(candidates))).scalars()
            )
            self.numbers = [c for c in reversed(candidates) if c not in taken]
            if not self.numbers:
                raise RuntimeError("no free PO number near the highest PO id")
        return self.numbers.pop()

    def _recount(self, po: dict) -> None:
        visible = [ln for ln in self.lines[po["id"]].values() if not ln["hidden"]]
        po["total"] = po_total(
            ((ln["quantity_ordered"], ln["unit_cost"]) for ln in visible), po["currency"]
        )
        po["line_count"] = len(visible)

    def _audit(self, kind: str, record_id, po: dict, name: str, old, new) -> None:
        self.result.fields_changed += 1
        self.audits.append(Change(kind, record_id, name, old, new, po["id"]))

    def _note(self, kind, message, vendor, po, *, line=None, payload=None, reviewed=False):
        self.result.notifications += 1
        self.notes.append(
            {
                "created_at": self.now,
                "kind": kind.value,
                "vendor_id": vendor and vendor["id"],
                "po_id": po and po["id"],
                "po_line_id": line,
                "message": message,
                "payload": payload,
                "reviewed": reviewed,
                "reviewed_at": self.now if reviewed else None,
                "resolved": False,
            }
        )


def _syncs(vendor: dict) -> bool:
    """The vendor is an integrated supplier: its auto-sync POs follow the supplier's orders."""
    return vendor["integration"] == Integration.B2B.value
