# QEMU end-to-end suite, boot 2 (busybox sh): the same secure storage
# after a reboot. Prints "MFS-TEST ok|fail NAME" lines like phase 1.
. /usr/share/mfs/tests/lib.sh
K=/usr/share/mfs/tests/issuer-test-key.pem

expect p2_provisioning_survived_reboot 0 sh -c 'mfs info --json | grep -q "\"provisioned\":true"'

# Still blocked after the reboot; forged and valid issuer unblocks.
mfs-e2e --phase2; rc=$?
[ "$rc" -ge 128 ] && t_fail mfs_e2e_binary_phase2 "killed by signal $((rc - 128))"

# The same through the CLI (the e2e run left PIN 739146285037, 5 tries).
expect p2_cli_pin_verify 0 sh -c 'echo 739146285037 | mfs pin verify'
expect p2_cli_pin_verify_wrong 1 sh -c 'echo 000000 | mfs pin verify'
expect p2_cli_pin_change 0 sh -c 'printf "739146285037\n2468\n" | mfs pin change'
expect p2_cli_pin_verify_new 0 sh -c 'echo 2468 | mfs pin verify --json | grep -q "\"tries_left\":5"'
expect p2_cli_pin_unblock 0 sh -c 'echo 1357 | mfs pin unblock --issuer-key '$K
expect p2_cli_pin_verify_after_unblock 0 sh -c 'echo 1357 | mfs pin verify'
