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

# ---- keys, through the CLI (issue: keys generated, sealed, policy-bound) ----
mfs --json key generate --label pay --exportable > $S/pay.json
PAY=$(json_field id < $S/pay.json)
if [ -n "$PAY" ]; then t_ok p2_cli_key_generate; else t_fail p2_cli_key_generate "$(cat $S/pay.json)"; fi
echo "$PAY" > $S/pay.id
expect p2_cli_key_list 0 sh -c "mfs key list | grep -q '^$PAY  sign'"
expect p2_cli_key_public_pem 0 mfs key public "$PAY" --format pem --out $S/pay.pem
expect p2_cli_key_public_der 0 mfs key public "$PAY" --format der --out $S/pay.der
printf 'pay 12.34 EUR to ACME Ltd, order 981' > $S/msg.bin
expect p2_cli_key_sign 0 mfs key sign "$PAY" --in $S/msg.bin --out $S/msg.sig
artifact pay.pem $S/pay.pem
artifact pay.der $S/pay.der
artifact msg.bin $S/msg.bin
artifact msg.sig $S/msg.sig
expect p2_cli_key_attest 0 mfs key attest "$PAY" --challenge 5eed0001c0ffee \
    --out-statement $S/att.bin --out-signature $S/att.sig --out-key $S/att.pem
artifact att.bin $S/att.bin
artifact att.sig $S/att.sig
artifact att.pem $S/att.pem
expect p2_cli_key_attest_pinned_other_key_refused 6 mfs key attest "$PAY" --challenge 00 --trust $S/pay.pem
expect p2_cli_key_export_sealed 0 mfs key export "$PAY" --out $S/pay.blob

# Policy refusals: each a distinct detail, the CLI exits 1.
refused() { # NAME REASON COMMAND...: refused with policy-violation REASON
    name=$1 reason=$2; shift 2
    out=$("$@" 2>&1); rc=$?
    if [ "$rc" = 1 ] && echo "$out" | grep -q "policy-violation ($reason)"; then t_ok "$name"
    else t_fail "$name" "exit $rc: $out"; fi
}
gen() { mfs --json key generate "$@" | json_field id; }
PU=$(gen --label per-use --pin per-use)
refused p2_cli_per_use_key_needs_consent_signing pin-per-use mfs key sign "$PU" --in $S/msg.bin
refused p2_cli_not_exportable_export not-exportable mfs key export "$PU" --out /tmp/x
AT=$(gen --label attester --purpose attest)
refused p2_cli_attest_key_cannot_sign wrong-purpose mfs key sign "$AT" --in $S/msg.bin
LIM=$(gen --label limited --max-uses 2)
echo "$LIM" > $S/limited.id
expect p2_cli_limited_use_1 0 mfs key sign "$LIM" --in $S/msg.bin
expect p2_cli_limited_use_2 0 mfs key sign "$LIM" --in $S/msg.bin
refused p2_cli_limited_use_3_refused usage-exhausted mfs key sign "$LIM" --in $S/msg.bin
EXP=$(gen --label expiring --expires-in 2)
expect p2_cli_expiring_key_signs_before 0 mfs key sign "$EXP" --in $S/msg.bin
WIN=$(gen --label windowed --pin window --pin-window 2)
LONG=$(gen --label window-1h --pin window --pin-window 3600)
echo "$LONG" > $S/window.id
sleep 3
refused p2_cli_expired_key_refused expired mfs key sign "$EXP" --in $S/msg.bin
refused p2_cli_window_key_needs_recent_pin pin-window mfs key sign "$WIN" --in $S/msg.bin
expect p2_cli_pin_verify_opens_window 0 sh -c 'echo 1357 | mfs pin verify'
expect p2_cli_window_key_signs_after_verify 0 mfs key sign "$WIN" --in $S/msg.bin
expect p2_cli_long_window_key_signs 0 mfs key sign "$LONG" --in $S/msg.bin
expect p2_cli_key_generate_bad_policy_refused 1 mfs key generate --label x --max-uses 3 --exportable
expect p2_cli_key_bad_id_is_local_error 5 mfs key info not-a-key-id
