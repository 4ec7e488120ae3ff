"""Numbers from query strings and forms, held to what the database can store."""

MAX_ID = 2**31 - 1


def small_int(raw: str) -> int:
    """A whole number from 0 to 2**31 - 1; anything else raises ValueError (werkzeug: default)."""
    value = int(raw)
    if not 0 <= value <= MAX_ID:
        raise ValueError(raw)
    return value
