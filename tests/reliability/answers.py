"""The valid answer of each partner call the fuzz tests mutate: one per contract, as the
sandboxes send them (``docs/*.md``)."""

from __future__ import annotations

from decimal import Decimal

from connectors.quickbooks.records import ExpenseLine, bill_draft

SO = "SO-1001"
SUPPLIER_ORDER = {
    "order_no": SO,
    "supplier_account": "ACME-001",
    "buyer_po_number": "PO-000123",
    "currency": "USD",
    "expected_date": "2026-12-01",
    "lines": [
        {
            "line_no": 1,
            "supplier_part_no": "AC-100",
            "upc": "012345678905",
            "description": "Widget",
            "quantity_ordered": "12",
            "quantity_confirmed": "10",
            "unit_cost": "4.2500",
            "expected_date": "2026-12-01",
            "status": "active",
        },
        {"line_no": 2, "supplier_part_no": "AC-200", "quantity_ordered": 5, "unit_cost": "10"},
    ],
}
SUPPLIER_FEED = {
    "changes": [
        {
            "seq": 41,
            "supplier_account": "ACME-001",
            "order_no": SO,
            "notified_at": "2026-11-23T09:30:00Z",
            "what": "line 2 quantity",
        }
    ],
    "next_cursor": "41",
}
PRODUCTS = {
    "products": [
        {
            "sku": "AC-100",
            "supplier_part_no": "AC-100",
            "upc": "012345678905",
            "mpn": "W-1",
            "description": "Widget",
            "brand": "Acme",
            "unit_cost": "4.2500",
        }
    ]
}
OVO_LINE = {
    "id": "OVO-1",
    "order_no": "CO-1",
    "line_no": 1,
    "location": "C1-L1",
    "item": "W-1",
    "quantity": "3",
    "ship_quantity": "2",
    "picked": False,
    "completed": False,
    "key": "k-1",
}
OVO_RESULTS = {
    "results": [
        {"key": "k-1", "status": "accepted", "line": OVO_LINE},
        {"key": "k-2", "status": "rejected", "code": "unknown item", "message": "no W-9"},
    ]
}
P21_ORDER = {
    "po_no": "PO-1",
    "vendor_id": "V-1",
    "order_date": "2026-03-02",
    "lines": [
        {"line_number": 1, "item_id": "W-1", "quantity": "4", "unit_cost": "2.5"},
        {"line_number": 2, "item_id": "G-1", "quantity": 1, "unit_cost": "3", "cancelled": True},
    ],
}
P21_LINKS = {
    "po_no": "PO-1",
    "links": [
        {
            "order_number": "SO-1",
            "line_number": 1,
            "po_no": "PO-1",
            "po_line_number": 1,
            "quantity_on_po": "4",
            "connection_type": "P",
            "completed": "N",
            "delete_flag": "N",
            "cancel_flag": "N",
            "date_created": "2026-03-02",
        }
    ],
}
BACKORDERS = {
    "lines": [
        {
            "order_number": "SO-1",
            "line_number": 1,
            "item_id": "W-1",
            "customer_id": "C-1",
            "order_date": "2026-03-01",
            "qty_backordered": "4",
            "qty_on_po": "0",
        }
    ]
}
INBOX = {
    "documents": [
        {
            "seq": 1,
            "id": "D-1",
            "type": "ORDRSP",
            "control_ref": "S1",
            "sender": "5412345000020",
            "received_at": "2026-03-03T14:05:00Z",
            "size": 120,
            "acknowledged": False,
            "content": "VU5CK1VOT0M6MytYJw==",
        }
    ],
    "next_cursor": "1",
}
RECEIPT = {"id": "D-9", "control_ref": "1001"}
BILL = {
    "Id": "145",
    "DocNumber": "INV-9",
    "SyncToken": "0",
    "VendorRef": {"value": "56"},
    "TotalAmt": 37.5,
    "PrivateNote": "posync k-1",
    "DueDate": "2026-04-04",
    "Line": [{"Amount": 37.5, "LinkedTxn": [{"TxnId": "130", "TxnType": "PurchaseOrder"}]}],
}
VENDOR = {
    "Id": "56",
    "DisplayName": "Acme Supply",
    "PrimaryEmailAddr": {"Address": "ap@acme.example"},
    "Active": True,
    "SyncToken": "2",
}
ACCOUNT = {"Id": "7", "Name": "Freight", "FullyQualifiedName": "Expenses:Freight",
           "AccountType": "Expense", "Active": True}  # fmt: skip
FAULT = {
    "Fault": {
        "Error": [{"Message": "Duplicate", "Detail": "DocNumber INV-9", "code": "6140"}],
        "type": "ValidationFault",
    }
}

DRAFT = bill_draft(
    vendor_id="56",
    doc_number="INV-9",
    txn_date=None,
    lines=(ExpenseLine(Decimal("37.5"), account_id="7"),),
    private_note="posync k-1",
)
