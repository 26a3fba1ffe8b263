#!/usr/bin/env bash
# Download the target-side (arm64) Debian "trixie" packages for OP-TEE QEMU
# into $CACHE/debs and unpack them into $CACHE/pkg/<name>, using a private apt
# root: the host's apt sources and dpkg database are never touched.
#
# The mirror is the one the host already uses for Debian (read from its apt
# sources); set MFS_DEBIAN_MIRROR to override.
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

SUITE="${MFS_DEBIAN_SUITE:-trixie}"
APTROOT="$CACHE/apt"
DEBS="$CACHE/debs"
PKG="$CACHE/pkg"

# Target packages: name and, for the OP-TEE parts, the upstream series the
# project is built and tested against.
PACKAGES=(
    optee-os optee-os-dev u-boot-qemu
    tee-supplicant libteec2 libckteec0t64 optee-client-dev optee-test-qemu
    busybox-static libc6 libgcc-s1 libssl3t64 libzstd1 zlib1g
)
OPTEE_SERIES="4.5."

host_mirror() {
    if [ -n "${MFS_DEBIAN_MIRROR:-}" ]; then echo "$MFS_DEBIAN_MIRROR"; return; fi
    local m=""
    # deb822 sources: the stanza whose Suites name the host's own codename.
    local codename
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
    if compgen -G "/etc/apt/sources.list.d/*.sources" >/dev/null; then
        m=$(awk -v c="$codename" '
            /^URIs:/   { u=$2 }
            /^Suites:/ { for (i=2;i<=NF;i++) if ($i==c) found=u }
            /^$/       { if (found!="") { print found; exit } u="" }
            END        { if (found!="") print found }' \
            /etc/apt/sources.list.d/*.sources | head -n1)
    fi
    if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
        m=$(awk -v c="$codename" '$1=="deb" { for (i=2;i<=NF;i++) if ($i==c) { print $(i-1); exit } }' \
            /etc/apt/sources.list | sed 's/^\[.*\]$//' | head -n1)
    fi
    [ -n "$m" ] || die "cannot find the host's Debian mirror; set MFS_DEBIAN_MIRROR"
    echo "$m"
}

KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$KEYRING" ] || die "missing $KEYRING (package debian-archive-keyring)"

mkdir -p "$APTROOT"/{etc/apt.conf.d,etc/preferences.d,etc/sources.list.d,state/lists/partial,cache/archives/partial} \
         "$DEBS" "$PKG"
touch "$APTROOT/status"
MIRROR=$(host_mirror)
cat > "$APTROOT/etc/sources.list" <<SRC
deb [arch=arm64 signed-by=$KEYRING] $MIRROR $SUITE main
deb-src [signed-by=$KEYRING] $MIRROR $SUITE main
SRC

APT=(apt-get
     -o Dir::Etc::sourcelist="$APTROOT/etc/sources.list"
     -o Dir::Etc::sourceparts="$APTROOT/etc/sources.list.d"
     -o Dir::Etc::preferences="$APTROOT/etc/preferences"
     -o Dir::Etc::preferencesparts="$APTROOT/etc/preferences.d"
     -o Dir::State="$APTROOT/state"
     -o Dir::State::status="$APTROOT/status"
     -o Dir::Cache="$APTROOT/cache"
     -o APT::Architecture=arm64
     -o APT::Architectures::=arm64
     -o APT::Sandbox::User=root
     -o Acquire::Languages=none
     -q)
CACHE_CMD=(apt-cache "${APT[@]:1}")

# Refresh the index at most once a day (or when it is missing).
stamp="$APTROOT/state/updated"
if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +1440)" ]; then
    log "updating private apt index ($SUITE arm64)"
    "${APT[@]}" update >/dev/null
    touch "$stamp"
fi

candidate() { "${CACHE_CMD[@]}" policy "$1" | awk '/Candidate:/ {print $2}'; }

# The kernel: resolve the cloud-arm64 metapackage to the versioned image.
KPKG=$("${CACHE_CMD[@]}" depends linux-image-cloud-arm64 \
       | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[ -n "$KPKG" ] || die "cannot resolve linux-image-cloud-arm64"

versions="$CACHE/versions.txt.new"
: > "$versions"
for p in "${PACKAGES[@]}" "$KPKG"; do
    v=$(candidate "$p")
    [ -n "$v" ] && [ "$v" != "(none)" ] || die "package $p not found in $SUITE"
    case "$p" in optee-*|tee-supplicant|libteec2|libckteec0t64)
        case "$v" in "$OPTEE_SERIES"*) ;; *) die "$p is $v, expected $OPTEE_SERIES*";; esac;;
    esac
    echo "$p $v" >> "$versions"
    d="$DEBS/$p"
    if [ "$(cat "$d/.version" 2>/dev/null)" != "$v" ]; then
        log "downloading $p $v"
        rm -rf "$d"; mkdir -p "$d"
        (cd "$d" && "${APT[@]}" download "$p=$v" >/dev/null)
        echo "$v" > "$d/.version"
    fi
    if [ "$(cat "$PKG/$p/.version" 2>/dev/null)" != "$v" ]; then
        rm -rf "${PKG:?}/$p"; mkdir -p "$PKG/$p"
        dpkg-deb -x "$d"/*.deb "$PKG/$p"
        echo "$v" > "$PKG/$p/.version"
    fi
done
echo "kernel-package $KPKG" >> "$versions"

# TF-A is built from Debian's source package (no qemu binary is shipped).
v=$(awk '/^Version:/ {print $2; exit}' < <("${CACHE_CMD[@]}" showsrc arm-trusted-firmware))
echo "arm-trusted-firmware(source) $v" >> "$versions"
src="$CACHE/src/arm-trusted-firmware-$v"
if [ ! -f "$src/.unpacked" ]; then
    log "downloading TF-A source $v"
    mkdir -p "$CACHE/src/dl" && rm -rf "$src"
    (cd "$CACHE/src/dl" && "${APT[@]}" source --download-only "arm-trusted-firmware=$v" >/dev/null)
    dsc=$(ls "$CACHE/src/dl/arm-trusted-firmware_${v#*:}.dsc")
    dpkg-source --no-check -x "$dsc" "$src" >/dev/null
    touch "$src/.unpacked"
fi
ln -sfn "$src" "$CACHE/src/arm-trusted-firmware"
mv "$versions" "$CACHE/versions.txt"
log "platform packages ready ($(wc -l < "$CACHE/versions.txt") entries in versions.txt)"
