#!/usr/bin/env bash
# The main job end to end on this machine: build and install the providers into a local
# filesystem mirror, build the small bootable test image, start a private libvirtd (own
# network + mount namespace, host untouched), `terraform init` + `apply` examples/quickstart
# (a NAT network, a dir pool, the base image uploaded once, NODES virtual machines from
# modules/libvirt-node that boot and take a DHCP lease), check that a second plan is empty,
# show the outputs and what libvirt holds, destroy, run the exchange and 3 bidders locally
# under the load generator (p50/p99 of whole auctions), stop the private libvirtd, print
# timings. With K3S_BINARY, K3S_INSTALL_SCRIPT [K3S_IMAGES] and KVMCLOUD_CLOUD_IMAGE set it
# also builds the full stack (examples/ad-exchange: k3s on VMs, the exchange deployed on it)
# before the local run; that path needs files this project's CI cannot fetch.
#
#   LIBVIRT_DEFAULT_URI=qemu:///system KVMCLOUD_USE_HOST_LIBVIRT=1 scripts/demo.sh
# runs the same against your own libvirtd instead. NODES=3 scripts/demo.sh boots three.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$root/.build/demo
sandbox=kvmcloud-demo
nodes=${NODES:-2}
mkdir -p "$work"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
ms() { date +%s%3N; }
elapsed() { printf '%d.%03ds' $(( ($2 - $1) / 1000 )) $(( ($2 - $1) % 1000 )); }
phases=()
# `timed NAME CMD...` runs CMD and records how long it took under NAME.
timed() {
  local name=$1 a b; shift
  a=$(ms); "$@"; b=$(ms)
  phases+=("$(printf '%-28s %s' "$name" "$(elapsed "$a" "$b")")")
}
t0=$(ms)

command -v terraform >/dev/null || { echo "demo: terraform CLI not found: install terraform >= 1.9" >&2; exit 1; }

step "Building and installing the providers into a local mirror"
timed "build + install providers" make -s install MIRROR_DIR="$work/mirror"
cat > "$work/cli.tfrc" <<CFG
provider_installation {
  filesystem_mirror {
    path    = "$work/mirror"
    include = ["registry.terraform.io/kvmcloud/*"]
  }
  direct {
    exclude = ["registry.terraform.io/kvmcloud/*"]
  }
}
CFG
export TF_CLI_CONFIG_FILE=$work/cli.tfrc
export TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1

step "Making the guest image: a test kernel + busybox initramfs (direct kernel boot) and a small qcow2 base disk"
timed "test image" scripts/build-test-image.sh "$work/image" >/dev/null
rm -f "$work/base.qcow2" && qemu-img create -q -f qcow2 "$work/base.qcow2" 64M

run() { "$@"; }
if [ "${KVMCLOUD_USE_HOST_LIBVIRT:-}" != 1 ]; then
  step "Starting a private libvirtd ($sandbox)"
  scripts/libvirt-sandbox stop "$sandbox" >/dev/null 2>&1 || true
  trap 'step "Stopping the private libvirtd"; scripts/libvirt-sandbox stop "$sandbox"' EXIT
  timed "private libvirtd start" scripts/libvirt-sandbox start "$sandbox"
  run() { scripts/libvirt-sandbox exec "$sandbox" -- "$@"; }
fi

# kvm where libvirt can use it, else qemu (TCG software emulation): detected, not assumed.
if run virsh domcapabilities --virttype kvm >/dev/null 2>&1; then virt_type=kvm; else virt_type=qemu; fi
echo "domain type: $virt_type"

# The example refers to ../../modules/libvirt-node: copy both, keeping the layout.
tree=$work/tree
rm -rf "$tree" && mkdir -p "$tree/examples" && cp -r examples/quickstart "$tree/examples/" && cp -r modules "$tree/"
tf=(terraform -chdir="$tree/examples/quickstart")
cat > "$work/demo.tfvars" <<VARS
node_count          = $nodes
base_image          = "$work/base.qcow2"
pool_path           = "/var/lib/libvirt/images/kvmcloud-demo"
domain_type         = "$virt_type"
node_memory_mib     = 256
node_disk_gib       = 1
kernel_image        = "$work/image/vmlinuz"
initrd_image        = "$work/image/initrd.img"
kernel_cmdline      = "console=ttyS0 quiet kvmcloud.dhcp_tries=120"
# The test image's busybox init ignores ACPI power-off.
shutdown_timeout    = 0
wait_for_ip_timeout = 300
VARS
vars=(-var-file="$work/demo.tfvars")

