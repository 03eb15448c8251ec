"""A simulated Prophet 21 speaking the contract in ``connectors/p21.py``, on a real SQL database.

It keeps P21's tables that the contract touches in an in-memory SQLite database: ``inv_mast``
(items), ``oe_hdr``/``oe_line`` (sales orders and their backordered quantities), ``po_hdr``/
``po_line`` and ``oe_line_po`` shaped as P21's (order_number, line_number, po_no,
po_line_number, quantity_on_po, connection_type, completed / delete_flag / cancel_flag,
date_created / date_last_modified). A PO's link set is applied in ONE transaction.

Scriptable: ``add_item``, ``add_sales_order``, ``close_order``; ``fail_link_writes(n)`` makes the
next n link writes fail part-way (after some rows are written: the transaction rolls back),
``lose_answers(n)`` commits the next n writes and then loses the answer (HTTP 504), and the
shared ``faults`` (down, fail_next, throttle) apply to every call.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from connectors.sandbox.control import control_route
from connectors.sandbox.faults import Faults

SCHEMA = """
CREATE TABLE inv_mast (item_id TEXT PRIMARY KEY, item_desc TEXT NOT NULL DEFAULT '');
CREATE TABLE oe_hdr (
    order_no TEXT PRIMARY KEY, customer_id TEXT NOT NULL, order_date TEXT NOT NULL,
    completed CHAR(1) NOT NULL DEFAULT 'N', cancel_flag CHAR(1) NOT NULL DEFAULT 'N'
);
CREATE TABLE oe_line (
    order_no TEXT NOT NULL REFERENCES oe_hdr, line_no INTEGER NOT NULL,
    item_id TEXT NOT NULL REFERENCES inv_mast, qty_ordered TEXT NOT NULL,
    qty_backordered TEXT NOT NULL, PRIMARY KEY (order_no, line_no)
);
CREATE TABLE po_hdr (
    po_no TEXT PRIMARY KEY, vendor_id TEXT NOT NULL, order_date TEXT,
    date_created TEXT NOT NULL, date_last_modified TEXT NOT NULL
);
CREATE TABLE po_line (
    po_no TEXT NOT NULL REFERENCES po_hdr, line_no INTEGER NOT NULL,
    item_id TEXT NOT NULL REFERENCES inv_mast, qty_ordered TEXT NOT NULL,
    unit_price TEXT NOT NULL, cancel_flag CHAR(1) NOT NULL DEFAULT 'N',
    PRIMARY KEY (po_no, line_no)
);
CREATE TABLE oe_line_po (
    order_number TEXT NOT NULL, line_number INTEGER NOT NULL,
    po_no TEXT NOT NULL, po_line_number INTEGER NOT NULL,
    quantity_on_po TEXT NOT NULL, connection_type CHAR(1) NOT NULL DEFAULT 'P',
    completed CHAR(1) NOT NULL DEFAULT 'N', delete_flag CHAR(1) NOT NULL DEFAULT 'N',
    cancel_flag CHAR(1) NOT NULL DEFAULT 'N',
    date_created TEXT NOT NULL, date_last_modified TEXT NOT NULL,
    PRIMARY KEY (order_number, line_number, po_no, po_line_number),
    FOREIGN KEY (order_number, line_number) REFERENCES oe_line (order_no, line_no),
    FOREIGN KEY (po_no, po_line_number) REFERENCES po_line (po_no, line_no)
);
"""
LINK_COLUMNS = (
    "order_number, line_number, po_no, po_line_number, quantity_on_po, connection_type, "
    "completed, delete_flag, cancel_flag, date_created, date_last_modified"
)
ACTIVE = "delete_flag = 'N' AND cancel_flag = 'N' AND completed = 'N'"


class _Refused(Exception):
    def __init__(self, code: str, message: str, subject: str | None = None, status: int = 422):
        super().__init__(message)
        self.code, self.message, self.subject, self.status = code, message, subject, status


class _MidWrite(Exception):
    """A scripted outage part-way through writing links."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _qty(value: Any) -> str:
    return str(Decimal(str(value)))


