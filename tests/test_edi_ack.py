"""EDI inbound, exactly once (issue 20): each interchange in the hub's inbox is stored and
applied once and acknowledged at the hub, whatever stops the poll between the store and the
acknowledgement (the process killed, the acknowledgement refused, its answer lost), and nothing
is ever acknowledged that is not stored. Against the sandbox hub over HTTP."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import func, select

from connectors.edi_hub import EdiHubClient
from posync_tui.models import (
    AuditEntry,
    ConnectorState,
    EdiDocument,
    PoAmendment,
    PurchaseOrder,
    QuarantinedEntry,
    Shipment,
    VendorBill,
)
from posync_tui.runtime import Runtime
from posync_tui.services import edi_feed, edi_sync
from posync_tui.services.edi_partner import EDI
from posync_tui.services.edi_submit import submit
from tests import records
from tests.edi_world import edi_po, hub_runtime, served_hub

TRIES = 4  # the client's attempts at one call: a call failing every one of them fails


class Killed(BaseException):
    """The process dies here: nothing after it runs, not even an ``except Exception``."""


@pytest.fixture
def hub():
    with served_hub() as served:
        yield served


@pytest.fixture
def rt(any_db, hub) -> Runtime:
    return hub_runtime(any_db, hub)


def run(rt) -> str:
    return asyncio.run(EDI.jobs[0].run(rt, records.fence(rt.db, "edi_hub")))


def answered(rt, sandbox) -> int:
    """A PO sent to the hub, whose supplier changes a line, ships in two parts and invoices:
    four interchanges (ORDRSP, DESADV ×2, INVOIC) wait in the inbox. The ORDERS goes out on a
    first run whose inbox half finds nothing yet."""
    po_id = edi_po(rt.db)
    with rt.db.session() as s:
        s.get(PurchaseOrder, po_id).edi_submit_status = None
    sandbox.script(behaviour="change", quantity=8, ship=2, invoice=True, freight="9.50")
    submit(rt.db, po_id, rt.settings.edi)
    with pytest.MonkeyPatch.context() as mp:  # the ORDERS out, the inbox left for the test
        mp.setattr(edi_sync, "poll", _nothing)
        run(rt)
    assert len(sandbox.inbox()) == 4 and not sandbox.acks()
    return po_id


async def _nothing(*args, **kwargs) -> str:
    return ""


async def _killed(self, ids) -> None:
    raise Killed


def killed_before_the_ack(rt) -> None:
    """A run whose process dies as it is about to acknowledge at the hub."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(EdiHubClient, "acknowledge", _killed)
        with pytest.raises(Killed):
            run(rt)


def tally(db) -> dict[str, object]:
    """What posync holds of the inbox: the log rows per hub id, and what they applied."""
    with db.reader() as s:
        inbound = s.exec(select(EdiDocument).where(EdiDocument.direction == "in")).all()

        def count(model) -> int:
            return s.exec(select(func.count()).select_from(model)).one()

        return {
            "documents": Counter(d.hub_id for d in inbound),
            "statuses": Counter(d.status for d in inbound),
            "shipments": count(Shipment),
            "bills": count(VendorBill),
            "amendments": count(PoAmendment),
            "audit": count(AuditEntry),
            "set aside": count(QuarantinedEntry),
        }


def acked_once(sandbox) -> None:
    """Each of the inbox's documents acknowledged, by one acknowledgement."""
    ids = [d["id"] for d in sandbox.inbox()]
    assert at_hub(sandbox) == {"acknowledged": [True] * len(ids), "acks": dict.fromkeys(ids, 1)}


def at_hub(sandbox) -> dict[str, object]:
    inbox = sandbox.inbox()
    return {"acknowledged": [d["acknowledged"] for d in inbox], "acks": sandbox.acks()}


def stored_once(db, sandbox) -> dict[str, object]:
    held = tally(db)
    assert held["documents"] == Counter(d["id"] for d in sandbox.inbox())
    assert held["statuses"] == {"applied": 4} and held["set aside"] == 0
    assert (held["shipments"], held["bills"]) == (2, 1)
    return held


@pytest.mark.parametrize("page_size", [100, 2], ids=["one page", "pages of two"])
def test_killed_between_the_store_and_the_ack_the_next_poll_acks_what_was_stored(
    rt, hub, monkeypatch, page_size
):
    """Pages of two: the kill strikes the ack of the first page, made while the second is
    listed; the first page is stored, the second not."""
    sandbox = hub[0]
    monkeypatch.setattr(edi_sync, "PAGE_SIZE", page_size)
    answered(rt, sandbox)
    killed_before_the_ack(rt)
    stored = sum(tally(rt.db)["documents"].values())
    assert stored == min(page_size, 4)  # stored, then killed before any ack
    assert at_hub(sandbox) == {"acknowledged": [False] * 4, "acks": {}}

    run(rt)
    run(rt)  # nothing is acknowledged twice
    held = stored_once(rt.db, sandbox)
    acked_once(sandbox)
    run(rt)
    assert tally(rt.db) == held


