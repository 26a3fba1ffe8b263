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
# The CLI explains itself: one cause, one message (and its exit code).
Z=00000000-0000-0000-0000-000000000000
says cli_missing_ta_named 3 "TA $Z not found or not signed with a key this OP-TEE trusts" mfs --uuid $Z ping
says cli_malformed_uuid_is_usage 2 "not a UUID" mfs --uuid 1234 ping
jsonly() { out=$("$@"); rc=$?; echo "$out" | grep -q '^{.*"usage":true.*}$' && [ "$(echo "$out" | wc -l)" = 1 ] && return $rc; echo "$out"; return 99; }
expect cli_json_usage_error_is_one_object 2 jsonly mfs --json --no-such-option ping
expect cli_json_malformed_uuid_is_one_object 2 jsonly mfs --json --uuid 1234 ping
says cli_help_lists_exit_codes 0 "Exit codes:" mfs --help
says cli_missing_file_named 5 "cannot read /nonexistent" mfs key sign 0123456789abcdef --in /nonexistent
head -c 600 /dev/zero > /tmp/long.bin
says cli_long_message_named 5 "a message to sign is at most 512 bytes" mfs key sign 0123456789abcdef --in /tmp/long.bin
says cli_bad_key_id_named 5 "a key id is 16 hex digits" mfs key sign 12 --in /etc/passwd
says cli_not_admin_names_admin 1 "admin commands need the identity this TA was built for (user login as root (uid 0)), this session logged in as user" as_app 1002 mfs provision --issuer-key $K
says cli_public_denied_explained 1 "a public login may use ping and info only" mfs --login public pin status
says cli_refusal_in_words 1 "provisioned already" mfs provision --issuer-key $K
# The CLI's PIN commands as a payment app of its own (uid 1001): it sets
# and blocks its own PIN, whatever the e2e run above left for root.
# (`sh -c` shells source lib.sh for its helpers.)
L='. /usr/share/mfs/tests/lib.sh;'
expect cli_app_pin_set 0 sh -c "$L echo 2580 | as_app 1001 mfs pin set"
expect cli_app_pin_verify 0 sh -c "$L echo 2580 | as_app 1001 mfs pin verify"
expect cli_app_pin_blocked_by_wrong_tries 0 block_pin_of 1001
expect cli_pin_status_blocked 0 sh -c "$L as_app 1001 mfs pin status | grep -q BLOCKED"
expect cli_pin_verify_blocked_refused 1 sh -c "$L echo 2580 | as_app 1001 mfs pin verify"
expect cli_pin_short_pin_is_local_error 5 sh -c "$L echo 12 | as_app 1001 mfs pin verify"
expect cli_pin_unblock_without_key_file 5 sh -c "$L echo 1234 | as_app 1001 mfs pin unblock --issuer-key /nonexistent"
expect cli_pin_still_blocked 0 sh -c "$L as_app 1001 mfs pin status --json | grep -q '\"blocked\":true'"
# Another app (uid 1002) has no PIN, and sees none of app 1001's keys.
expect cli_other_app_has_no_pin 0 sh -c "$L as_app 1002 mfs pin status --json | grep -q '\"set\":false'"
K1=$(as_app 1001 mfs --json key generate --label app1 | json_field id)
expect cli_app_key_generate 0 test -n "$K1"
expect cli_app_key_info_own 0 as_app 1001 mfs key info "$K1"
expect cli_other_app_cannot_see_key 1 as_app 1002 mfs key info "$K1"
expect cli_root_cannot_see_app_key 1 mfs key info "$K1"

# OP-TEE's own regression case 1001 as a platform smoke test.
if xtest -t regression 1001 > /tmp/xtest.log 2>&1; then t_ok xtest_regression_1001
else t_fail xtest_regression_1001 "$(tail -5 /tmp/xtest.log | tr '\n' ' ')"; fi
