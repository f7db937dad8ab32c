#!/usr/bin/env bash
# What ./scripts/run.sh does, on a dfx local replica with the real Kybra build: starts a
# clean replica, builds and deploys the ICRC ledger, the exchange-rate canister and the
# factory with `dfx deploy` (Kybra canisters, see dfx.json), builds the merchant Wasm and
# uploads it to the factory in 1 MiB chunks with the SDK (`ckpay module upload`), deploys a
# merchant canister through the factory (`ckpay merchant deploy`), and runs the paid demo
# checkout (`python -m ckpayment.demo`). Prints how to run the SDK tests against it.
#
# Usage: ./scripts/deploy-dfx.sh [--stop]
#   --stop   stop the replica at the end (default: leave it running)
# Needs: dfx (https://internetcomputer.org/docs/building-apps/getting-started/install),
# Python 3.10 for Kybra ($PYTHON310, default python3.10), Python 3.11+ for the SDK ($PYTHON,
# default python3) and internet access: the first Kybra build downloads Rust and takes
# several minutes; each Kybra canister build takes minutes too.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

STOP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --stop) STOP=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "Error: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
command -v dfx >/dev/null || { echo "Error: dfx is not installed (see --help)" >&2; exit 1; }
PY310=${PYTHON310:-python3.10}
command -v "$PY310" >/dev/null || { echo "Error: $PY310 not found (Kybra 0.7.1 needs Python 3.10; set PYTHON310)" >&2; exit 1; }

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

# -- 1. Kybra in a Python 3.10 venv (dfx runs `python -m kybra` from PATH); the SDK in .venv --
# (two venvs: Kybra 0.7.1 wants Python 3.10, the project's dependencies need 3.11+)
VENV=${CKPAY_DFX_VENV:-$HOME/.cache/ckpayment/venv-kybra}
if [ ! -x "$VENV/bin/python" ]; then
  say "Creating $VENV (Kybra)"
  "$PY310" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q "kybra==0.7.1"
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  say "Creating .venv (ckPayment SDK)"
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q -e '.[test]'
SDKPY=$ROOT/.venv/bin/python
CKPAY=$ROOT/.venv/bin/ckpay
export PATH="$VENV/bin:$PATH"
python -m kybra install-dfx-extension

# -- 2. a clean local replica ----------------------------------------------------------------
say "Starting a clean dfx replica"
dfx stop >/dev/null 2>&1 || true
dfx start --clean --background
PORT=$(dfx info webserver-port 2>/dev/null || echo 4943)
URL="http://127.0.0.1:$PORT"
trap 'if [ "$STOP" = 1 ]; then dfx stop; fi' EXIT

WORK=$ROOT/.dfx/ckpay   # PEM exports and the built module (.dfx is not committed)
mkdir -p "$WORK"
chmod 700 "$WORK"
OPERATOR_NAME=$(dfx identity whoami)
OPERATOR=$(dfx identity get-principal)
dfx identity export "$OPERATOR_NAME" >"$WORK/operator.pem"
if ! dfx identity list 2>/dev/null | grep -qx ckpay-demo-customer; then
  dfx identity new ckpay-demo-customer --storage-mode plaintext >/dev/null