class P21Sandbox:
    name = "p21"

    def __init__(self) -> None:
        self.faults = Faults()
        self._lock = threading.Lock()
        self._db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA foreign_keys = ON")
        self._db.executescript(SCHEMA)
        self._fail_link_writes = 0
        self._lose_answers = 0
        self._lose_links_only = False

    # --- scripting API (thread-safe) -----------------------------------------------------------

    def add_item(self, item_id: str, description: str = "") -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO inv_mast VALUES (?, ?)", (item_id, description)
            )

    def add_sales_order(
        self, order_number: str, customer_id: str, order_date: str, lines: list[dict[str, Any]]
    ) -> None:
        """A sales order; each line: line_number, item_id, qty_ordered, qty_backordered."""
        with self._lock, self._transaction():
            self._db.execute(
                "INSERT INTO oe_hdr (order_no, customer_id, order_date) VALUES (?, ?, ?)",
                (order_number, customer_id, str(order_date)),
            )
            for line in lines:
                self._db.execute(
                    "INSERT INTO oe_line VALUES (?, ?, ?, ?, ?)",
                    (
                        order_number,
                        int(line["line_number"]),
                        line["item_id"],
                        _qty(line["qty_ordered"]),
                        _qty(line.get("qty_backordered", line["qty_ordered"])),
                    ),
                )

    def close_order(self, order_number: str) -> None:
        with self._lock:
            found = self._db.execute(
                "UPDATE oe_hdr SET completed = 'Y' WHERE order_no = ?", (order_number,)
            ).rowcount
        if not found:
            raise KeyError(f"no sales order {order_number}")

    def fail_link_writes(self, n: int = 1) -> None:
        """The next n link writes fail after writing some rows (rolled back: none land)."""
        with self._lock:
            self._fail_link_writes += int(n)

    def lose_answers(self, n: int = 1, *, links: bool = False) -> None:
        """The next n writes (PO or links; ``links``: link writes only) commit, then their
        answer is lost (HTTP 504)."""
        with self._lock:
            self._lose_answers += int(n)
            self._lose_links_only = bool(links)

    def oe_line_po(self, po_no: str | None = None) -> list[dict[str, Any]]:
        """Every row of oe_line_po (of one PO), released ones too."""
        where, args = ("WHERE po_no = ?", (po_no,)) if po_no else ("", ())
        with self._lock:
            rows = self._db.execute(
                f"SELECT {LINK_COLUMNS} FROM oe_line_po {where} "  # noqa: S608 - fixed text
                "ORDER BY po_no, po_line_number, order_number, line_number",
                args,
            ).fetchall()
        return [dict(row) for row in rows]

    def purchase_orders(self) -> list[dict[str, Any]]:
        """Every purchase order P21 holds, with its lines."""
        with self._lock:
            rows = self._db.execute("SELECT po_no FROM po_hdr ORDER BY po_no")
            numbers = [row[0] for row in rows]
            return [po for number in numbers if (po := self._po(number)) is not None]

    def ops(self) -> dict[str, Callable[..., Any]]:
        names = (
            "add_item",
            "add_sales_order",
            "close_order",
            "fail_link_writes",
            "lose_answers",
            "oe_line_po",
            "purchase_orders",
        )
        return {n: getattr(self, n) for n in names}

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/purchase-orders/{po_no}", self._put_po, methods=["PUT"]),
            Route("/purchase-orders/{po_no}", self._get_po, methods=["GET"]),
            Route("/purchase-orders/{po_no}/links", self._put_links, methods=["PUT"]),
            Route("/purchase-orders/{po_no}/links", self._get_links, methods=["GET"]),
            Route("/backorders", self._backorders),
            control_route(self.ops(), self.faults),
        ]

    # --- the wire -------------------------------------------------------------------------------

    async def _put_po(self, request: Request) -> Response:
        body = await request.json()
        po_no = request.path_params["po_no"]
        return self._write(lambda: self._store_po(po_no, body), lambda: self._po(po_no), False)

    async def _get_po(self, request: Request) -> Response:
        with self._lock:
            found = self._po(request.path_params["po_no"])
        if found is None:
            return JSONResponse({"error": "no such purchase order"}, status_code=404)
        return JSONResponse(found)

    async def _put_links(self, request: Request) -> Response:
        body = await request.json()
        po_no = request.path_params["po_no"]
        return self._write(
            lambda: self._store_links(po_no, body["links"]), lambda: self._links(po_no), True
        )

    async def _get_links(self, request: Request) -> Response:
        po_no = request.path_params["po_no"]
        with self._lock:
            if self._po(po_no) is None:
                return JSONResponse({"error": "no such purchase order"}, status_code=404)
            return JSONResponse(self._links(po_no))

    async def _backorders(self, request: Request) -> Response:
        item_id = request.query_params.get("item_id")
        if not item_id:
            return JSONResponse({"error": "give item_id"}, status_code=400)
        with self._lock:
            rows = self._db.execute(
                f"""
                SELECT l.order_no AS order_number, l.line_no AS line_number, l.item_id,
                       h.customer_id, h.order_date, l.qty_backordered,
                       (SELECT group_concat(quantity_on_po, ' ') FROM oe_line_po p
                        WHERE p.order_number = l.order_no AND p.line_number = l.line_no
                          AND {ACTIVE}) AS on_po
                FROM oe_line l JOIN oe_hdr h ON h.order_no = l.order_no
                WHERE l.item_id = ? AND h.completed = 'N' AND h.cancel_flag = 'N'
                  AND CAST(l.qty_backordered AS REAL) > 0
                ORDER BY h.order_date, l.order_no, l.line_no
                """,  # noqa: S608 - fixed text
                (item_id,),
            ).fetchall()
        lines = []
        for row in rows:
            line = dict(row)
            on_po = sum((Decimal(q) for q in (line.pop("on_po") or "").split()), Decimal(0))
            lines.append(line | {"qty_on_po": str(on_po)})
        return JSONResponse({"lines": lines})

    # --- writing, one transaction each ----------------------------------------------------------

    def _write(self, write: Callable[[], None], answer: Callable[[], Any], links: bool) -> Response:
        with self._lock:
            try:
                with self._transaction():
                    write()
            except _Refused as exc:
                error = {"code": exc.code, "message": exc.message, "subject": exc.subject}
                return JSONResponse({"error": error}, status_code=exc.status)
            except _MidWrite:
                return JSONResponse({"error": "P21 failed while writing"}, status_code=503)
            result = answer()
            if self._lose_answers and (links or not self._lose_links_only):
                self._lose_answers -= 1
                return JSONResponse({"error": "the answer was lost"}, status_code=504)
            if self.faults.lose():
                return JSONResponse({"error": "the answer was lost"}, status_code=504)
        return JSONResponse(result)

    def _transaction(self):
        db = self._db

        class _Tx:
            def __enter__(self):
                db.execute("BEGIN IMMEDIATE")

            def __exit__(self, kind, exc, tb):
                db.execute("ROLLBACK" if kind else "COMMIT")
                return False

        return _Tx()

    def _store_po(self, po_no: str, body: dict[str, Any]) -> None:
        known = {r[0] for r in self._db.execute("SELECT item_id FROM inv_mast")}
        for line in body["lines"]:
            if line["item_id"] not in known:
                raise _Refused(
                    "unknown item",
                    f"P21 has no item {line['item_id']!r} (line {line['line_number']})",
                    line["item_id"],
                )
        now = _now()
        self._db.execute(
            "INSERT INTO po_hdr VALUES (?, ?, ?, ?, ?) ON CONFLICT (po_no) DO UPDATE SET "
            "vendor_id = excluded.vendor_id, order_date = excluded.order_date, "
            "date_last_modified = excluded.date_last_modified",
            (po_no, body["vendor_id"], body.get("order_date"), now, now),
        )
        for line in body["lines"]:
            cancelled = "Y" if line.get("cancelled") else "N"
            self._db.execute(
                "INSERT INTO po_line VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (po_no, line_no) DO "
                "UPDATE SET item_id = excluded.item_id, qty_ordered = excluded.qty_ordered, "
                "unit_price = excluded.unit_price, cancel_flag = excluded.cancel_flag",
                (
                    po_no,
                    int(line["line_number"]),
                    line["item_id"],
                    _qty(line["quantity"]),
                    _qty(line["unit_cost"]),
                    cancelled,
                ),
            )
            if cancelled == "Y":  # P21 releases a cancelled PO line's links
                self._db.execute(
                    "UPDATE oe_line_po SET cancel_flag = 'Y', date_last_modified = ? "
                    "WHERE po_no = ? AND po_line_number = ? AND cancel_flag = 'N'",
                    (now, po_no, int(line["line_number"])),
                )

    def _store_links(self, po_no: str, wanted: list[dict[str, Any]]) -> None:
        po_lines = {
            r["line_no"]: r
            for r in self._db.execute("SELECT * FROM po_line WHERE po_no = ?", (po_no,))
        }
        if not po_lines:
            raise _Refused("unknown purchase order", f"P21 has no PO {po_no}", po_no)
        for link in wanted:
            self._check(po_no, link, po_lines)
        now = _now()
        keys = {
            (w["order_number"], int(w["line_number"]), int(w["po_line_number"])) for w in wanted
        }
        for row in self._db.execute(
            f"SELECT order_number, line_number, po_line_number FROM oe_line_po "  # noqa: S608
            f"WHERE po_no = ? AND {ACTIVE}",
            (po_no,),
        ).fetchall():
            if tuple(row) not in keys:
                self._db.execute(
                    "UPDATE oe_line_po SET delete_flag = 'Y', date_last_modified = ? WHERE "
                    "order_number = ? AND line_number = ? AND po_no = ? AND po_line_number = ?",
                    (now, row[0], row[1], po_no, row[2]),
                )
        for written, link in enumerate(wanted):
            if written == len(wanted) // 2 and self._fail_link_writes:
                self._fail_link_writes -= 1
                raise _MidWrite()
            self._db.execute(
                "INSERT INTO oe_line_po (order_number, line_number, po_no, po_line_number, "
                "quantity_on_po, date_created, date_last_modified) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT DO UPDATE SET quantity_on_po = excluded.quantity_on_po, "
                "delete_flag = 'N', cancel_flag = 'N', completed = 'N', "
                "date_last_modified = excluded.date_last_modified",
                (
                    link["order_number"],
                    int(link["line_number"]),
                    po_no,
                    int(link["po_line_number"]),
                    _qty(link["quantity_on_po"]),
                    now,
                    now,
                ),
            )
        if not wanted and self._fail_link_writes:
            self._fail_link_writes -= 1
            raise _MidWrite()

    def _check(self, po_no: str, link: dict[str, Any], po_lines: dict[int, Any]) -> None:
        order, line_no = link["order_number"], int(link["line_number"])
        header = self._db.execute(
            "SELECT completed, cancel_flag FROM oe_hdr WHERE order_no = ?", (order,)
        ).fetchone()
        if header is None:
            raise _Refused("unknown sales order", f"P21 has no sales order {order}", order)
        if "Y" in (header["completed"], header["cancel_flag"]):
            raise _Refused("closed sales order", f"Sales order {order} is closed in P21", order)
        so_line = self._db.execute(
            "SELECT item_id FROM oe_line WHERE order_no = ? AND line_no = ?", (order, line_no)
        ).fetchone()
        po_line = po_lines.get(int(link["po_line_number"]))
        if so_line is None or po_line is None:
            raise _Refused(
                "unknown line",
                f"P21 has no line {order}/{line_no} or PO line {po_no}/{link['po_line_number']}",
                order,
            )
        if so_line["item_id"] != po_line["item_id"]:
            raise _Refused(
                "item mismatch",
                f"{order}/{line_no} is for {so_line['item_id']}, PO line "
                f"{link['po_line_number']} for {po_line['item_id']}",
                order,
            )

    # --- reading --------------------------------------------------------------------------------

    def _po(self, po_no: str) -> dict[str, Any] | None:
        header = self._db.execute("SELECT * FROM po_hdr WHERE po_no = ?", (po_no,)).fetchone()
        if header is None:
            return None
        lines = self._db.execute(
            "SELECT * FROM po_line WHERE po_no = ? ORDER BY line_no", (po_no,)
        ).fetchall()
        return {
            "po_no": po_no,
            "vendor_id": header["vendor_id"],
            "order_date": header["order_date"],
            "lines": [
                {
                    "line_number": ln["line_no"],
                    "item_id": ln["item_id"],
                    "quantity": ln["qty_ordered"],
                    "unit_cost": ln["unit_price"],
                    "cancelled": ln["cancel_flag"] == "Y",
                }
                for ln in lines
            ],
        }

    def _links(self, po_no: str) -> dict[str, Any]:
        rows = self._db.execute(
            f"SELECT {LINK_COLUMNS} FROM oe_line_po WHERE po_no = ? AND {ACTIVE} "  # noqa: S608
            "ORDER BY po_line_number, order_number, line_number",
            (po_no,),
        ).fetchall()
        return {"po_no": po_no, "links": [dict(r) for r in rows]}
