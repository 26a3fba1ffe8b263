#!/usr/bin/env bash
# Build the secure firmware image for QEMU virt (ARMv8):
#   BL1 + FIP (BL2, BL31 with the OP-TEE dispatcher, BL32 = OP-TEE 4.5 from
#   Debian, BL33 = Debian's U-Boot)  ->  out/qemu/qemu_fw.bios
# and a U-Boot environment for the second (non-secure) flash bank
#   ->  out/qemu/uboot-env.img
# Requires qemu/fetch.sh to have run. Rebuilds only when an input changed.
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

PKG="$CACHE/pkg"
TFA="$CACHE/src/arm-trusted-firmware"
OPTEE="$PKG/optee-os/usr/lib/optee/vexpress-qemu_armv8a"
UBOOT="$PKG/u-boot-qemu/usr/lib/u-boot/qemu_arm64/u-boot.bin"
QOUT="$OUT/qemu"
mkdir -p "$QOUT"

[ -d "$TFA" ] || die "TF-A source missing: run qemu/fetch.sh"
for f in "$OPTEE/tee-header_v2.bin" "$OPTEE/tee-pager_v2.bin" "$OPTEE/tee-pageable_v2.bin" "$UBOOT"; do
    [ -f "$f" ] || die "missing $f: run qemu/fetch.sh"
done

inputs=$( (readlink -f "$TFA"; sha256sum "$OPTEE"/*.bin "$UBOOT") | sha256sum | cut -d' ' -f1)
if [ "$(cat "$QOUT/.fw-inputs" 2>/dev/null)" != "$inputs" ] || [ ! -f "$QOUT/qemu_fw.bios" ]; then
    log "building TF-A (PLAT=qemu SPD=opteed) with OP-TEE and U-Boot"
    build="$CACHE/build/tf-a"
    rm -rf "$build"; mkdir -p "$build"
    # Debian's OP-TEE is built for GICv3: TF-A must match (QEMU_GICV3) or
    # OP-TEE crashes at start. min-pagesize=0 silences gcc 12 array-bounds
    # false positives on fixed MMIO addresses.
    make -C "$TFA" -j"$(nproc)" BUILD_BASE="$build" \
        CROSS_COMPILE=aarch64-linux-gnu- CFLAGS=--param=min-pagesize=0 \
        PLAT=qemu DEBUG=0 SPD=opteed BL32_RAM_LOCATION=tdram \
        QEMU_USE_GIC_DRIVER=QEMU_GICV3 \
        BL32="$OPTEE/tee-header_v2.bin" \
        BL32_EXTRA1="$OPTEE/tee-pager_v2.bin" \
        BL32_EXTRA2="$OPTEE/tee-pageable_v2.bin" \
        BL33="$UBOOT" all fip > "$CACHE/build/tf-a.log" 2>&1 \
        || { tail -30 "$CACHE/build/tf-a.log" >&2; die "TF-A build failed (log: $CACHE/build/tf-a.log)"; }
    rel="$build/qemu/release"
    # BL1 at 0, the FIP at 256 KiB: the layout TF-A's qemu platform reads
    # from the secure flash.
    dd if="$rel/bl1.bin" of="$QOUT/qemu_fw.bios.tmp" bs=4096 conv=notrunc status=none
    dd if="$rel/fip.bin" of="$QOUT/qemu_fw.bios.tmp" seek=64 bs=4096 conv=notrunc status=none
    mv "$QOUT/qemu_fw.bios.tmp" "$QOUT/qemu_fw.bios"
    echo "$inputs" > "$QOUT/.fw-inputs"
fi

# U-Boot environment (qemu_arm64: env in flash at 0x04000000, 256 KiB).
# The default environment would load the kernel at 0x40400000... over
# OP-TEE's shared memory at 0x42000000 and wait 2 s; ours loads the kernel
# and initrd that QEMU hands over through fw_cfg well above it and boots at
# once with the device tree U-Boot got from TF-A/OP-TEE.
python3 - "$QOUT/uboot-env.img" <<'PY'
import sys, zlib
env = [
    "arch=arm", "board=qemu-arm", "board_name=qemu-arm", "cpu=armv8",
    "vendor=emulation", "baudrate=115200", "stdin=serial,usbkbd",
    "stdout=serial,vidconsole", "stderr=serial,vidconsole",
    "bootdelay=0",
    "fdt_addr=0x40000000",
    "kernel_addr_r=0x42200000",
    "ramdisk_addr_r=0x46000000",
    "bootcmd=qfw load ${kernel_addr_r} ${ramdisk_addr_r}; "
    "booti ${kernel_addr_r} ${ramdisk_addr_r}:${filesize} ${fdtcontroladdr}",
]
ENV_SIZE = 0x40000
data = b"\0".join(e.encode() for e in env) + b"\0\0"
data = data.ljust(ENV_SIZE - 4, b"\0")
blob = zlib.crc32(data).to_bytes(4, "little") + data
# QEMU's virt flash bank is 64 MiB: the image must be exactly that size.
blob = blob.ljust(64 * 1024 * 1024, b"\xff")
out = sys.argv[1]
try:
    if open(out, "rb").read() == blob:
        sys.exit(0)
except FileNotFoundError:
    pass
open(out + ".tmp", "wb").write(blob)
import os; os.replace(out + ".tmp", out)
PY
log "firmware ready: $QOUT/qemu_fw.bios"
