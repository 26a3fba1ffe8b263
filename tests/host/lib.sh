# Helpers for the host-side checks of guest artifacts (bash). Each check
# prints "MFS-TEST ok NAME" or "MFS-TEST fail NAME: WHY", like the guest.
A=$1
t_ok()   { echo "MFS-TEST ok $1"; }
t_fail() { echo "MFS-TEST fail $1: $2"; }
expect() { # NAME EXPECTED-EXIT-CODE COMMAND...
    local name=$1 want=$2 out rc; shift 2
    out=$("$@" 2>&1); rc=$?
    if [ "$rc" = "$want" ]; then t_ok "$name"; else t_fail "$name" "exit $rc (want $want): $out"; fi
}
need() { # FILE...: every artifact the checks use must have arrived
    local f
    for f in "$@"; do [ -s "$A/$f" ] || { t_fail "host_artifact_$f" "missing"; return 1; }; done
}
hexof() { od -An -tx1 -v "$1" | tr -d ' \n'; }
