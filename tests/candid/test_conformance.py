"""Every assertion of the official Candid conformance suite, one pytest case each."""

import pytest
from conformance_suite import check, load_all

ASSERTIONS = load_all()


def test_suite_is_complete():
    # the six files hold this many assertions; a parser that silently drops lines fails here
    files = {a.file for a in ASSERTIONS}
    assert files == {
        "construct.test.did",
        "overshoot.test.did",
        "prim.test.did",
        "reference.test.did",
        "spacebomb.test.did",
        "subtypes.test.did",
    }
    assert len(ASSERTIONS) > 400


@pytest.mark.timeout(60)
@pytest.mark.parametrize("assertion", ASSERTIONS, ids=[a.id for a in ASSERTIONS])
def test_assertion(assertion):
    check(assertion)
