"""The one error type of the HTTP layer: an HTTP status plus a replica-like message."""


class HttpError(Exception):
    """A request the IC would refuse before it reaches a canister (HTTP 4xx/5xx)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message
