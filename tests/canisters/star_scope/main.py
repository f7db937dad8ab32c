"""`__all__` names something the module does not define: Kybra's `from main import *` fails."""
from kybra import nat, query

__all__ = ["ping", "pong"]


@query
def ping() -> nat:
    return 1
