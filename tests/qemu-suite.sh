#!/usr/bin/env bash
# The QEMU end-to-end suite: boots the image once per phase
# (tests/guest/phaseN.sh), all phases sharing one fresh persistent
# secure-storage disk, so a later phase sees what an earlier one stored
# (a reboot). Prints the guest's MFS-TEST lines (and the MFS-MATRIX lines
# of the bad-input matrix); exits 0 when the guest finished every phase.
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

disk="$OUT/qemu/test-store.img"
rm -f "$disk"
# Files the guest printed as MFS-ARTIFACT lines, checked on the host
# (with openssl) by tests/host/phaseN.sh.
artifacts="$OUT/qemu/artifacts"
rm -rf "$artifacts"; mkdir -p "$artifacts"
n=0
for script in "$MFS_ROOT"/tests/guest/phase[0-9]*.sh; do
    n=$((n + 1))
    phase=$(basename "$script" .sh); phase=${phase#phase}
    log "QEMU boot $n: test phase $phase"
    logf="$OUT/qemu/test-phase$phase.log"
    if ! "$MFS_ROOT/qemu/boot.sh" --mode test --phase "$phase" --disk "$disk" \
            --timeout "${MFS_QEMU_TIMEOUT:-600}" --console-log "$logf" > /dev/null; then
        echo "MFS-TEST fail qemu_phase_$phase: guest did not finish (see $logf and $OUT/qemu/secure.log)"
        continue
    fi
    grep -a -E '^MFS-(TEST|MATRIX) ' "$logf" | tr -d '\r' || true
    grep -a '^# ' "$logf" | tr -d '\r' >&2 || true
    { grep -a '^MFS-ARTIFACT ' "$logf" || true; } | tr -d '\r' | while read -r _ name hex; do
        printf '%s' "$hex" | tr a-f A-F | basenc --base16 -d > "$artifacts/$name"
    done
    if [ -f "$MFS_ROOT/tests/host/phase$phase.sh" ]; then
        bash "$MFS_ROOT/tests/host/phase$phase.sh" "$artifacts"
    fi
done
