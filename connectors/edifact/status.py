"""Accept statuses from an order response's codes, as docs NOTES map them.

BGM 1225 (message function) gives the order's status, LIN 1229 (action request) a line's.
None means "no status": the order was not processed yet (12), or the line has no action (4).
"""

from __future__ import annotations

from enum import StrEnum


class AcceptStatus(StrEnum):
    ACCEPTED = "Accepted"
    CHANGED = "Changed and Accepted"
    REJECTED = "Rejected"  # one hub means "on hold": never delete a PO line on it
    DELETED = "Deleted"
    ADDED = "Added"


HEADER_CODES: dict[str, AcceptStatus | None] = {
    "29": AcceptStatus.ACCEPTED,  # accepted without amendment
    "4": AcceptStatus.CHANGED,  # change
    "28": AcceptStatus.CHANGED,  # accepted with amendment in the heading section
    "30": AcceptStatus.CHANGED,  # accepted with amendment in the detail section
    "34": AcceptStatus.CHANGED,  # accepted with amendment
    "27": AcceptStatus.REJECTED,  # not accepted
    "12": None,  # not processed (received, still to be processed)
    # The whole order cancelled or deleted; hubs' use of these is unverified, so both count
    # as Deleted and the caller logs that it saw one.
    "1": AcceptStatus.DELETED,
    "3": AcceptStatus.DELETED,
}

LINE_CODES: dict[str, AcceptStatus | None] = {
    "5": AcceptStatus.ACCEPTED,  # accepted without amendment
    "3": AcceptStatus.CHANGED,  # changed
    "6": AcceptStatus.CHANGED,  # accepted with amendment
    "24": AcceptStatus.CHANGED,
    "7": AcceptStatus.REJECTED,  # not accepted
    "2": AcceptStatus.DELETED,
    "1": AcceptStatus.ADDED,
    "4": None,  # no action
}

# The codes written for a status (the sandbox's supplier answers with these).
HEADER_CODE = {
    AcceptStatus.ACCEPTED: "29",
    AcceptStatus.CHANGED: "4",
    AcceptStatus.REJECTED: "27",
    AcceptStatus.DELETED: "3",
}
LINE_CODE = {
    AcceptStatus.ACCEPTED: "5",
    AcceptStatus.CHANGED: "3",
    AcceptStatus.REJECTED: "7",
    AcceptStatus.DELETED: "2",
    AcceptStatus.ADDED: "1",
}


class UnknownCode(ValueError):
    pass


def header_status(code: str) -> AcceptStatus | None:
    """The order's accept status for BGM 1225 ``code``; UnknownCode if it has none."""
    try:
        return HEADER_CODES[code]
    except KeyError:
        raise UnknownCode(
            f"BGM message function {code!r} is not an order response code "
            f"({', '.join(HEADER_CODES)})"
        ) from None


def line_status(code: str) -> AcceptStatus | None:
    """A line's accept status for LIN 1229 ``code``; UnknownCode if it has none."""
    try:
        return LINE_CODES[code]
    except KeyError:
        raise UnknownCode(
            f"LIN action {code!r} is not a line response code ({', '.join(LINE_CODES)})"
        ) from None