fi
CUSTOMER=$(dfx identity get-principal --identity ckpay-demo-customer)
dfx identity export ckpay-demo-customer >"$WORK/customer.pem"
chmod 600 "$WORK"/*.pem
echo "operator ($OPERATOR_NAME) $OPERATOR, customer $CUSTOMER"

# -- 3. ledger, XRC, factory -----------------------------------------------------------------
SYMBOL=LTT
say "Deploying the ICRC ledger (Kybra build)"
dfx deploy icrc_ledger --argument "(record {
  name = \"Local Test Token\"; symbol = \"$SYMBOL\"; decimals = opt (8 : nat8); fee = 10_000 : nat;
  minting_account = record { owner = principal \"aaaaa-aa\"; subaccount = null };
  initial_balances = vec { record { record { owner = principal \"$CUSTOMER\"; subaccount = null }; 10_000_000_000 : nat } };
  metadata = null })"
LEDGER=$(dfx canister id icrc_ledger)

say "Deploying the exchange-rate canister"
dfx deploy exchange_rate --argument "(opt vec { principal \"$OPERATOR\" })"
XRC=$(dfx canister id exchange_rate)

say "Deploying the factory"
dfx deploy payment_backend --argument "(record {
  admins = vec { principal \"$OPERATOR\" };
  settings = opt record { base_domain = \"checkout.localhost\"; deploy_cycles = 1_000_000_000_000 : nat64;
    min_factory_cycles = 2_000_000_000_000 : nat64; max_canisters_per_owner = 5 : nat32;
    topup_threshold = 500_000_000_000 : nat64; topup_amount = 500_000_000_000 : nat64;
    monitor_interval_seconds = 3600 : nat64; xrc_canister = opt principal \"$XRC\";
    xrc_cycles = 1_000_000_000 : nat64; rate_refresh_seconds = 600 : nat64;
    daily_cross_merchant_limit = 1_000_000 : nat64 } })"
FACTORY=$(dfx canister id payment_backend)
dfx ledger fabricate-cycles --canister payment_backend --t 100   # local replica only

# -- 4. merchant Wasm -> factory (chunks) -> merchant canister -------------------------------
say "Building the merchant canister Wasm"
dfx build --check user_payment_canister
WASM=$ROOT/.dfx/local/canisters/user_payment_canister/user_payment_canister.wasm.gz
if [ ! -f "$WASM" ]; then
  gzip -9 -n -c .kybra/user_payment_canister/user_payment_canister.wasm >"$WORK/user_payment_canister.wasm.gz"
  WASM=$WORK/user_payment_canister.wasm.gz
fi
CK=("$CKPAY" --network "$URL" --factory "$FACTORY")
say "Uploading $(wc -c <"$WASM") bytes to the factory in 1 MiB chunks"
"${CK[@]}" --identity "$WORK/operator.pem" module upload "$WASM" --version v1 --default \
  --notes "deploy-dfx.sh" >/dev/null
say "Deploying a merchant canister through the factory"
"${CK[@]}" --identity "$WORK/operator.pem" merchant deploy --name "Demo Shop" \
  --token "$SYMBOL:$LEDGER" --website https://shop.example.com >"$WORK/merchant.json"
MERCHANT=$("$SDKPY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["canister_id"])' "$WORK/merchant.json")

# -- 5. the paid checkout --------------------------------------------------------------------
say "Paying checkout sessions through the ledger"
# dfx's HTTPS-outcall adapter may refuse plain-http 127.0.0.1 receivers: deliveries are
# reported, not required, here (localnet's run.sh requires them).
"$SDKPY" -m ckpayment.demo --network "$URL" --merchant "$MERCHANT" --ledger "$LEDGER" \
  --merchant-identity "$WORK/operator.pem" --customer-identity "$WORK/customer.pem" \
  --token "$SYMBOL" --webhooks-optional

cat <<EOF2

Canisters on $URL: icrc_ledger $LEDGER, exchange_rate $XRC, payment_backend $FACTORY,
merchant $MERCHANT (recorded as \`merchant\` in .dfx/local/canister_ids.json).

  dfx canister call $MERCHANT get_accepted_tokens
  .venv/bin/ckpay --network $URL --identity $WORK/operator.pem payments list --limit 5

The integration suite against this replica (fresh canisters from the .kybra/ Wasm files;
tests that need localnet itself are skipped, docs/localnet.md "Running the suite against a replica"):
  CKPAY_TEST_URL=$URL .venv/bin/python -m pytest -q --target dfx tests/ledger tests/merchant tests/factory

The SDK tests against the canisters deployed above:
  CKPAY_TEST_TARGET=dfx CKPAY_TEST_URL=$URL CKPAY_TEST_ADMIN_PEM=$WORK/operator.pem \\
  CKPAY_TEST_CUSTOMER_PEM=$WORK/customer.pem CKPAY_TEST_MODULE=$WASM \\
  .venv/bin/python -m pytest -q tests/sdk
EOF2
