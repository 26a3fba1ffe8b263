# QEMU end-to-end suite, boot 2 (busybox sh): the same secure storage
# after a reboot. Prints "MFS-TEST ok|fail NAME" lines like phase 1.
. /usr/share/mfs/tests/lib.sh
K=/usr/share/mfs/tests/issuer-test-key.pem

expect p2_provisioning_survived_reboot 0 sh -c 'mfs info --json | grep -q "\"provisioned\":true"'

# Still blocked after the reboot; forged and valid issuer unblocks.
mfs-e2e --phase2; rc=$?
[ "$rc" -ge 128 ] && t_fail mfs_e2e_binary_phase2 "killed by signal $((rc - 128))"

# The same through the CLI. Set-up first, whatever the e2e run left: an
# issuer unblock gives root PIN 739146285037 with every try.
expect p2_cli_setup_known_pin 0 sh -c 'echo 739146285037 | mfs pin unblock --issuer-key '$K
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
# Bounds are long and the clocks are moved, never raced: the key expires in
# 10 minutes on the REE clock, which is the normal world's and is set
# forward past it; the PIN window (TEE system time, which only runs) is 10 s
# and is waited out once.
EXP=$(gen --label expiring --expires-in 600)
expect p2_cli_expiring_key_signs_before 0 mfs key sign "$EXP" --in $S/msg.bin
WIN=$(gen --label windowed --pin window --pin-window 10)
LONG=$(gen --label window-1h --pin window --pin-window 3600)
echo "$LONG" > $S/window.id
date -s "@$(( $(date +%s) + 700 ))" >/dev/null
sleep 11
refused p2_cli_expired_key_refused expired mfs key sign "$EXP" --in $S/msg.bin
refused p2_cli_window_key_needs_recent_pin pin-window mfs key sign "$WIN" --in $S/msg.bin
expect p2_cli_pin_verify_without_key_opens_no_window 0 sh -c 'echo 1357 | mfs pin verify'
refused p2_cli_window_key_still_needs_its_own_verify pin-window mfs key sign "$WIN" --in $S/msg.bin
expect p2_cli_pin_verify_opens_window 0 sh -c "echo 1357 | mfs pin verify --key $WIN"
expect p2_cli_window_key_signs_after_verify 0 mfs key sign "$WIN" --in $S/msg.bin
# one PIN entry, one signature: the window closed with that use
refused p2_cli_window_is_one_use pin-window mfs key sign "$WIN" --in $S/msg.bin
refused p2_cli_window_is_per_key pin-window mfs key sign "$LONG" --in $S/msg.bin
expect p2_cli_pin_verify_opens_long_window 0 sh -c "echo 1357 | mfs pin verify --key $LONG"
expect p2_cli_long_window_key_signs 0 mfs key sign "$LONG" --in $S/msg.bin
expect p2_cli_key_generate_bad_policy_refused 1 mfs key generate --label x --max-uses 3 --exportable
expect p2_cli_key_bad_id_is_local_error 5 mfs key info not-a-key-id

