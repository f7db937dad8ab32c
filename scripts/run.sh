#!/usr/bin/env bash
# ckPayment in one command: installs what is needed (.venv), starts localnet in the
# background, deploys the ICRC ledger, the exchange-rate canister and the factory, uploads
# the merchant module to the factory in chunks, deploys a merchant canister through the
# factory (with the default modal templates), builds and deploys the front ends (checkout
# page + ckpay.js, modal builder, dashboard; needs node/npm, skipped without), then runs the
# paid demo checkout (ckpayment.demo): a local webhook receiver, a checkout session paid by
# ICRC-2 and one by an ICRC-1 transfer, and the signed webhooks verified. Prints what
# happened, the front ends' URLs (an open session's hosted page, the dashboard signed in as
# the demo merchant) and how to call the canisters next.
#
# Usage: ./scripts/run.sh [--keep] [--port N]
#   --keep    leave localnet running afterwards (default: stop it)
#   --port N  port for localnet (default 0: a free port)
# Canister ids are in .dfx/local/canister_ids.json while this localnet runs (as `dfx deploy`
# writes them); a dfx project's own file waits in .dfx/local/canister_ids.json.saved and is
# put back when this localnet stops (`localnet stop`, or the next `localnet start|stop|status`
# here if it was killed).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

KEEP=0
PORT=0
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) KEEP=1 ;;
    --port) [ $# -ge 2 ] || { echo "Error: --port needs a number" >&2; exit 2; }
            PORT=$2; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "Error: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
case "$PORT" in ''|*[!0-9]*) echo "Error: --port must be a number" >&2; exit 2 ;; esac
if [ "${#PORT}" -gt 5 ] || [ "$PORT" -gt 65535 ]; then
  echo "Error: --port $PORT is not a port (0-65535; 0 picks a free one)" >&2; exit 2
fi

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

# -- 1. install ------------------------------------------------------------------------------
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  say "Creating .venv"
  "$PY" -m venv .venv
fi
if ! .venv/bin/python -c 'import ckpayment.cli, localnet.cli, kybra, ic' 2>/dev/null \
   || [ ! -x .venv/bin/ckpay ] || [ ! -x .venv/bin/localnet ]; then
  say "Installing ckPayment and its dependencies into .venv"
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
  .venv/bin/python -m pip install -q -e .
fi
VPY=$ROOT/.venv/bin/python
LN=$ROOT/.venv/bin/localnet
CK=$ROOT/.venv/bin/ckpay

