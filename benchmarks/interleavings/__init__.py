"""Seeded interleavings of the merchant canister's money paths with traps at every call
boundary (issue 17 #8). `harness.run_seed(world, seed)` builds one seed's workload over the
benchmark world (benchmarks/costs/world.py: a real ICRC ledger, the factory and a merchant
canister it deployed), submits it concurrently, runs it with `Network.run_interleaved(seed)`
under traps the seed picks (localnet/runtime/faults.py), lets recovery run, and checks the
invariants of `checks.py` through public interfaces only (Candid calls, the ledger's
ICRC-3 blocks). `python -m benchmarks.interleavings` is the benchmark mode; the CI mode is
tests/merchant/test_interleavings.py. See docs/benchmarks.md "Interleavings"."""