def test_an_ack_the_hub_refuses_is_made_by_the_next_poll(rt, hub):
    sandbox = hub[0]
    answered(rt, sandbox)
    sandbox.fail_next_acks(TRIES, status=503)
    with pytest.raises(Exception, match="HTTP 503"):
        run(rt)
    held = stored_once(rt.db, sandbox)
    assert at_hub(sandbox) == {"acknowledged": [False] * 4, "acks": {}}

    run(rt)
    acked_once(sandbox)
    run(rt)
    acked_once(sandbox)
    assert tally(rt.db) == held


def test_an_ack_whose_answer_is_lost_is_made_again_and_then_never(rt, hub):
    """The hub acknowledges, its answer never arrives (every try): posync cannot know, so the
    next poll acknowledges again (the hub takes it as the same); once answered, never again."""
    sandbox = hub[0]
    answered(rt, sandbox)
    sandbox.lose_next_acks(TRIES)
    with pytest.raises(Exception, match="broke off"):
        run(rt)
    held = stored_once(rt.db, sandbox)
    ids = [d["id"] for d in sandbox.inbox()]
    assert at_hub(sandbox) == {"acknowledged": [True] * 4, "acks": dict.fromkeys(ids, TRIES)}

    run(rt)
    run(rt)
    assert sandbox.acks() == dict.fromkeys(ids, TRIES + 1)
    assert tally(rt.db) == held


def test_a_stored_interchange_the_hub_lists_again_is_neither_applied_nor_logged_twice(
    rt, hub, monkeypatch
):
    """Killed before the ack, then the hub lists the documents again (here: from the start, as
    after its cursor went back): each is kept as it was, applied once, acknowledged once, and
    nothing is set aside as a duplicate."""
    sandbox = hub[0]
    answered(rt, sandbox)
    killed_before_the_ack(rt)
    held = stored_once(rt.db, sandbox)
    with rt.db.session() as s:
        s.get(ConnectorState, "edi_hub").cursor = None

    run(rt)
    assert stored_once(rt.db, sandbox) == held
    acked_once(sandbox)


def test_nothing_is_acknowledged_that_was_not_stored(rt, hub, monkeypatch):
    """The store fails (the database refuses the page's transaction): the hub is told nothing;
    the next poll stores and acknowledges each once."""
    sandbox = hub[0]
    answered(rt, sandbox)
    write = edi_feed.EdiFeed.write

    def refused(self, session, works, now):
        raise OperationalError("INSERT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(edi_feed.EdiFeed, "write", refused)
    with pytest.raises(OperationalError):
        run(rt)
    assert tally(rt.db)["documents"] == Counter()
    assert at_hub(sandbox) == {"acknowledged": [False] * 4, "acks": {}}

    monkeypatch.setattr(edi_feed.EdiFeed, "write", write)
    run(rt)
    stored_once(rt.db, sandbox)
    acked_once(sandbox)


def test_a_stored_interchange_the_hub_no_longer_holds_does_not_stop_the_others_acks(
    rt, hub, monkeypatch, caplog
):
    """Killed before the ack, and the hub has since dropped one of the documents: it answers
    404 for that one (and acknowledges none of the call); posync stops asking for it, says so
    in the log, and the others are acknowledged once."""
    sandbox = hub[0]
    answered(rt, sandbox)
    killed_before_the_ack(rt)
    first = sandbox.inbox()[0]["id"]
    with rt.db.session() as s:
        row = s.exec(select(EdiDocument).where(EdiDocument.hub_id == first)).one()
        row.hub_id = "IN-GONE"  # as if the hub had listed it under an id it no longer holds

    run(rt)
    run(rt)
    assert sandbox.acks() == {d["id"]: 1 for d in sandbox.inbox()[1:]}
    assert "holds no interchange IN-GONE" in caplog.text
    with rt.db.reader() as s:
        assert all(d.acked_at for d in s.exec(select(EdiDocument)) if d.direction == "in")


def test_the_database_holds_one_log_row_per_inbound_hub_id(rt, hub):
    """The unique index under the idempotent store: a second row of one hub id is refused
    (outbound rows, which carry the hub's receipt id, are not concerned)."""
    sandbox = hub[0]
    answered(rt, sandbox)
    run(rt)
    hub_id = sandbox.inbox()[0]["id"]
    with pytest.raises(IntegrityError), rt.db.session() as s:
        s.add(
            EdiDocument(
                direction="in",
                message_type="ORDRSP",
                sender="5412345000020",
                control_ref="X",
                hub_id=hub_id,
                status="failed",
                raw="",
            )
        )
