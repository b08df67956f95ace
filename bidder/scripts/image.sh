#!/usr/bin/env bash
# Builds an OCI image archive for the bidder and for the exchange without any container engine:
# the release binary plus the shared libraries it links (glibc), in one layer, written by the
# oci-archive tool as a tar that is both an OCI layout and a docker-archive. k3s imports such
# tars from /var/lib/rancher/k3s/agent/images/ at start (or `k3s ctr images import FILE`).
# Each image is checked by unpacking its layer and running the binary in a chroot (when root).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORKSPACE=${BIDDER_WORKSPACE:-$ROOT}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target-bidder}
OUT=${IMAGE_OUT:-$CARGO_TARGET_DIR/images}
TAG=${IMAGE_TAG:-0.1.0}
BIN=$CARGO_TARGET_DIR/release

cargo build --release --quiet --manifest-path "$WORKSPACE/Cargo.toml" -p bidder -p exchange -p oci-archive
mkdir -p "$OUT"

# Paths of the shared objects a binary loads, as ldd resolves them on this build host.
shared_libs() {
    ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u
}

verify() { # archive, binary name
    if [ "$(id -u)" != 0 ]; then echo "  (not root: skipping chroot check)"; return; fi
    local dir layer
    dir=$(mktemp -d)
    layer=$(python3 -c "import json,sys; print(json.load(sys.stdin)[0]['Layers'][0])" < <(tar -xOf "$1" manifest.json))
    tar -xOf "$1" "$layer" | tar -x -C "$dir"
    if chroot "$dir" "/usr/local/bin/$2" --help >/dev/null; then
        echo "  $2 runs from its image root filesystem"
    else
        echo "  $2 does NOT run from its image root filesystem" >&2
        rm -rf "$dir"
        exit 1
    fi
    rm -rf "$dir"
    # With skopeo installed, also read the archive back both ways, checking every digest.
    if command -v skopeo >/dev/null; then
        dir=$(mktemp -d)
        skopeo copy --quiet "docker-archive:$1" "dir:$dir/docker" && skopeo copy --quiet "oci-archive:$1" "dir:$dir/oci"
        echo "  skopeo reads it as docker-archive and as oci-archive"
        rm -rf "$dir"
    fi
}

declare -A PORT=([bidder]=8080 [exchange]=8081)
declare -A LISTEN_ENV=([bidder]=BIDDER_LISTEN [exchange]=EXCHANGE_LISTEN)
for svc in bidder exchange; do
    files=(--file "$BIN/$svc:/usr/local/bin/$svc:755")
    while read -r lib; do files+=(--file "$lib:$lib:755"); done < <(shared_libs "$BIN/$svc")
    archive="$OUT/rtb-$svc-$TAG.tar"
    "$BIN/oci-archive" --reference "docker.io/library/rtb-$svc:$TAG" --entrypoint "/usr/local/bin/$svc" \
        --env PATH=/usr/local/bin --env LD_LIBRARY_PATH=/lib/x86_64-linux-gnu:/lib64 \
        --env "${LISTEN_ENV[$svc]}=0.0.0.0:${PORT[$svc]}" --port "${PORT[$svc]}" \
        "${files[@]}" --out "$archive"
    verify "$archive" "$svc"
done
ls -l "$OUT"
