# shellcheck shell=bash
# Common helpers for the project's scripts. Sourced, never executed.
#
# Every step here is idempotent: re-running a script after a failure or a
# completed run only redoes what is missing or out of date.

set -euo pipefail

MFS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${MFS_OUT:-$MFS_ROOT/out}"
CACHE="${MFS_CACHE:-$OUT/cache}"
export MFS_ROOT OUT CACHE

# Settings saved by the last scripts/build in this output directory
# (out/build-settings): each applies unless the environment sets it, so
# scripts/run, scripts/test and later builds use the same TA UUID, dev
# kit, key and admin identity.
SETTINGS_VARS=(TA_DEV_KIT_DIR MFS_TA_SIGN_KEY MFS_TA_UUID MFS_ADMIN_LOGIN MFS_ADMIN_UUID
    OPTEE_CLIENT_EXPORT MFS_TA_STACK_KIB MFS_TA_HEAP_KIB MFS_TA_PROFILE)
if [ -f "$OUT/build-settings" ]; then
    while IFS='=' read -r _k _v; do
        case " ${SETTINGS_VARS[*]} " in *" $_k "*) ;; *) continue ;; esac
        [ -n "${!_k:-}" ] || export "$_k=$_v"
    done < "$OUT/build-settings"
fi

# Default TA UUID from proto/ta-uuid.txt (the one place it is written; the
# proto crate and ta/build.rs read the same file); an OEM passes its own
# with MFS_TA_UUID (also read by the proto crate at build time so the TA
# and the client agree).
MFS_DEFAULT_TA_UUID=$(tr -d '[:space:]' < "$MFS_ROOT/proto/ta-uuid.txt")
MFS_TA_UUID="${MFS_TA_UUID:-$MFS_DEFAULT_TA_UUID}"
export MFS_TA_UUID

_mfs_t0=${MFS_T0:-$(date +%s)}
export MFS_T0=$_mfs_t0
log() { printf '[%4ss] %s\n' "$(( $(date +%s) - _mfs_t0 ))" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Runs a long, quiet command (a cargo build) with a progress line every
# 30 s, so that a first build is never silent for minutes:
#   with_progress "building the TA" cargo build ...
with_progress() {
    local what=$1 pid t=0 rc=0; shift
    "$@" &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        sleep 1
        t=$((t + 1))
        [ $((t % 30)) -eq 0 ] && kill -0 "$pid" 2>/dev/null && log "… still $what (${t}s; a first build takes minutes)"
    done
    wait "$pid" || rc=$?
    return "$rc"
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Host (Debian 12) packages the build needs.
HOST_PACKAGES=(
    qemu-system-arm gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu
    libc6-dev-arm64-cross python3-cryptography libssl-dev dpkg-dev
    cpio xz-utils gzip e2fsprogs openssl debian-archive-keyring gcc make
    ca-certificates
)

ensure_host_packages() {
    local missing=() p
    for p in "${HOST_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$p")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        log "installing host packages: ${missing[*]}"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

ensure_rust() {
    command -v cargo >/dev/null || die "cargo not found: install Rust with rustup first"
    if ! rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu; then
        log "adding rustup target aarch64-unknown-linux-gnu"
        rustup target add aarch64-unknown-linux-gnu >/dev/null
    fi
    local c
    for c in clippy rustfmt; do
        rustup component list --installed 2>/dev/null | grep -q "^$c" \
            || rustup component add "$c" >/dev/null
    done
}

TARGET=aarch64-unknown-linux-gnu

# Environment for building the target side (after qemu/fetch.sh):
# TA_DEV_KIT_DIR, MFS_TA_SIGN_KEY, OPTEE_CLIENT_EXPORT, the cross C compiler.
setup_target_env() {
    local pkg="$CACHE/pkg"
    export TA_DEV_KIT_DIR="${TA_DEV_KIT_DIR:-$pkg/optee-os-dev/usr/lib/optee-os-dev/vexpress-qemu_armv8a}"
    [ -f "$TA_DEV_KIT_DIR/lib/libutee.a" ] \
        || die "TA_DEV_KIT_DIR=$TA_DEV_KIT_DIR is not an OP-TEE TA dev kit"
    export MFS_TA_SIGN_KEY="${MFS_TA_SIGN_KEY:-$TA_DEV_KIT_DIR/keys/default_ta.pem}"
    [ -f "$MFS_TA_SIGN_KEY" ] || die "signing key $MFS_TA_SIGN_KEY not found"
    # libteec for linking the host side, laid out the way optee-teec-sys
    # expects (usr/lib/libteec.so).
    if [ -z "${OPTEE_CLIENT_EXPORT:-}" ]; then
        OPTEE_CLIENT_EXPORT="$CACHE/optee-client-export"
        mkdir -p "$OPTEE_CLIENT_EXPORT/usr/lib"
        cp -a "$pkg/optee-client-dev/usr/include" "$OPTEE_CLIENT_EXPORT/usr/"
        cp -a "$pkg"/libteec2/usr/lib/aarch64-linux-gnu/libteec.so.2* "$OPTEE_CLIENT_EXPORT/usr/lib/"
        ln -sfn libteec.so.2 "$OPTEE_CLIENT_EXPORT/usr/lib/libteec.so"
    fi
    export OPTEE_CLIENT_EXPORT
    export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
}
