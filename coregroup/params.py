"""Numbers from query strings and forms, held to what the database can store."""

MAX_ID = 2**31 - 1


def small_int(raw: str) -> int:
    """A whole number from 0 to 2**31 - 1; anything else raises ValueError (werkzeug: default)."""
    value = int(raw)
    if not 0 <= value <= MAX_ID:
        raise ValueError(raw)
    return value


def page_number(raw: str) -> int:
    """A page number from a query string: 1, 2, ... written in ASCII digits without a sign,
    leading zero or separator; anything else raises ValueError. A number past the last page is
    the caller's to bring back to it."""
    if not (raw.isascii() and raw.isdigit() and raw[0] != "0" and len(raw) <= 12):
        raise ValueError(raw)
    return int(raw)
