# Demo run inside the guest by ./scripts/run (busybox sh). Each step shows
# the command, then what the TA answered.
set -e
step() { echo; echo "\$ $*"; "$@"; }

echo "== mfs-ta demo: OP-TEE $(uname -m) guest, TA $(cat /usr/share/mfs/ta-uuid) =="
step mfs info
step mfs ping --echo 12345
echo
echo "# Admin commands need the admin identity (root's user login):"
echo "# a public-login session is refused with a defined status."
if step mfs --login public provision --pin-max-tries 5; then exit 1; fi
step mfs provision --pin-max-tries 5
echo
echo "# Provisioning happens once; the machine-readable view:"
if step mfs provision --pin-max-tries 6; then exit 1; fi
step mfs info --json
