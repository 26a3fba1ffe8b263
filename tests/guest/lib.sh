# Helpers shared by the guest test phases (busybox sh). Each check prints
# "MFS-TEST ok NAME" or "MFS-TEST fail NAME: WHY"; the host counts them.
t_ok()   { echo "MFS-TEST ok $1"; }
t_fail() { echo "MFS-TEST fail $1: $2"; }
expect() { # NAME EXPECTED-EXIT-CODE COMMAND...
    name=$1 want=$2; shift 2
    out=$("$@" 2>&1); rc=$?
    if [ "$rc" = "$want" ]; then t_ok "$name"; else t_fail "$name" "exit $rc (want $want): $out"; fi
}
