#!/usr/bin/env bash
# Builds the air-gap bundle disk for modules/k3s-cluster: an ISO 9660 image labelled K3S
# (Rock Ridge, so modes survive) holding
#   k3s          the k3s binary            (K3S_BINARY)
#   install.sh   k3s's install script      (K3S_INSTALL_SCRIPT)
#   images/      archives k3s imports at start: K3S_IMAGES (k3s-airgap-images-*.tar.zst,
#                optional) and the bidder and exchange images (built by bidder/scripts/image.sh)
#
#   K3S_BINARY=... K3S_INSTALL_SCRIPT=... [K3S_IMAGES=...] scripts/airgap-bundle.sh OUT.iso
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: K3S_BINARY=... K3S_INSTALL_SCRIPT=... [K3S_IMAGES=...] scripts/airgap-bundle.sh OUT.iso}
for var in K3S_BINARY K3S_INSTALL_SCRIPT; do
  [ -f "${!var:-}" ] || { echo "airgap-bundle: $var must name an existing file (got '${!var:-}')" >&2; exit 1; }
done
command -v genisoimage >/dev/null || { echo "airgap-bundle: genisoimage not installed: apt-get install genisoimage" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/images"
install -m 0755 "$K3S_BINARY" "$stage/k3s"
install -m 0755 "$K3S_INSTALL_SCRIPT" "$stage/install.sh"
if [ -n "${K3S_IMAGES:-}" ]; then cp "$K3S_IMAGES" "$stage/images/"; fi
bash bidder/scripts/image.sh >&2
cp "${CARGO_TARGET_DIR:-target-bidder}"/images/rtb-*.tar "$stage/images/"
genisoimage -quiet -V K3S -R -J -o "$out" "$stage"
echo "airgap-bundle: wrote $out ($(du -h "$out" | cut -f1)): $(cd "$stage" && find . -type f | sort | tr '\n' ' ')"