# ---- transactions signed with consent, and the event log ----
TX=$(gen --label payments --pin per-use)
echo "$TX" > $S/tx.id
mfs key public "$TX" --format pem --out $S/tx.pem
C1=000102030405060708090a0b0c0d0e0f C2=101112131415161718191a1b1c1d1e1f C3=202122232425262728292a2b2c2d2e2f
txsign() { # PIN CHALLENGE NAME: sign a 12.50 EUR payment, output in $S/NAME.*
    echo "$1" | mfs tx sign "$TX" --amount 1250 --currency EUR --payee 'ACME Coffee' \
        --display 'Pay 12.50 EUR to ACME Coffee?' --challenge "$2" --time 1763800000 \
        --out $S/$3.json --out-signed $S/$3.bin --out-signature $S/$3.sig
}
expect p2_tx_sign_with_pin 0 txsign 1357 $C1 tx1
expect p2_tx_verify_offline 0 mfs tx verify --key $S/tx.pem --challenge $C1 $S/tx1.json
artifact tx.pem $S/tx.pem
artifact tx1.bin $S/tx1.bin
artifact tx1.sig $S/tx1.sig
expect p2_tx_sign_second 0 txsign 1357 $C2 tx2
counter() { sed -n 's/.*"counter":\([0-9]*\).*/\1/p' "$1"; }
N1=$(counter $S/tx1.json) N2=$(counter $S/tx2.json)
if [ -n "$N1" ] && [ "$N2" = $((N1 + 1)) ]; then t_ok p2_tx_counter_rises; else t_fail p2_tx_counter_rises "$N1 then $N2"; fi
expect p2_tx_series_verifies 0 mfs tx verify --key $S/tx.pem --challenge $C1 --challenge $C2 $S/tx1.json $S/tx2.json
expect p2_tx_replayed_record_refused 6 mfs tx verify --key $S/tx.pem $S/tx1.json $S/tx2.json $S/tx2.json
expect p2_tx_series_out_of_order_refused 6 mfs tx verify --key $S/tx.pem $S/tx2.json $S/tx1.json
expect p2_tx_already_seen_counter_refused 6 mfs tx verify --key $S/tx.pem --after $N2 $S/tx2.json
expect p2_tx_wrong_challenge_refused 6 mfs tx verify --key $S/tx.pem --challenge $C2 $S/tx1.json
expect p2_tx_other_key_refused 6 mfs tx verify --key $S/pay.pem $S/tx1.json
# a wrong PIN makes no signature and is logged; the counter does not move
expect p2_tx_wrong_pin_refused 1 txsign 9999 $C3 tx-bad
if [ ! -s $S/tx-bad.json ]; then t_ok p2_tx_wrong_pin_no_signature; else t_fail p2_tx_wrong_pin_no_signature "$(cat $S/tx-bad.json)"; fi
expect p2_log_export 0 mfs log export --challenge c0ffee --out $S/log2.json
# (the outcome entry, then the refused transaction: key, unused counter, hash)
expect p2_tx_wrong_pin_logged 0 sh -c "mfs log verify --trust $S/att.pem --list $S/log2.json | grep -v '^log verified' | tail -n 2 > $S/last2 && head -n 1 $S/last2 | grep -q 'pin-failed .*tx sign, 4 tries left, record ' && tail -n 1 $S/last2 | grep -q 'tx-refused .*not signed'"
expect p2_tx_signature_logged 0 sh -c "mfs log verify --trust $S/att.pem --list $S/log2.json | grep -q 'tx-signed .*$TX counter $N2 '"
txsign 1357 $C3 tx3 >/dev/null 2>&1
N3=$(counter $S/tx3.json)
if [ "$N3" = $((N2 + 1)) ]; then t_ok p2_tx_after_wrong_pin_next_counter; else t_fail p2_tx_after_wrong_pin_next_counter "$N2 then $N3"; fi
# signing records the key's use; a tx key needs its PIN in the same call
refused p2_tx_key_plain_sign_refused pin-per-use mfs key sign "$TX" --in $S/msg.bin
# What you see is what you sign: a display that does not show the amount
# signed, or a payee with a bidi control (U+202E), is refused before the
# PIN is read (exit 5, nothing sent); the display is shown before the PIN
# prompt, on stderr also with --json.
C4=303132333435363738393a3b3c3d3e3f
expect p2_tx_contradicting_display_refused 5 sh -c "echo 1357 | mfs tx sign $TX --amount 100000000 --currency EUR --payee ACME --display 'Pay 1.00 EUR to ACME?' --challenge $C4"
RLO=$(printf '\342\200\256')
expect p2_tx_bidi_payee_refused 5 sh -c "echo 1357 | mfs tx sign $TX --amount 100 --currency EUR --payee 'AC${RLO}EM' --challenge $C4"
expect p2_tx_unknown_currency_refused 5 sh -c "echo 1357 | mfs tx sign $TX --amount 100 --currency XAU --payee ACME --challenge $C4"
expect p2_tx_display_shown_before_pin 0 sh -c "echo 1357 | mfs --json tx sign $TX --amount 100000000 --currency EUR --payee ACME --challenge $C4 >$S/tx4.json 2>$S/tx4.err && grep -qF '| Pay 1000000.00 EUR to ACME?' $S/tx4.err"
expect p2_tx_verify_shows_amount 0 sh -c "mfs tx verify --key $S/tx.pem $S/tx4.json | grep -q '^amount      1000000.00 EUR (100000000 minor units)'"
# a window left open at the end of this boot (phase 3: a reboot closes it)
expect p2_cli_pin_verify_reopens_long_window 0 sh -c "echo 1357 | mfs pin verify --key $LONG"
# The C library from C (host/capi/examples/mfs-pay.c): a payment app of
# its own makes a per-use key, pays with proof of consent and verifies the
# exported log (tests/host/phase2.sh checks its signature with OpenSSL);
# a group login (the TEE client group) is seen as one and gets ping/info.
mkdir -p /tmp/cpay && chmod 0777 /tmp/cpay
expect p2_c_example_pays 0 as_app 1003 mfs-pay pay /tmp/cpay
for f in pay.pem tx.bin tx.sig; do [ -s /tmp/cpay/$f ] && artifact c-$f /tmp/cpay/$f; done
expect p2_c_example_group_login 0 as_app 1003 mfs-pay group 990
# A TA built with MFS_ADMIN_LOGIN=group for the TEE client group (the test
# image's second TA, scripts/build): the group login is its admin, the
# user login of the same process is not.
GA=$(cat /usr/share/mfs/tests/group-admin-ta-uuid)
expect p2_c_group_login_is_admin_of_group_admin_ta 0 as_app 1003 mfs-pay group-admin 990 "$GA"
