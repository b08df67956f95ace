#!/usr/bin/env bash
# The main job end to end on this machine: build and install the providers into a local
# filesystem mirror, start a private libvirtd (own network + mount namespace, host
# untouched), `terraform init` + `apply` examples/quickstart, check that a second plan is
# empty, show the outputs, destroy, and stop the private libvirtd.
#
#   LIBVIRT_DEFAULT_URI=qemu:///system KVMCLOUD_USE_HOST_LIBVIRT=1 scripts/demo.sh
# runs the same against your own libvirtd instead.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$root/.build/demo
sandbox=kvmcloud-demo
mkdir -p "$work"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
ms() { date +%s%3N; }
elapsed() { printf '%d.%03ds' $(( ($2 - $1) / 1000 )) $(( ($2 - $1) % 1000 )); }
t0=$(ms)

command -v terraform >/dev/null || { echo "demo: terraform CLI not found: install terraform >= 1.5" >&2; exit 1; }

step "Building and installing the providers into a local mirror"
make -s install MIRROR_DIR="$work/mirror"
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
export TF_IN_AUTOMATION=1

step "Making a base image (a blank 1 GiB qcow2: the quickstart manages storage and networks, not guests)"
qemu-img create -q -f qcow2 "$work/base.qcow2" 1G

run() { "$@"; }
if [ "${KVMCLOUD_USE_HOST_LIBVIRT:-}" != 1 ]; then
  step "Starting a private libvirtd ($sandbox)"
  scripts/libvirt-sandbox stop "$sandbox" >/dev/null 2>&1 || true
  trap 'step "Stopping the private libvirtd"; scripts/libvirt-sandbox stop "$sandbox"' EXIT
  scripts/libvirt-sandbox start "$sandbox"
  run() { scripts/libvirt-sandbox exec "$sandbox" -- "$@"; }
fi

tf=(terraform -chdir="$work/quickstart" )
rm -rf "$work/quickstart" && cp -r examples/quickstart "$work/quickstart"
vars=(-var "base_image=$work/base.qcow2" -var "pool_path=/var/lib/libvirt/images/kvmcloud-demo")

step "terraform init"
run "${tf[@]}" init -input=false -no-color | grep -E "Installing|Installed|initialized" || true

step "terraform apply"
a=$(ms); run "${tf[@]}" apply -auto-approve -input=false -no-color "${vars[@]}"; b=$(ms)
apply_time=$(elapsed "$a" "$b")

step "Second plan (must be empty)"
a=$(ms); set +e; run "${tf[@]}" plan -detailed-exitcode -input=false -no-color "${vars[@]}" >"$work/plan2.txt"; code=$?; set -e; b=$(ms)
plan_time=$(elapsed "$a" "$b")
[ "$code" = 0 ] || { cat "$work/plan2.txt"; echo "demo: second plan is not empty (exit $code)" >&2; exit 1; }
echo "No changes."

step "What libvirt now holds"
run virsh net-list --all; run virsh pool-list --all; run virsh vol-list quickstart-pool
run "${tf[@]}" output -no-color

step "terraform destroy"
a=$(ms); run "${tf[@]}" destroy -auto-approve -input=false -no-color "${vars[@]}" | tail -n 1; b=$(ms)
destroy_time=$(elapsed "$a" "$b")

step "Summary"
printf '  apply %s, second plan %s (empty), destroy %s, whole demo %s\n' "$apply_time" "$plan_time" "$destroy_time" "$(elapsed "$t0" "$(ms)")"
