"""Per-method cost benchmark of the ckPayment canisters on localnet (issue 9).

`world` deploys the canisters in-process, `fill` grows their data through real calls with
metering off, `plans` says how each public method is called, `meter` measures one call
with metering on, `memory` accounts stable-memory bytes, `report` flags and prints, and
`runner` ties the stages together. Entry point: benchmarks/canister_costs.py.
"""
