#!/usr/bin/env bash
# What ./scripts/run.sh does, on a dfx local replica with the real Kybra build: uses (or
# starts) a dfx replica, builds and deploys the ICRC ledger, the exchange-rate canister and
# the factory with `dfx deploy` (Kybra canisters, see dfx.json), builds the merchant Wasm and
# uploads it to the factory in 1 MiB chunks with the SDK (`ckpay module upload`), deploys a
# merchant canister through the factory (`ckpay merchant deploy`), and runs the paid demo
# checkout (`python -m ckpayment.demo`). Prints how to run the SDK tests against it.
#
# Usage: ./scripts/deploy-dfx.sh [--clean [--yes]] [--stop] [--setup-only]
#   --clean       start from an empty replica (`dfx start --clean`); a replica that is
#                 already running is wiped only after you confirm (or with --yes)
#   --yes         confirm --clean without asking (for scripts)
#   --stop        stop the replica at the end (default: leave it running)
#   --setup-only  check the tools, start (or reuse) the replica and export the identities,
#                 then stop before building anything
# Without --clean a running replica is reused as it is, and canisters that already exist are
# upgraded the way the factory upgrades merchants: stop (waits for calls in flight), deploy,
# start (docs/kybra.md "Upgrades with calls in flight").
#
# Needs: dfx 0.23.0, the version Kybra 0.7.1 is built and tested with (its CI and its book's
# installation page pin DFX_VERSION=0.23.0; other versions are refused); Python 3.10 for
# Kybra's build ($PYTHON310, else python3.10 on PATH, else a pyenv 3.10 under
# $PYENV_ROOT or ~/.pyenv; nothing is downloaded); Python 3.11+ for the SDK ($PYTHON, default
# python3) and internet access: the first Kybra build downloads Rust and takes several
# minutes; each Kybra canister build takes minutes too. The first real deploy: docs/deploy.md.
#
# Private keys never go into the project folder: the identities the SDK uses are exported
# to $CKPAY_KEY_DIR (default ~/.config/ckpayment/keys, mode 700), which must lie outside it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd -P)
DFX_SUPPORTED="0.23.0"

CLEAN=0 YES=0 STOP=0 SETUP_ONLY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --clean) CLEAN=1 ;;
    --yes) YES=1 ;;
    --stop) STOP=1 ;;
    --setup-only) SETUP_ONLY=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "Error: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { echo "Error: $*" >&2; exit 1; }

# -- 0. preflight: dfx version, Python 3.10, a key folder outside the project ----------------
command -v dfx >/dev/null || die "dfx is not installed (Kybra 0.7.1 needs dfx $DFX_SUPPORTED: DFX_VERSION=$DFX_SUPPORTED sh -ci \"\$(curl -fsSL https://sdk.dfinity.org/install.sh)\")"
DFX_VERSION=$(dfx --version 2>/dev/null | awk '{ print $2 }')
case " $DFX_SUPPORTED " in
  *" $DFX_VERSION "*) ;;
  *) die "dfx ${DFX_VERSION:-(unknown)} is not supported: Kybra 0.7.1 is built and tested with dfx $DFX_SUPPORTED (use dfxvm: dfxvm install $DFX_SUPPORTED && dfxvm default $DFX_SUPPORTED)" ;;
esac

