#!/usr/bin/env bash
# The ad exchange locally, as the demo's last step: 3 bidders (1,000 generated campaigns
# each) and the exchange on loopback, driven by the load generator at a constant rate for a
# few seconds; prints p50/p99 of whole auctions and the share answered inside tmax.
#   EXCHANGE_RATE=2000 DURATION_S=10 bidder/scripts/exchange-demo.sh
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release
OUT=${DEMO_OUT:-$ROOT/.build/exchange-demo}
EXCHANGE_RATE=${EXCHANGE_RATE:-1000}
DURATION_S=${DURATION_S:-5}
TMAX_MS=100
PORT_BASE=${PORT_BASE:-18800}
LOG_FILTER=${RUST_LOG:-warn}
LOG_TAG=exchange
PRIO=()
mkdir -p "$OUT"
source "$HERE/lib.sh"

log "building release binaries (bidder, exchange, loadgen)"
cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml" -p bidder -p exchange -p loadgen
"$BIN/loadgen" campaigns --count 1000 --seed 1 --out "$OUT/campaigns.json"

EX=$PORT_BASE
BIDDERS=()
for n in 1 2 3; do
    port=$((PORT_BASE + n))
    start "bidder-$n" "$BIN/bidder" --listen "127.0.0.1:$port" --campaigns "$OUT/campaigns.json" \
        --workers 1 --reservation-ttl-secs 10
    BIDDERS+=(--bidder "b$n=http://127.0.0.1:$port/openrtb2/bid")
done
start exchange "$BIN/exchange" --listen "127.0.0.1:$EX" --workers 1 "${BIDDERS[@]}"
for port in $EX $((PORT_BASE + 1)) $((PORT_BASE + 2)) $((PORT_BASE + 3)); do wait_port "$port"; done

log "exchange with 3 bidders: $EXCHANGE_RATE auctions/s for $DURATION_S s"
"$BIN/loadgen" run --url "http://127.0.0.1:$EX/openrtb2/auction" --rate "$EXCHANGE_RATE" \
    --duration-s "$DURATION_S" --deadline-ms "$TMAX_MS" >"$OUT/exchange.json"
report "$OUT/exchange.json" "exchange, 3 bidders, $EXCHANGE_RATE req/s:"
echo "  answered inside tmax ($TMAX_MS ms): $(json "$OUT/exchange.json" '"{:.2%}".format(r["within_deadline"] / max(r["sent"], 1))')"
