#!/usr/bin/env bash
# Boot OP-TEE on QEMU virt (cortex-a57, GICv3, secure=on) with our initramfs.
#
#   qemu/boot.sh [--mode demo|test|bench|stack|shell|exec] [--exec CMD] [--phase N] [--disk IMG]
#                [--timeout SECONDS] [--console-log FILE]
#
# --disk attaches an ext4 image (created if missing) that keeps OP-TEE's
# secure storage (REE FS via tee-supplicant) across boots. The secure
# world's serial output goes to out/qemu/secure.log, capped in size. Every
# run except --mode shell is bounded by the timeout.
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

QOUT="$OUT/qemu"
mode=shell phase=1 disk="" timeout=300 console_log="" exec_b64=""
while [ $# -gt 0 ]; do
    case "$1" in
        --mode) mode=$2; shift 2 ;;
        --exec) exec_b64=$(printf '%s' "$2" | base64 -w0); shift 2 ;;
        --phase) phase=$2; shift 2 ;;
        --disk) disk=$2; shift 2 ;;
        --timeout) timeout=$2; shift 2 ;;
        --console-log) console_log=$2; shift 2 ;;
        *) die "unknown option $1" ;;
    esac
done
case "$mode" in demo|test|bench|stack|shell|exec) ;; *) die "bad --mode $mode" ;; esac
[ "$mode" != exec ] || [ -n "$exec_b64" ] || die "--mode exec needs --exec CMD"
for f in qemu_fw.bios uboot-env.img Image initramfs.cpio.gz; do
    [ -f "$QOUT/$f" ] || die "missing $QOUT/$f: run scripts/build first"
done

args=(-machine virt,secure=on,gic-version=3,virtualization=off -cpu cortex-a57
      -smp 1 -m 1024 -bios "$QOUT/qemu_fw.bios"
      -drive "if=pflash,unit=1,format=raw,file=$QOUT/uboot-env.img,readonly=on"
      -kernel "$QOUT/Image" -initrd "$QOUT/initramfs.cpio.gz"
      -append "console=ttyAMA0,115200 quiet panic=-1 mfs.mode=$mode mfs.phase=$phase${exec_b64:+ mfs.exec=$exec_b64}"
      -display none -monitor none -no-reboot -nic none)
if [ -n "$disk" ]; then
    if [ ! -f "$disk" ]; then
        log "creating persistent secure-storage disk $disk"
        mkdir -p "$(dirname "$disk")"
        truncate -s 32M "$disk"
        mkfs.ext4 -q -F -L mfs-store "$disk"
    fi
    args+=(-drive "if=none,format=raw,file=$disk,id=store" -device virtio-blk-device,drive=store)
fi

# Secure-world log: through a FIFO so that it can be capped (a crashing
# OP-TEE floods its UART); past the cap the rest is read and dropped.
SECURE_LOG="$QOUT/secure.log"
CAP=$((8 * 1024 * 1024))
fifo=$(mktemp -u "${TMPDIR:-/tmp}/mfs-secure.XXXXXX")
mkfifo "$fifo"
( { head -c "$CAP" > "$SECURE_LOG"; cat > /dev/null; } < "$fifo" ) &
reader=$!
cleanup() { rm -f "$fifo"; kill "$reader" 2>/dev/null || true; }
trap cleanup EXIT

if [ "$mode" = shell ]; then
    qemu-system-aarch64 "${args[@]}" -chardev stdio,id=con,signal=off \
        -serial chardev:con -serial "file:$fifo"
else
    out=${console_log:-$QOUT/console-$mode.log}
    set +e
    timeout -k 5 "$timeout" qemu-system-aarch64 "${args[@]}" \
        -serial stdio -serial "file:$fifo" < /dev/null | tee "$out"
    rc=${PIPESTATUS[0]}
    set -e
    [ "$rc" -eq 124 ] && die "QEMU run timed out after ${timeout}s (console: $out, secure log: $SECURE_LOG)"
    grep -q '^MFS-DONE rc=' "$out" || die "guest did not finish (console: $out, secure log: $SECURE_LOG)"
fi