step "terraform init"
timed "terraform init" run "${tf[@]}" init -input=false -no-color >"$work/init.log"
grep -E "Installing|Installed|initialized|node in" "$work/init.log" || true

step "terraform apply ($nodes nodes, booting until each has a DHCP lease)"
timed "terraform apply" run "${tf[@]}" apply -auto-approve -input=false -no-color "${vars[@]}"

step "Second plan (must be empty)"
set +e; a=$(ms); run "${tf[@]}" plan -detailed-exitcode -input=false -no-color "${vars[@]}" >"$work/plan2.txt"; code=$?; b=$(ms); set -e
phases+=("$(printf '%-28s %s' "second plan" "$(elapsed "$a" "$b")")")
[ "$code" = 0 ] || { cat "$work/plan2.txt"; echo "demo: second plan is not empty (exit $code)" >&2; exit 1; }
echo "No changes."

step "What libvirt now holds"
run virsh list --all; run virsh net-list --all; run virsh pool-list --all; run virsh vol-list quickstart-pool
run virsh net-dhcp-leases quickstart-net
step "Outputs (guest IPs are their DHCP leases)"
run "${tf[@]}" output -no-color node_ips

step "terraform destroy"
timed "terraform destroy" run "${tf[@]}" destroy -auto-approve -input=false -no-color "${vars[@]}" >"$work/destroy.log"
tail -n 1 "$work/destroy.log"
left=$(run virsh list --all --name; run virsh net-list --all --name; run virsh pool-list --all --name)
[ -z "${left//[[:space:]]/}" ] || { echo "demo: libvirt still holds: $left" >&2; exit 1; }
echo "libvirt is empty again."

# The full stack needs what cannot be fetched here: a k3s release and a cloud image.
if [ -n "${K3S_BINARY:-}" ] && [ -n "${K3S_INSTALL_SCRIPT:-}" ] && [ -n "${KVMCLOUD_CLOUD_IMAGE:-}" ]; then
  step "Full stack: k3s on VMs (examples/ad-exchange), air-gapped from a bundle disk, then the exchange on it"
  timed "air-gap bundle" scripts/airgap-bundle.sh "$work/k3s-bundle.iso"
  cp -r examples/ad-exchange "$tree/examples/"
  adx=(terraform -chdir="$tree/examples/ad-exchange")
  adx_vars=(-var "base_image=$KVMCLOUD_CLOUD_IMAGE" -var "airgap_bundle=$work/k3s-bundle.iso" -var "domain_type=$virt_type")
  run "${adx[@]}" init -input=false -no-color >"$work/adx-init.log"
  timed "full stack apply" run "${adx[@]}" apply -auto-approve -input=false -no-color "${adx_vars[@]}"
  run "${adx[@]}" output -raw kubeconfig >"$work/kubeconfig"
  run kubectl --kubeconfig "$work/kubeconfig" get nodes -o wide
  run kubectl --kubeconfig "$work/kubeconfig" -n adx get pods -o wide
  timed "full stack destroy" run "${adx[@]}" destroy -auto-approve -input=false -no-color "${adx_vars[@]}" >"$work/adx-destroy.log"
  tail -n 1 "$work/adx-destroy.log"
else
  step "Full stack on k3s: skipped"
  echo "Set K3S_BINARY, K3S_INSTALL_SCRIPT (and K3S_IMAGES) from a k3s release and KVMCLOUD_CLOUD_IMAGE"
  echo "(a cloud image with cloud-init) to go on to k3s on VMs and the ad exchange on the cluster."
fi

step "The ad exchange locally: 3 bidders + exchange under the load generator (constant rate)"
timed "exchange + bidders run" bash bidder/scripts/exchange-demo.sh

step "Summary ($virt_type, $nodes nodes)"
printf '  %s\n' "${phases[@]}"
printf '  %-28s %s\n' "whole demo" "$(elapsed "$t0" "$(ms)")"
