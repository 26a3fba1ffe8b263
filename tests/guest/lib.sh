# Helpers shared by the guest test phases (busybox sh). Each check prints
# "MFS-TEST ok NAME" or "MFS-TEST fail NAME: WHY"; the host counts them.
t_ok()   { echo "MFS-TEST ok $1"; }
t_fail() { echo "MFS-TEST fail $1: $2"; }
expect() { # NAME EXPECTED-EXIT-CODE COMMAND...
    name=$1 want=$2; shift 2
    out=$("$@" 2>&1); rc=$?
    if [ "$rc" = "$want" ]; then t_ok "$name"; else t_fail "$name" "exit $rc (want $want): $out"; fi
}
says() { # NAME EXPECTED-EXIT-CODE TEXT COMMAND...: the exit code, and TEXT in the output
    name=$1 want=$2 text=$3; shift 3
    out=$("$@" 2>&1); rc=$?
    if [ "$rc" = "$want" ] && echo "$out" | grep -qF -- "$text"; then t_ok "$name"
    else t_fail "$name" "exit $rc (want $want, text '$text'): $out"; fi
}
# Prints a file as "MFS-ARTIFACT NAME HEX" for checks on the host side
# (openssl runs there; the guest has none).
artifact() { echo "MFS-ARTIFACT $1 $(od -An -tx1 -v "$2" | tr -d ' \n')"; }
# The value of a string field in one-line JSON: json_field FIELD < JSON
json_field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
# Runs a command as a payment app of its own: Linux user $1 in the TEE
# client group, a client identity with its own PIN and keys, so a test group
# sets up its own state whatever earlier tests left.
as_app() { uid=$1; shift; mfs-e2e --exec-as "$uid" "$@"; }
# Enters a wrong PIN as app $1 until its PIN is blocked, waiting out the
# throttle (long bounds, never a race). Fails after 60 tries.
block_pin_of() {
    n=0
    while [ $n -lt 60 ]; do
        out=$(echo 000000 | as_app "$1" mfs pin verify 2>&1)
        case "$out" in
            *pin-blocked*) return 0 ;;
            *pin-throttled*) sleep 1 ;;
        esac
        n=$((n + 1))
    done
    echo "still not blocked: $out"; return 1
}
# Persistent test state (on the secure-storage disk, so it survives reboots).
S=/var/lib/optee-client/mfs-test
mkdir -p $S
