"""Per-method cost benchmark of the ckPayment canisters on localnet (issue 9).

`world` deploys the canisters in-process, `fill` grows their data through real calls with
metering off, `plans` says how each public method is called, `meter` measures one call
with metering on, `memory` accounts stable-memory bytes, `report` flags and prints, and
`runner` ties the stages together. Entry point: benchmarks/canister_costs.py.

What a payment costs (issue 20, `--costs`): `operations` runs every money path once,
`usage` records what each paying canister used, `cycles` prices it with the IC's fee
table, `cost_report` makes the table, throughput, factory ceiling and Stripe comparison.
"""
