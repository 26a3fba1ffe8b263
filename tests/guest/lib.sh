# Helpers shared by the guest test phases (busybox sh). Each check prints
# "MFS-TEST ok NAME" or "MFS-TEST fail NAME: WHY"; the host counts them.
t_ok()   { echo "MFS-TEST ok $1"; }
t_fail() { echo "MFS-TEST fail $1: $2"; }
expect() { # NAME EXPECTED-EXIT-CODE COMMAND...
    name=$1 want=$2; shift 2
    out=$("$@" 2>&1); rc=$?
    if [ "$rc" = "$want" ]; then t_ok "$name"; else t_fail "$name" "exit $rc (want $want): $out"; fi
}
# Prints a file as "MFS-ARTIFACT NAME HEX" for checks on the host side
# (openssl runs there; the guest has none).
artifact() { echo "MFS-ARTIFACT $1 $(od -An -tx1 -v "$2" | tr -d ' \n')"; }
# The value of a string field in one-line JSON: json_field FIELD < JSON
json_field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
# Persistent test state (on the secure-storage disk, so it survives reboots).
S=/var/lib/optee-client/mfs-test
mkdir -p $S
