# Must be refused: ns_helpers/ has no __init__.py. Kybra's bundler takes it as a namespace
# package, py_freeze freezes `ns_helpers.tools` but no `ns_helpers`, and `from main import *`
# fails at install in the canister (issue 15.1). See tests/kybra_source/test_kybra_bundle.py.
from kybra import query

from ns_helpers.tools import greeting


@query
def hello() -> str:
    return greeting()
