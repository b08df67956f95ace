# Shared by bench.sh and exchange-demo.sh: start services in the background (killed on exit),
# wait for their ports, read loadgen's JSON reports. Expects OUT, LOG_FILTER and PRIO set.
# shellcheck shell=bash

PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

log() { printf '[%s %s] %s\n' "${LOG_TAG:-bench}" "$(date -u +%H:%M:%S)" "$*" >&2; }

start() { # name, command...
    local name=$1; shift
    RUST_LOG=$LOG_FILTER "${PRIO[@]}" "$@" >"$OUT/$name.log" 2>&1 &
    PIDS+=($!)
}

wait_port() { # port
    for _ in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.05
    done
    log "nothing listening on port $1; see $OUT/*.log"
    exit 1
}

json() { # file, python expression over `r`
    python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print($2)" "$1"
}

us_to_ms() { python3 -c "print(f'{$1/1000:.3f}')"; }
report() { # file, label
    local f=$1
    printf '  %-34s p50 %s ms  p99 %s ms  p99.9 %s ms  max %s ms  (%s sent, %s errors, %s timeouts)\n' "$2" \
        "$(us_to_ms "$(json "$f" 'r["p50_us"]')")" "$(us_to_ms "$(json "$f" 'r["p99_us"]')")" \
        "$(us_to_ms "$(json "$f" 'r["p999_us"]')")" "$(us_to_ms "$(json "$f" 'r["max_us"]')")" \
        "$(json "$f" 'r["sent"]')" "$(json "$f" 'r["errors"]')" "$(json "$f" 'r["timeouts"]')"
}

