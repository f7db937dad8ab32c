"""Kybra's init runs `from <entry> import *` and looks methods and guards up in that scope
(kybra_generate init_method/rust.rs `generate_code_init`, body/call_global_python_function.rs);
localnet does the same, so Python's star-import semantics (`__all__`) decide what a canister
exports."""

import pytest
from helpers import ALICE, deploy

from localnet.runtime import CallRejected


def test_all_naming_a_missing_name_makes_the_install_trap(network):
    with pytest.raises(Exception) as e:
        deploy(network, "star_scope")
    assert "has no attribute 'pong'" in str(e.value)


def test_methods_are_looked_up_in_the_star_import_scope(network):
    cid = deploy(network, "counter", f'(principal "{ALICE.to_str()}")')
    ns = network.canisters[cid.bytes].namespace
    assert "get" in ns.scope and not any(n.startswith("_") for n in ns.scope)
    assert network.call(ALICE, cid, "get", "x") == 0
    del ns.scope["get"]  # still a module attribute, but not in Kybra's scope any more
    with pytest.raises(CallRejected) as e:
        network.call(ALICE, cid, "get", "x")
    assert "KeyError: 'get'" in e.value.message
