"""The one exception type of the Candid codec, so callers catch a single class."""


class CandidError(Exception):
    """Invalid Candid: malformed bytes or text, a value that does not fit its type, or a
    type that the decoder cannot coerce to the expected one."""
