#!/usr/bin/env bash
# Builds release binaries of the providers and lays them out under DIST the way the public
# registries (registry.terraform.io, registry.opentofu.org) and their GitHub-release
# ingestion expect, one set per provider:
#   terraform-provider-NAME_VERSION_linux_amd64.zip   (holds terraform-provider-NAME_vVERSION)
#   terraform-provider-NAME_VERSION_manifest.json      ({"version":1,"metadata":{"protocol_versions":["5.0"]}})
#   terraform-provider-NAME_VERSION_SHA256SUMS         (the zip and the manifest)
#   terraform-provider-NAME_VERSION_SHA256SUMS.sig     (only with SIGNING_KEY: a detached GPG signature)
#
# Usage: scripts/release.sh VERSION PROVIDER...     e.g. scripts/release.sh 0.1.0 libvirt k3s
# Environment: DIST (default dist), SIGNING_KEY (GPG key id; unset: not signed, and said so),
#   CARGO (default cargo), SOURCE_DATE_EPOCH (file times inside the zip; default: the last
#   commit's time, so the same commit and toolchain give the same zip).
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "release: $*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: scripts/release.sh VERSION PROVIDER..."
version=$1; shift
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] || die "VERSION must be semantic (1.2.3 or 1.2.3-rc1), got '$version'"
dist=$(realpath -m "${DIST:-dist}")
cargo=${CARGO:-cargo}
os_arch=linux_amd64
[ "$(uname -s)/$(uname -m)" = Linux/x86_64 ] || die "builds $os_arch only; this machine is $(uname -s)/$(uname -m)"
for tool in zip sha256sum; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}

# What a registry client does with a set: check the sums, find exactly the binary it
# expects in the zip, and (where terraform is installed) install the zip as-is from a
# packed filesystem mirror, which makes terraform verify its layout and hashes.
check_release() {
    local p=$1 name=terraform-provider-$1 prefix=terraform-provider-${1}_${version} check
    (cd "$dist" && sha256sum --quiet -c "${prefix}_SHA256SUMS") || die "$prefix: SHA256SUMS does not match"
    local listed
    listed=$(unzip -Z1 "$dist/${prefix}_${os_arch}.zip")
    [ "$listed" = "${name}_v${version}" ] || die "$prefix zip holds '$listed', not ${name}_v${version}"
    if ! command -v terraform >/dev/null; then
        echo "release: terraform not found: $prefix not test-installed"
        return
    fi
    check=$(mktemp -d)
    mkdir -p "$check/mirror/registry.terraform.io/kvmcloud/$p"
    cp "$dist/${prefix}_${os_arch}.zip" "$check/mirror/registry.terraform.io/kvmcloud/$p/"
    printf 'provider_installation {\n  filesystem_mirror {\n    path = "%s"\n  }\n}\n' "$check/mirror" > "$check/cli.tfrc"
    printf 'terraform {\n  required_providers {\n    %s = { source = "kvmcloud/%s", version = "%s" }\n  }\n}\n' "$p" "$p" "$version" > "$check/main.tf"
    TF_CLI_CONFIG_FILE=$check/cli.tfrc CHECKPOINT_DISABLE=1 terraform -chdir="$check" init -input=false -no-color > "$check/init.log" 2>&1 \
        || { cat "$check/init.log"; die "$prefix: terraform init cannot install the zip from a packed mirror"; }
    # The provider starts and refuses to run outside terraform (go-plugin's magic cookie check).
    "$check/.terraform/providers/registry.terraform.io/kvmcloud/$p/$version/$os_arch/${name}_v${version}" </dev/null >/dev/null 2>&1 \
        && die "$prefix: the binary ran without terraform's magic cookie"
    rm -rf "$check"
    echo "release: $prefix verified (sums, zip contents, terraform init from a packed mirror)"
}

packages=()
for p in "$@"; do packages+=(-p "terraform-provider-$p"); done
echo "release: building ${*} $version (release profile)"
"$cargo" build --release --locked "${packages[@]}"
target_dir=$("$cargo" metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')

mkdir -p "$dist"
for p in "$@"; do
    name=terraform-provider-$p
    prefix=${name}_${version}
    stage=$(mktemp -d)
    install -m 0755 "$target_dir/release/$name" "$stage/${name}_v${version}"
    touch -d "@$epoch" "$stage/${name}_v${version}"
    rm -f "$dist/${prefix}_${os_arch}.zip"
    # -X: no extra (uid/gid, atime) fields, so equal inputs give equal bytes.
    (cd "$stage" && zip -q -X "$dist/${prefix}_${os_arch}.zip" "${name}_v${version}")
    rm -rf "$stage"
    printf '{"version":1,"metadata":{"protocol_versions":["5.0"]}}\n' > "$dist/${prefix}_manifest.json"
    (cd "$dist" && sha256sum "${prefix}_${os_arch}.zip" "${prefix}_manifest.json" > "${prefix}_SHA256SUMS")
    rm -f "$dist/${prefix}_SHA256SUMS.sig"
    if [ -n "${SIGNING_KEY:-}" ]; then
        gpg --batch --yes --local-user "$SIGNING_KEY" --detach-sign --output "$dist/${prefix}_SHA256SUMS.sig" "$dist/${prefix}_SHA256SUMS"
        echo "release: signed ${prefix}_SHA256SUMS with key $SIGNING_KEY"
    else
        echo "release: ${prefix}_SHA256SUMS NOT signed (set SIGNING_KEY to a GPG key id; public registries require a signature)"
    fi
    echo "release: $dist/${prefix}_${os_arch}.zip, ${prefix}_manifest.json, ${prefix}_SHA256SUMS"
    check_release "$p"
done
echo "release: done; every set checked (sha256sum -c, zip contents, terraform init from the zip)"