is_py310() { [ -n "$1" ] && [ -x "$(command -v "$1" 2>/dev/null)" ] && \
  [ "$("$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" = "3.10" ]; }
find_py310() {
  if [ -n "${PYTHON310:-}" ]; then
    is_py310 "$PYTHON310" && { echo "$PYTHON310"; return; }
    die "\$PYTHON310=$PYTHON310 is not a Python 3.10 (Kybra 0.7.1 needs 3.10)"
  fi
  local cand
  for cand in python3.10 "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.10.*/bin/python; do
    if is_py310 "$cand"; then command -v "$cand"; return; fi
  done
  die "no Python 3.10 found (Kybra 0.7.1 needs 3.10: set PYTHON310, or install one, e.g. pyenv install 3.10.13)"
}
PY310=$(find_py310)
echo "dfx $DFX_VERSION, Python 3.10 at $PY310"

KEYS=${CKPAY_KEY_DIR:-${XDG_CONFIG_HOME:-$HOME/.config}/ckpayment/keys}
KEYS=$(realpath -m "$KEYS")   # checked before anything is created there
case "$KEYS/" in
  "$ROOT"/*) die "\$CKPAY_KEY_DIR=$KEYS is inside the project folder: private keys must stay outside it" ;;
esac
mkdir -p "$KEYS"
chmod 700 "$KEYS"

# -- 1. the replica: reuse a running one; wipe only with --clean and consent ----------------
if dfx ping >/dev/null 2>&1; then
  if [ "$CLEAN" = 1 ]; then
    if [ "$YES" != 1 ]; then
      [ -t 0 ] || die "a dfx replica is running: --clean would wipe it (every canister and cycle on it); add --yes to confirm"
      printf 'A dfx replica is running. Wipe it (every canister on it is lost)? [y/N] '
      read -r answer
      case "$answer" in y|Y|yes) ;; *) die "not wiping the running replica" ;; esac
    fi
    say "Wiping the running replica (--clean)"
    dfx stop
    dfx start --clean --background
  else
    say "Using the running dfx replica (its canisters are upgraded, not wiped)"
  fi
else
  if [ "$CLEAN" = 1 ]; then
    say "Starting a clean dfx replica (--clean)"
    dfx start --clean --background
  else
    say "Starting the dfx replica"
    dfx start --background
  fi
fi
PORT=$(dfx info webserver-port 2>/dev/null || echo 4943)
URL="http://127.0.0.1:$PORT"
trap 'if [ "$STOP" = 1 ]; then dfx stop; fi' EXIT

# -- 2. identities: the operator (dfx's current identity) and a demo customer ----------------
OPERATOR_NAME=$(dfx identity whoami)
OPERATOR=$(dfx identity get-principal)
if ! dfx identity list 2>/dev/null | grep -qx ckpay-demo-customer; then
  dfx identity new ckpay-demo-customer --storage-mode plaintext >/dev/null
fi
CUSTOMER=$(dfx identity get-principal --identity ckpay-demo-customer)
OLD_UMASK=$(umask)
umask 077
dfx identity export "$OPERATOR_NAME" >"$KEYS/operator.pem"
dfx identity export ckpay-demo-customer >"$KEYS/customer.pem"
umask "$OLD_UMASK"
chmod 600 "$KEYS"/operator.pem "$KEYS"/customer.pem
echo "operator ($OPERATOR_NAME) $OPERATOR, customer $CUSTOMER; keys in $KEYS"
if [ "$SETUP_ONLY" = 1 ]; then
  echo "Setup done (--setup-only): replica at $URL, nothing built or deployed."
  exit 0
fi

# -- 3. Kybra in its own Python 3.10 venv (dfx runs `python -m kybra` from PATH); the SDK in .venv
# (two venvs: Kybra 0.7.1 wants Python 3.10, the project's dependencies need 3.11+)
VENV=${CKPAY_DFX_VENV:-$HOME/.cache/ckpayment/venv-kybra}
if [ ! -x "$VENV/bin/python" ] || ! is_py310 "$VENV/bin/python"; then
  say "Creating $VENV (Kybra, Python 3.10)"
  rm -rf "$VENV"
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
WORK=$ROOT/.dfx/ckpay   # the built module and the merchant record (no keys: see $KEYS)
mkdir -p "$WORK"

# dfx deploy NAME [ARGS]: an existing canister is stopped first (stop_canister waits for
# its calls in flight), upgraded, and started again even if the upgrade failed.
deploy() {
  local name=$1; shift
  if dfx canister status "$name" 2>/dev/null | grep -q 'Module hash: 0x'; then
    say "Upgrading $name: stop, deploy, start"
    if ! dfx canister stop "$name"; then   # e.g. a call in flight for 5 minutes (IC0206)
      dfx canister start "$name"
      die "stopping $name failed; it was started again: retry later"
    fi
    if ! dfx deploy "$name" "$@"; then
      dfx canister start "$name"
      die "upgrading $name failed; it runs its previous module again"
    fi
    dfx canister start "$name"
  else
    dfx deploy "$name" "$@"
  fi
}

# -- 4. ledger, XRC, factory -----------------------------------------------------------------
SYMBOL=LTT
say "Deploying the ICRC ledger (Kybra build)"
deploy icrc_ledger --argument "(record {
  name = \"Local Test Token\"; symbol = \"$SYMBOL\"; decimals = opt (8 : nat8); fee = 10_000 : nat;
  minting_account = record { owner = principal \"aaaaa-aa\"; subaccount = null };
  initial_balances = vec { record { record { owner = principal \"$CUSTOMER\"; subaccount = null }; 10_000_000_000 : nat } };
  metadata = null })"
LEDGER=$(dfx canister id icrc_ledger)

say "Deploying the exchange-rate canister"
deploy exchange_rate --argument "(opt vec { principal \"$OPERATOR\" })"
XRC=$(dfx canister id exchange_rate)

say "Deploying the factory"
deploy payment_backend --argument "(record {
  admins = vec { principal \"$OPERATOR\" };
  settings = opt record { base_domain = \"checkout.localhost\"; deploy_cycles = 2_000_000_000_000 : nat64;
    min_factory_cycles = 2_000_000_000_000 : nat64; max_canisters_per_owner = 5 : nat32;
    topup_threshold = 500_000_000_000 : nat64; topup_amount = 500_000_000_000 : nat64;
    monitor_interval_seconds = 3600 : nat64; xrc_canister = opt principal \"$XRC\";
    xrc_cycles = 1_000_000_000 : nat64; rate_refresh_seconds = 600 : nat64;
    daily_cross_merchant_limit = 1_000_000 : nat64 } })"
FACTORY=$(dfx canister id payment_backend)
dfx ledger fabricate-cycles --canister payment_backend --t 100   # local replica only

# -- 5. merchant Wasm -> factory (chunks) -> merchant canister -------------------------------
say "Building the merchant canister Wasm"
dfx build --check user_payment_canister
WASM=$ROOT/.dfx/local/canisters/user_payment_canister/user_payment_canister.wasm.gz
if [ ! -f "$WASM" ]; then
  gzip -9 -n -c .kybra/user_payment_canister/user_payment_canister.wasm >"$WORK/user_payment_canister.wasm.gz"
  WASM=$WORK/user_payment_canister.wasm.gz
fi
CK=("$CKPAY" --network "$URL" --factory "$FACTORY")
VERSION="v1-$(sha256sum "$WASM" | cut -c1-12)"   # a rerun on a reused replica finds it stored
if "${CK[@]}" --identity "$KEYS/operator.pem" module list --limit 100 | grep -q "\"$VERSION\""; then
  say "The factory already stores $VERSION"
else
  say "Uploading $(wc -c <"$WASM") bytes to the factory in 1 MiB chunks as $VERSION"
  "${CK[@]}" --identity "$KEYS/operator.pem" module upload "$WASM" --version "$VERSION" --default \
    --notes "deploy-dfx.sh" >/dev/null
fi
say "Deploying a merchant canister through the factory"
"${CK[@]}" --identity "$KEYS/operator.pem" merchant deploy --name "Demo Shop" \
  --token "$SYMBOL:$LEDGER" --website https://shop.example.com >"$WORK/merchant.json"
MERCHANT=$("$SDKPY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["canister_id"])' "$WORK/merchant.json")

# -- 6. the paid checkout --------------------------------------------------------------------
say "Paying checkout sessions through the ledger"
# dfx's HTTPS-outcall adapter may refuse plain-http 127.0.0.1 receivers: deliveries are
# reported, not required, here (localnet's run.sh requires them).
"$SDKPY" -m ckpayment.demo --network "$URL" --merchant "$MERCHANT" --ledger "$LEDGER" \
  --merchant-identity "$KEYS/operator.pem" --customer-identity "$KEYS/customer.pem" \
  --token "$SYMBOL" --webhooks-optional

cat <<EOF2

Canisters on $URL: icrc_ledger $LEDGER, exchange_rate $XRC, payment_backend $FACTORY,
merchant $MERCHANT (recorded as \`merchant\` in .dfx/local/canister_ids.json).

  dfx canister call $MERCHANT get_accepted_tokens
  .venv/bin/ckpay --network $URL --identity $KEYS/operator.pem payments list --limit 5

The integration suite against this replica (fresh canisters from the .kybra/ Wasm files;
tests that need localnet itself are skipped, docs/localnet.md "Running the suite against a replica"):
  CKPAY_TEST_URL=$URL .venv/bin/python -m pytest -q --target dfx tests/ledger tests/merchant tests/factory

The SDK tests against the canisters deployed above:
  CKPAY_TEST_TARGET=dfx CKPAY_TEST_URL=$URL CKPAY_TEST_ADMIN_PEM=$KEYS/operator.pem \\
  CKPAY_TEST_CUSTOMER_PEM=$KEYS/customer.pem CKPAY_TEST_MODULE=$WASM \\
  .venv/bin/python -m pytest -q tests/sdk
EOF2
