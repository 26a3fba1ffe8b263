#!/usr/bin/env bash
# Assemble the guest initramfs (out/qemu/initramfs.cpio.gz): busybox,
# glibc, tee-supplicant + libteec + libckteec, OP-TEE's xtest and its TAs
# and its PKCS#11 TA, the kernel modules for OP-TEE and virtio-blk, our
# signed TA in /lib/optee_armtz and our binaries on the PATH. Also decompresses the kernel image.
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

PKG="$CACHE/pkg"
QOUT="$OUT/qemu"
# Staged under OUT, not the (shareable) cache: builds into different
# MFS_OUT directories (scripts/stack) may run at the same time.
STAGE="$OUT/build/rootfs"
mkdir -p "$QOUT"

ta="$OUT/ta/$MFS_TA_UUID.ta"
[ -f "$ta" ] || die "missing $ta: build the TA first (scripts/build)"
for b in mfs mfs-e2e mfs-pay pkcs11-bench floor-bench; do
    [ -f "$OUT/bin/$b" ] || die "missing $OUT/bin/$b: build the host first (scripts/build)"
done

rm -rf "$STAGE"; mkdir -p "$STAGE"
for p in libc6 libgcc-s1 libteec2 libckteec0t64 tee-supplicant optee-test-qemu busybox-static \
         libssl3t64 libzstd1 zlib1g; do
    [ -d "$PKG/$p" ] || die "missing package $p: run qemu/fetch.sh"
    cp -a "$PKG/$p/." "$STAGE/"
done
rm -rf "$STAGE/.version" "$STAGE/usr/share/doc" "$STAGE/usr/share/man" \
       "$STAGE/usr/share/lintian" "$STAGE/usr/lib/systemd" \
       "$STAGE/usr/lib/aarch64-linux-gnu/gconv" "$STAGE/usr/lib/aarch64-linux-gnu/audit"
# merged /usr
for d in bin sbin lib; do ln -sfn "usr/$d" "$STAGE/$d"; done
mkdir -p "$STAGE/usr/sbin" "$STAGE/root" "$STAGE/etc" "$STAGE/lib/modules/mfs"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' > "$STAGE/etc/passwd"
printf 'root:x:0:\nteeclnt:x:990:\nnogroup:x:65534:\n' > "$STAGE/etc/group"

kdir=$(ls -d "$PKG"/linux-image-*/usr/lib/modules/* | head -n1)
for m in tee optee virtio_mmio virtio_blk; do
    f=$(find "$kdir" -name "$m.ko.xz" | head -n1)
    [ -n "$f" ] || die "kernel module $m not found"
    xz -dc "$f" > "$STAGE/usr/lib/modules/mfs/$m.ko"
done

install -m 0755 "$MFS_ROOT/qemu/init" "$STAGE/init"
install -m 0444 "$ta" "$STAGE/usr/lib/optee_armtz/$MFS_TA_UUID.ta"
# The test image's second TA (admin by group login), when built.
group_ta="$OUT/ta/$(tr -d '[:space:]' < "$MFS_ROOT/tests/guest/group-admin-ta-uuid").ta"
[ ! -f "$group_ta" ] || install -m 0444 "$group_ta" "$STAGE/usr/lib/optee_armtz/"
install -m 0755 "$OUT/bin/mfs" "$OUT/bin/mfs-e2e" "$OUT/bin/mfs-pay" "$OUT/bin/pkcs11-bench" \
    "$OUT/bin/floor-bench" "$STAGE/usr/bin/"
# The benchmark's platform-floor TA (tests/bench/floor-ta).
install -m 0444 "$OUT"/bench-ta/*.ta "$STAGE/usr/lib/optee_armtz/"
# OP-TEE's own PKCS#11 TA (Debian's optee-os-dev), the benchmark's anchor.
pkcs11_ta="$PKG/optee-os-dev/usr/lib/optee-os-dev/vexpress-qemu_armv8a/ta/fd02c9da-306c-48c7-a49c-bbd827ae86ee.ta"
[ -f "$pkcs11_ta" ] || die "missing $pkcs11_ta: run qemu/fetch.sh"
install -m 0444 "$pkcs11_ta" "$STAGE/usr/lib/optee_armtz/"
[ -f "$OUT/lib/libmfs.so.0" ] || die "missing $OUT/lib/libmfs.so.0: build the host first (scripts/build)"
install -m 0755 "$OUT/lib/libmfs.so.0" "$STAGE/usr/lib/"
mkdir -p "$STAGE/usr/share/mfs/tests"
install -m 0644 "$MFS_ROOT/scripts/demo.sh" "$STAGE/usr/share/mfs/demo.sh"
install -m 0644 "$MFS_ROOT"/tests/guest/*.sh "$MFS_ROOT"/tests/guest/*.pem \
    "$MFS_ROOT/tests/guest/group-admin-ta-uuid" "$STAGE/usr/share/mfs/tests/"
echo "$MFS_TA_UUID" > "$STAGE/usr/share/mfs/ta-uuid"

(cd "$STAGE" && find . -print0 | LC_ALL=C sort -z \
    | cpio --null -o -H newc --owner=0:0 --quiet) | gzip -1 > "$QOUT/initramfs.cpio.gz.tmp"
mv "$QOUT/initramfs.cpio.gz.tmp" "$QOUT/initramfs.cpio.gz"

# QEMU's -kernel wants the uncompressed arm64 Image (vmlinuz is gzip).
vmlinuz=$(ls "$PKG"/linux-image-*/boot/vmlinuz-* | head -n1)
if [ ! -f "$QOUT/Image" ] || [ "$vmlinuz" -nt "$QOUT/Image" ]; then
    if gzip -t "$vmlinuz" 2>/dev/null; then gzip -dc "$vmlinuz" > "$QOUT/Image"; else cp "$vmlinuz" "$QOUT/Image"; fi
fi
log "initramfs ready: $(du -h "$QOUT/initramfs.cpio.gz" | cut -f1)"