# -- 2. localnet -----------------------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ckpay-demo.XXXXXX")
export LOCALNET_HOME="$WORK/identities"  # demo identities, not your own
IDS=.dfx/local/canister_ids.json
LN_PID=""
ASIDE=0
ids() { "$VPY" -c 'import sys; from localnet.http import id_backup as b; r = getattr(b, sys.argv[1])(*sys.argv[2:3], *map(int, sys.argv[3:])); print(r or "")' "$@"; }
cleanup() {
  status=$?
  if [ "$KEEP" = 0 ] || [ "$status" != 0 ]; then
    if [ -n "$LN_PID" ]; then
      kill "$LN_PID" 2>/dev/null || true
      wait "$LN_PID" 2>/dev/null || true
    fi
    # the project's own ids come back (localnet does it at exit too; this is idempotent)
    if [ "$ASIDE" = 1 ]; then ids restore "$ROOT" >/dev/null || true; fi
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

say "Starting localnet (log: $WORK/localnet.log)"
"$LN" start --port "$PORT" --port-file "$WORK/port" >"$WORK/localnet.log" 2>&1 &
LN_PID=$!
for _ in $(seq 1 600); do
  [ -s "$WORK/port" ] && break
  kill -0 "$LN_PID" 2>/dev/null || { cat "$WORK/localnet.log" >&2; LN_PID=""; echo "Error: localnet did not start" >&2; exit 1; }
  sleep 0.1
done
[ -s "$WORK/port" ] || { echo "Error: localnet did not report its port within 60 s" >&2; exit 1; }
URL="http://127.0.0.1:$(head -n1 "$WORK/port")"
export LOCALNET_URL="$URL" CKPAY_NETWORK="$URL"
echo "localnet: $URL (pid $LN_PID)"
# a dfx project's own ids wait aside while this localnet's are in $IDS
SAVED=$(ids put_aside "$ROOT" "$LN_PID")
ASIDE=1
[ -z "$SAVED" ] || echo "your $IDS is kept in $SAVED until this localnet stops"

"$LN" identity new operator >/dev/null
"$LN" identity new merchant >/dev/null
"$LN" identity new customer --type secp256k1 >/dev/null
OPERATOR=$("$LN" identity whoami --identity operator)
MERCHANT_OWNER=$("$LN" identity whoami --identity merchant)
CUSTOMER=$("$LN" identity whoami --identity customer)
echo "operator $OPERATOR, merchant owner $MERCHANT_OWNER, customer $CUSTOMER"

id_of() { "$VPY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]]["local"])' \
  "$ROOT/.dfx/local/canister_ids.json" "$1"; }

# -- 3. ledger, XRC, factory -----------------------------------------------------------------
SYMBOL=LTT
say "Deploying the ICRC-1/2/3 ledger (100 $SYMBOL for the customer)"
"$LN" deploy icrc_ledger --identity operator --argument "(record {
  name = \"Local Test Token\"; symbol = \"$SYMBOL\"; decimals = opt (8 : nat8); fee = 10_000 : nat;
  minting_account = record { owner = principal \"aaaaa-aa\"; subaccount = null };
  initial_balances = vec { record { record { owner = principal \"$CUSTOMER\"; subaccount = null }; 10_000_000_000 : nat } };
  metadata = null })"
LEDGER=$(id_of icrc_ledger)

say "Deploying the exchange-rate canister (XRC stand-in)"
"$LN" deploy exchange_rate --identity operator --argument "(opt vec { principal \"$OPERATOR\" })"
XRC=$(id_of exchange_rate)

say "Deploying the factory (admin: operator)"
"$LN" deploy payment_backend --identity operator --argument "(record {
  admins = vec { principal \"$OPERATOR\" };
  settings = opt record { base_domain = \"checkout.localhost\"; deploy_cycles = 2_000_000_000_000 : nat64;
    min_factory_cycles = 2_000_000_000_000 : nat64; max_canisters_per_owner = 5 : nat32;
    topup_threshold = 500_000_000_000 : nat64; topup_amount = 500_000_000_000 : nat64;
    monitor_interval_seconds = 3600 : nat64; xrc_canister = opt principal \"$XRC\";
    xrc_cycles = 1_000_000_000 : nat64; rate_refresh_seconds = 600 : nat64;
    daily_cross_merchant_limit = 1_000_000 : nat64 } })"
FACTORY=$(id_of payment_backend)

say "Publishing the default modal templates (factory admin API)"
"$CK" --identity operator --factory "$FACTORY" templates seed --output text

say "Pricing $SYMBOL in USD (the local XRC quotes ICP at \$10; the factory tracks $SYMBOL as ICP)"
NOW=$(date +%s)
"$LN" call exchange_rate set_rates --identity operator "(vec { record {
  base_asset = record { symbol = \"ICP\"; class = variant { Cryptocurrency } };
  quote_asset = record { symbol = \"USD\"; class = variant { FiatCurrency } };
  rate = 10_000_000_000 : nat64; timestamp = $((NOW - NOW % 60)) : nat64 } })" >/dev/null
"$LN" call payment_backend add_market_token --identity operator \
  "(\"$SYMBOL\", principal \"$LEDGER\", \"ICP\")" >/dev/null
"$LN" call payment_backend update_global_token_rates --identity operator

# -- 4. merchant module -> factory -> merchant canister --------------------------------------
say "Building the merchant module and uploading it to the factory in chunks"
"$LN" build src/user_payment_canister/main.py -o "$WORK/user_payment_canister.wasm"
"$CK" --identity operator --factory "$FACTORY" module upload \
  "$WORK/user_payment_canister.wasm" --version v1 --default \
  --notes "run.sh demo" >"$WORK/module.json"
echo "stored version v1 ($(wc -c <"$WORK/user_payment_canister.wasm") bytes)"

say "Deploying a merchant canister through the factory (owner: merchant)"
# a deployment is paid for: the operator grants the merchant one deployment credit
"$CK" --identity operator --factory "$FACTORY" merchant grant-credits \
  --owner "$MERCHANT_OWNER" --count 1 >/dev/null
"$CK" --identity merchant --factory "$FACTORY" merchant deploy --name "Demo Shop" \
  --token "$SYMBOL:$LEDGER" --website https://shop.example.com >"$WORK/merchant.json"
MERCHANT=$(id_of merchant)
echo "merchant canister: $MERCHANT"

# -- 4b. front ends: hosted checkout (+ ckpay.js), modal builder, dashboard ------------------
WEB=0
if command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1; then
  say "Building and deploying the checkout, builder and dashboard asset canisters (npm)"
  "$LN" deploy checkout builder dashboard --identity operator >"$WORK/web-deploy.log" 2>&1 \
    || { tail -n 40 "$WORK/web-deploy.log" >&2; echo "Error: deploying the front ends failed" >&2; exit 1; }
  grep '^Deployed ' "$WORK/web-deploy.log" || true
  "$VPY" web/scripts/register_ckpay.py --network "$URL" --identity operator | tail -n 1
  CHECKOUT=$(id_of checkout); BUILDER=$(id_of builder); DASHBOARD=$(id_of dashboard)
  WEB=1
else
  echo "node/npm not found: skipping the front ends (install Node.js 20+ to get them)"
fi
PORTNUM=${URL##*:}
asset_url() { echo "http://$1.localhost:$PORTNUM$2"; }
if [ "$WEB" = 1 ]; then
  # new sessions' `url` is their hosted page on this localnet's checkout canister
  "$LN" call merchant set_hosted_page_base_url --identity merchant \
    "(\"$(asset_url "$CHECKOUT" "")\")" >/dev/null
fi

# -- 5. the paid checkout --------------------------------------------------------------------
say "Paying checkout sessions through the local ledger"
"$VPY" -m ckpayment.demo --network "$URL" --merchant "$MERCHANT" --ledger "$LEDGER" \
  --merchant-identity "$LOCALNET_HOME/identity/merchant/identity.pem" \
  --customer-identity "$LOCALNET_HOME/identity/customer/identity.pem" --token "$SYMBOL"

# the demo's webhook points at its receiver, gone now: print how to remove it
HOOK=$("$CK" --identity merchant --merchant "$MERCHANT" webhooks list | "$VPY" -c \
  'import json, sys; hooks = json.load(sys.stdin); print(hooks[0]["webhook_id"] if hooks else "")')

# -- 5b. an open session to pay on the hosted page; the dashboard signed in ------------------
if [ "$WEB" = 1 ]; then
  OPEN_URL=$("$CK" --identity merchant --merchant "$MERCHANT" sessions create --amount 2500000 \
    --token "$SYMBOL" --success-url https://shop.example.com/ok --cancel-url https://shop.example.com/cancel \
    | "$VPY" -c 'import json, sys; print(json.load(sys.stdin)["url"])')
  # dev only: the demo merchant's key rides in the URL fragment, which the browser never
  # sends to a server; the dashboard takes it only on a local host, then drops it from the URL
  DEV_KEY=$("$VPY" -c 'import base64, sys; print(base64.urlsafe_b64encode(open(sys.argv[1], "rb").read()).decode())' \
    "$LOCALNET_HOME/identity/merchant/identity.pem")
  cat <<EOF3

Front ends on $URL (asset canisters; run.sh --keep leaves them up):
  checkout         $CHECKOUT   $(asset_url "$CHECKOUT" /)
  builder          $BUILDER   $(asset_url "$BUILDER" "/?merchant=$MERCHANT&factory=$FACTORY")
  dashboard        $DASHBOARD   $(asset_url "$DASHBOARD" "/?merchant=$MERCHANT")
Open in a browser (with --keep):
  pay an open session (0.025 $SYMBOL):  $OPEN_URL
  signed in as the demo merchant (dev only: these links hold the merchant's key, in the # fragment):
    dashboard  $(asset_url "$DASHBOARD" "/?merchant=$MERCHANT")#dev-identity=$DEV_KEY
    builder    $(asset_url "$BUILDER" "/?merchant=$MERCHANT&factory=$FACTORY")#dev-identity=$DEV_KEY
EOF3
fi

# -- 6. what next ----------------------------------------------------------------------------
cat <<EOF2

Canisters on $URL (ids in .dfx/local/canister_ids.json while this localnet runs):
  icrc_ledger      $LEDGER
  exchange_rate    $XRC
  payment_backend  $FACTORY   (factory)
  merchant         $MERCHANT   (deployed by the factory)
Identities (PEM): $LOCALNET_HOME/identity/{operator,merchant,customer}/identity.pem

Next, with localnet still running (./scripts/run.sh --keep):
  export LOCALNET_URL=$URL LOCALNET_HOME=$LOCALNET_HOME
  .venv/bin/localnet call icrc_ledger icrc1_balance_of '(record { owner = principal "$MERCHANT"; subaccount = null })'
  .venv/bin/localnet call merchant list_payments --identity merchant '(null, opt 5)'
  .venv/bin/ckpay --identity merchant sessions create --amount 2500000 --token $SYMBOL \\
      --success-url https://shop.example.com/ok --cancel-url https://shop.example.com/cancel
  .venv/bin/ckpay --identity merchant payments list --limit 5
  .venv/bin/ckpay --identity merchant webhooks delete $HOOK   # the demo receiver has stopped
  .venv/bin/ckpay --identity merchant listen --forward-to http://127.0.0.1:8000/webhooks
  .venv/bin/ckpay --identity merchant trigger checkout.session.completed --customer customer
  .venv/bin/localnet status
  .venv/bin/localnet stop
EOF2

if [ "$KEEP" = 1 ]; then
  echo
  echo "localnet keeps running (pid $LN_PID): stop it with"
  echo "  LOCALNET_HOME=$LOCALNET_HOME .venv/bin/localnet stop --network $URL"
  if [ -n "$SAVED" ]; then
    echo "your previous $IDS is kept in $SAVED and put back when it stops"
  fi
  trap - EXIT
  disown "$LN_PID" 2>/dev/null || true
else
  echo
  echo "Stopping localnet (use --keep to leave it running)."
fi
