#!/usr/bin/env bash
# Builds kvmcloud's small bootable test image for acceptance tests, from Debian packages only
# (apt-get download + dpkg -x: nothing but the machine's Debian archive is contacted):
#   vmlinuz     the kernel of linux-image-cloud-amd64 (direct kernel boot)
#   initrd.img  busybox-static plus the kernel's disk, CD-ROM, NIC and iso9660 modules, and
#               scripts/test-image/init: a TEST STAND-IN for cloud-init's NoCloud datasource
#               (not cloud-init itself; see that file for the subset it reads)
# On boot the guest prints to its serial console (console=ttyS0):
#   KVMCLOUD-BOOT-OK hostname=<from the cidata disk> ip=<DHCP lease or none> instance-id=... files=N
#
# Usage: scripts/build-test-image.sh [--smoke-test] [OUT_DIR]
#   Builds into .build/test-image/<key> (key: package versions + these scripts' hash; an
#   existing build is reused, older ones are removed; parallel callers wait for one build),
#   then copies vmlinuz and initrd.img into OUT_DIR if given. Prints the cache dir on stdout.
#   --smoke-test boots the image under QEMU (TCG, -nic none, no network at all) with a cidata
#   ISO made by our own ISO 9660 writer (crate iso9660) and reports the time to the marker.
# Environment: KERNEL_PACKAGE (default linux-image-cloud-amd64; note Debian's cloud kernel has
#   no AHCI driver: attach the cidata disk as virtio, SCSI or IDE, not SATA, or use
#   linux-image-amd64), SMOKE_TIMEOUT (seconds, default 120).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
kernel_meta=${KERNEL_PACKAGE:-linux-image-cloud-amd64}
smoke=no
out=""
for arg in "$@"; do
    case "$arg" in
        --smoke-test) smoke=yes ;;
        -h | --help) sed -n '2,20p' "$0"; exit 0 ;;
        -*) echo "build-test-image: unknown option $arg" >&2; exit 2 ;;
        *) out=$arg ;;
    esac
done

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f s", b - a }'; }
log() { echo "build-test-image: $*" >&2; }
t_start=$(now)

# The versioned kernel package the metapackage points at, and the candidate versions.
candidate() { apt-cache policy "$1" | awk '/Candidate:/ { print $2 }'; }
kernel_pkg=$(apt-cache depends "$kernel_meta" | awk '/Depends: linux-image-/ { print $2; exit }')
[ -n "$kernel_pkg" ] || { log "cannot resolve $kernel_meta to a kernel package (apt-get update?)"; exit 1; }
kernel_ver=$(candidate "$kernel_pkg")
busybox_ver=$(candidate busybox-static)
[ -n "$kernel_ver" ] && [ "$kernel_ver" != "(none)" ] && [ -n "$busybox_ver" ] && [ "$busybox_ver" != "(none)" ] \
    || { log "no candidate version for $kernel_pkg or busybox-static"; exit 1; }
