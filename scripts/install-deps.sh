#!/usr/bin/env bash
# Installs the system packages the build and every test tier need (Debian 12 bookworm).
# libvirt/QEMU come from bookworm-backports: the machine's qemu-utils 10.x conflicts with
# bookworm's own qemu-system 7.2 (see shared/FIELD-NOTES.md).
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "install-deps: must run as root (apt-get)" >&2; exit 1; }

need=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-daemon-driver-network
      libvirt-daemon-driver-storage libvirt-daemon-driver-secret libvirt-clients libvirt-dev
      qemu-system-x86 dnsmasq-base iptables nftables genisoimage openssh-server
      pkg-config iproute2 libxml2-utils cloud-init openssl openssh-client util-linux)
missing=()
for p in "${need[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p"); done
# The k3s tests check kubeconfigs with kubectl; any kubectl will do (Debian's is kubernetes-client).
command -v kubectl >/dev/null || missing+=(kubernetes-client)
if [ ${#missing[@]} -eq 0 ]; then echo "install-deps: all packages present"; exit 0; fi

src=/etc/apt/sources.list.d/bookworm-backports.list
if ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
  uri=$(grep -hoE '^URIs: *\S+' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -n1 | awk '{print $2}')
  [ -n "$uri" ] || uri=$(grep -hoE '^deb +\S+' /etc/apt/sources.list 2>/dev/null | head -n1 | awk '{print $2}')
  [ -n "$uri" ] || { echo "install-deps: cannot find the Debian archive URI in apt sources" >&2; exit 1; }
  echo "deb $uri bookworm-backports main" > "$src"
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends -t bookworm-backports "${missing[@]}"
