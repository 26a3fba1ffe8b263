# QEMU end-to-end suite, boot 1 (busybox sh). Every check prints
# "MFS-TEST ok NAME" or "MFS-TEST fail NAME: WHY"; the host counts them.
. /usr/share/mfs/tests/lib.sh

# The TA boundary, through raw libteec calls. Failed tests report
# themselves; a crash of the binary is one more failure.
mfs-e2e; rc=$?
[ "$rc" -ge 128 ] && t_fail mfs_e2e_binary "killed by signal $((rc - 128))"

# The CLI.
expect cli_ping 0 mfs ping --echo 42
expect cli_info_json 0 sh -c 'mfs info --json | grep -q "\"storage\":\"ree-fs\""'
K=/usr/share/mfs/tests/issuer-test-key.pem
expect cli_public_login_cannot_provision 1 mfs --login public provision --issuer-key $K
expect cli_provision_twice_refused 1 mfs provision --issuer-key $K
expect cli_bad_uuid_is_tee_error 3 mfs --uuid 00000000-0000-0000-0000-000000000000 ping
expect cli_usage_error 2 mfs provision --pin-max-tries notanumber --issuer-key $K
# The e2e run above left the PIN blocked (it stays so across the reboot).
expect cli_pin_status_blocked 0 sh -c 'mfs pin status | grep -q BLOCKED'
expect cli_pin_verify_blocked_refused 1 sh -c 'echo 739146285037 | mfs pin verify'
expect cli_pin_short_pin_is_local_error 5 sh -c 'echo 12 | mfs pin verify'
expect cli_pin_unblock_without_key_file 5 sh -c 'echo 1234 | mfs pin unblock --issuer-key /nonexistent'
expect cli_pin_still_blocked 0 sh -c 'mfs pin status --json | grep -q "\"blocked\":true"' 

# OP-TEE's own regression case 1001 as a platform smoke test.
if xtest -t regression 1001 > /tmp/xtest.log 2>&1; then t_ok xtest_regression_1001
else t_fail xtest_regression_1001 "$(tail -5 /tmp/xtest.log | tr '\n' ' ')"; fi