scripts_hash=$(cat "$0" "$here"/test-image/* | sha256sum | cut -c1-12)
key="${kernel_pkg}_${kernel_ver}+busybox_${busybox_ver}+${scripts_hash}"
key=${key//[^A-Za-z0-9._+-]/_}
cache="$root/.build/test-image/$key"
# Tests running in parallel may all ask for the image: one builds, the others wait and reuse it.
mkdir -p "$root/.build/test-image"
exec 9>"$root/.build/test-image/.lock"
flock 9

if [ -f "$cache/initrd.img" ] && [ -f "$cache/vmlinuz" ]; then
    log "cached: $cache"
else
    work=$(mktemp -d "$root/.build/test-image.tmp.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    t=$(now)
    # apt-get download drops privileges to _apt, which must be able to write here.
    chmod 0777 "$work"
    (cd "$work" && apt-get download -q "$kernel_pkg=$kernel_ver" "busybox-static=$busybox_ver" >/dev/null)
    log "downloaded $kernel_pkg $kernel_ver and busybox-static $busybox_ver in $(since "$t")"

    t=$(now)
    dpkg -x "$work"/linux-image-*.deb "$work/kernel"
    dpkg -x "$work"/busybox-static_*.deb "$work/busybox"
    log "extracted in $(since "$t")"

    t=$(now)
    kver=$(ls "$work/kernel/lib/modules")
    busybox="$work/busybox/bin/busybox"
    rootfs="$work/rootfs"
    mkdir -p "$rootfs"/{bin,sbin,dev,proc,sys,run,tmp,mnt,etc,lib/modules/"$kver"}
    cp "$busybox" "$rootfs/bin/busybox"
    for applet in $("$busybox" --list); do
        [ "$applet" = busybox ] || ln -s busybox "$rootfs/bin/$applet"
    done
    install -m 0755 "$here/test-image/init" "$rootfs/init"
    install -m 0755 "$here/test-image/write-files" "$here/test-image/udhcpc-script" "$rootfs/bin/"

    # What a libvirt/QEMU guest needs to see its disks, CD-ROM and NIC, with dependencies.
    # Built-in drivers (ext4, af_packet in Debian's kernels) need nothing.
    wanted="virtio_pci virtio_blk virtio_net virtio_scsi sd_mod sr_mod ata_piix ahci isofs ext4 af_packet"
    kmods="$work/kernel/lib/modules/$kver"
    "$busybox" depmod -b "$work/kernel" "$kver"
    declare -A files=()
    loaded=()
    for m in $wanted; do
        if grep -q "/$m.ko:" "$kmods/modules.dep"; then
            line=$(grep "/$m.ko:" "$kmods/modules.dep")
            for f in ${line/:/ }; do files[$f]=1; done
            loaded+=("$m")
        elif grep -q "/$m.ko\$" "$kmods/modules.builtin"; then
            log "module $m is built into the kernel"
        else
            log "module $m is not in $kernel_pkg (skipped)"
        fi
    done
    for f in "${!files[@]}"; do
        mkdir -p "$rootfs/lib/modules/$kver/$(dirname "$f")"
        cp "$kmods/$f" "$rootfs/lib/modules/$kver/$f"
    done
    cp "$kmods/modules.builtin" "$kmods/modules.order" "$rootfs/lib/modules/$kver/"
    "$busybox" depmod -b "$rootfs" "$kver"
    echo "${loaded[*]}" > "$rootfs/etc/kvmcloud-modules"
    echo "$key" > "$rootfs/etc/kvmcloud-image"

    (cd "$rootfs" && find . | LC_ALL=C sort | "$busybox" cpio -o -H newc 2>/dev/null) | "$busybox" gzip -9 > "$work/initrd.img"
    log "initramfs: ${#files[@]} module files, $(du -k "$work/initrd.img" | cut -f1) KiB, built in $(since "$t")"

    mkdir -p "$cache.partial"
    cp "$work/kernel/boot/vmlinuz-$kver" "$cache.partial/vmlinuz"
    cp "$work/initrd.img" "$cache.partial/initrd.img"
    rm -rf "$cache"
    mv "$cache.partial" "$cache"
    rm -rf "$work"
    trap - EXIT
    # Keep only this build: older keys are stale package versions or script revisions.
    find "$root/.build/test-image" -mindepth 1 -maxdepth 1 -type d ! -name "$key" -exec rm -rf {} +
fi

if [ -n "$out" ]; then
    mkdir -p "$out"
    cp "$cache/vmlinuz" "$cache/initrd.img" "$out/"
    log "wrote $out/vmlinuz and $out/initrd.img"
fi
log "image ready in $(since "$t_start"): $cache"
echo "$cache"

[ "$smoke" = yes ] || exit 0

# Smoke test: boot with QEMU directly under TCG, no NIC, a NoCloud ISO from our writer.
t=$(now)
smoke_dir=$(mktemp -d)
trap 'rm -rf "$smoke_dir"' EXIT
printf 'instance-id: smoke-1\nlocal-hostname: meta-name\n' > "$smoke_dir/meta-data"
printf '#cloud-config\nhostname: smoke-node\nwrite_files:\n  - path: /etc/kvmcloud-smoke\n    content: |\n      written from user-data\n    permissions: "0644"\n' > "$smoke_dir/user-data"
cargo run -q --manifest-path "$root/Cargo.toml" -p iso9660 --example mkiso -- \
    "$smoke_dir/seed.iso" cidata "user-data=$smoke_dir/user-data" "meta-data=$smoke_dir/meta-data"
log "cidata ISO ($(stat -c %s "$smoke_dir/seed.iso") bytes) ready in $(since "$t")"

t=$(now)
qemu-system-x86_64 -accel tcg -m 256 -nographic -no-reboot -nic none \
    -kernel "$cache/vmlinuz" -initrd "$cache/initrd.img" -cdrom "$smoke_dir/seed.iso" \
    -append "console=ttyS0 quiet panic=-1" </dev/null >"$smoke_dir/console.log" 2>&1 &
qemu=$!
to_marker=""
deadline=$(awk -v t="$t" -v s="${SMOKE_TIMEOUT:-120}" 'BEGIN { print t + s }')
while kill -0 "$qemu" 2>/dev/null; do
    if grep -aq 'KVMCLOUD-BOOT-' "$smoke_dir/console.log"; then
        to_marker=$(since "$t")
        sleep 0.5 # let the rest of the line through
        break
    fi
    if awk -v d="$deadline" -v n="$(now)" 'BEGIN { exit !(n > d) }'; then break; fi
    sleep 0.1
done
kill "$qemu" 2>/dev/null || true
wait "$qemu" 2>/dev/null || true
marker=$(grep -ao 'KVMCLOUD-BOOT-.*' "$smoke_dir/console.log" | tr -d '\r' | head -n1 || true)
wrote=$(grep -ao 'KVMCLOUD-WROTE.*' "$smoke_dir/console.log" | tr -d '\r' | head -n1 || true)
expected_sha=$(printf 'written from user-data\n' | sha256sum | cut -d' ' -f1)
if [ "$marker" = "KVMCLOUD-BOOT-OK hostname=smoke-node ip=none instance-id=smoke-1 files=1" ] &&
    [ "$wrote" = "KVMCLOUD-WROTE path=/etc/kvmcloud-smoke sha256=$expected_sha" ]; then
    log "smoke test passed: QEMU start to marker $to_marker under TCG: $marker"
else
    log "smoke test FAILED after $(since "$t"); console:"
    tail -n 40 "$smoke_dir/console.log" >&2
    exit 1
fi
