# QEMU end-to-end suite, boot 3 (busybox sh): keys after a reboot, sealed
# blob tampering, and the wipe. Prints "MFS-TEST ok|fail NAME" lines.
. /usr/share/mfs/tests/lib.sh
PAY=$(cat $S/pay.id) LIM=$(cat $S/limited.id) WIN=$(cat $S/window.id)

# The key survived the reboot: same public key, still signs.
expect p3_key_survives_reboot 0 sh -c "mfs key public $PAY --format pem | cmp -s - $S/pay.pem"
printf 'second payment after reboot' > $S/msg2.bin
expect p3_key_signs_after_reboot 0 mfs key sign "$PAY" --in $S/msg2.bin --out $S/msg2.sig
artifact msg2.bin $S/msg2.bin
artifact msg2.sig $S/msg2.sig
# The usage count is in secure storage; the PIN window in TA memory only.
expect p3_usage_count_survives_reboot 1 mfs key sign "$LIM" --in $S/msg2.bin
# (a one-hour window opened in boot 2 is closed: TEE time restarts)
expect p3_pin_window_closed_by_reboot 1 mfs key sign "$WIN" --in $S/msg2.bin

# Sealed blob: tampered copies refused, the original restores the key.
tampered() { # NAME OFFSET BYTE-OCTAL: a copy of the blob with one byte replaced
    cp $S/pay.blob /tmp/$1.blob
    printf "\\$3" | dd of=/tmp/$1.blob bs=1 seek=$2 conv=notrunc 2>/dev/null
    if cmp -s $S/pay.blob /tmp/$1.blob; then printf "\\$4" | dd of=/tmp/$1.blob bs=1 seek=$2 conv=notrunc 2>/dev/null; fi
}
expect p3_delete_key 0 mfs key delete "$PAY"
expect p3_deleted_key_unusable 1 mfs key sign "$PAY" --in $S/msg2.bin
size=$(wc -c < $S/pay.blob)
tampered version 0 377 376
tampered label 29 101 102
tampered nonce 100 0 1
tampered tag $((size - 1)) 0 1
for what in version label nonce tag; do
    out=$(mfs key import /tmp/$what.blob 2>&1); rc=$?
    if [ $rc = 1 ] && echo "$out" | grep -q blob-rejected; then t_ok p3_tampered_blob_rejected_$what
    else t_fail p3_tampered_blob_rejected_$what "exit $rc: $out"; fi
done
expect p3_sealed_blob_restores_key 0 mfs key import $S/pay.blob
expect p3_restored_key_same_public 0 sh -c "mfs key public $PAY --format pem | cmp -s - $S/pay.pem"
expect p3_import_twice_refused 1 mfs key import $S/pay.blob

# The event log after the reboot: exported with a signed head, verified
# offline and pinned to the TA attestation key from boot 2.
expect p3_log_export 0 mfs log export --challenge 0123 --out $S/log3.json
expect p3_log_verifies_pinned 0 mfs log verify --trust $S/att.pem --challenge 0123 $S/log3.json
expect p3_log_kept_boot2_entries 0 sh -c "mfs log verify --trust $S/att.pem --list $S/log3.json | grep -q 'pin-failed .*tx sign, 4 tries left'"
expect p3_log_wrong_challenge_refused 6 mfs log verify --trust $S/att.pem --challenge 4567 $S/log3.json
expect p3_log_other_signer_refused 6 mfs log verify --trust $S/pay.pem $S/log3.json
# No pinned key, no verification: a usage error naming both options.
out=$(mfs log verify $S/log3.json 2>&1); rc=$?
if [ $rc = 2 ] && echo "$out" | grep -q -- "--trust" && echo "$out" | grep -q -- "--insecure-any-key"; then t_ok p3_log_verify_needs_trust
else t_fail p3_log_verify_needs_trust "exit $rc: $out"; fi
# The explicit insecure mode verifies the chain and says loudly on stderr
# that the signer is not authenticated.
err=$(mfs log verify --insecure-any-key $S/log3.json 2>&1 >/dev/null); rc=$?
if [ $rc = 0 ] && echo "$err" | grep -q "signer is NOT authenticated"; then t_ok p3_log_verify_insecure_any_key_warns
else t_fail p3_log_verify_insecure_any_key_warns "exit $rc: $err"; fi
# Edited on this side: the verifier names the edited entry.
edit_kind() { # FROM TO: the first entry of kind FROM relabelled TO; prints its seq
    awk -v from="$1" -v to="$2" '
        /"seq":/ { seq = $2; sub(",", "", seq) }
        !done && $0 ~ "\"kind\": \"" from "\"" { sub(from, to); done = 1; hit = seq }
        { print > "/tmp/edited.json" }
        END { print hit }' $S/log3.json
}
SEQ=$(edit_kind pin-failed pin-verified)
out=$(mfs log verify --trust $S/att.pem /tmp/edited.json 2>&1); rc=$?
if [ $rc = 6 ] && echo "$out" | grep -q "(seq $SEQ): altered"; then t_ok p3_log_edited_entry_pinpointed
else t_fail p3_log_edited_entry_pinpointed "seq $SEQ, exit $rc: $out"; fi
SEQ=$(edit_kind tx-signed key-used)
out=$(mfs log verify --trust $S/att.pem /tmp/edited.json 2>&1); rc=$?
if [ $rc = 6 ] && echo "$out" | grep -q "(seq $SEQ): altered"; then t_ok p3_log_edited_tx_entry_pinpointed
else t_fail p3_log_edited_tx_entry_pinpointed "seq $SEQ, exit $rc: $out"; fi
LAST=$(sed -n 's/.*"hash": "\([0-9a-f]*\)".*/\1/p' $S/log3.json | tail -n 1)

# Wipe: admin only; afterwards nothing is usable, old blobs stay dead.
expect p3_wipe_needs_admin 1 mfs --login public wipe --yes
expect p3_wipe_needs_confirmation 2 mfs wipe
expect p3_wipe 0 mfs wipe --yes
expect p3_after_wipe_not_provisioned 0 sh -c 'mfs info --json | grep -q "\"provisioned\":false"'
expect p3_after_wipe_key_gone 0 sh -c "mfs key sign $PAY --in $S/msg2.bin 2>&1 | grep -q not-provisioned"
expect p3_after_wipe_pin_gone 1 mfs pin status
expect p3_after_wipe_no_keys 0 sh -c 'mfs key list | grep -q "no keys"'
expect p3_reprovision 0 mfs provision --issuer-key /usr/share/mfs/tests/issuer-test-key.pem
expect p3_old_blob_dead_after_wipe 0 sh -c "mfs key import $S/pay.blob 2>&1 | grep -q blob-rejected"
# The wipe kept the event log (it holds no secret): the chain continues
# through the wipe, whose entry is there; the head is now signed by the
# new attestation key, pinned anew from an attestation.
expect p3_log_after_wipe_export 0 mfs log export --out $S/log4.json
NEW=$(mfs --json key generate --label after-wipe | json_field id)
expect p3_log_after_wipe_new_attestation_key 0 mfs key attest "$NEW" --challenge 00 --out-key $S/att4.pem
expect p3_log_after_wipe_verifies 0 mfs log verify --trust $S/att4.pem $S/log4.json
expect p3_log_after_wipe_has_wipe 0 sh -c "mfs log verify --trust $S/att4.pem --list $S/log4.json | grep -q ' wiped '"
expect p3_log_after_wipe_same_chain 0 grep -q "\"hash\": \"$LAST\"" $S/log4.json
expect p3_log_after_wipe_new_signer 6 mfs log verify --trust $S/att.pem $S/log4.json

# Rollback within one boot: root copies the REE FS files, spends PIN tries,
# puts the copy back. The TA remembers what it wrote in this lifetime and
# refuses the stale state (storage-rollback) instead of giving tries back;
# the state it left works again. (Across a reboot it cannot tell: see the
# threat model.)
T=/var/lib/optee-client/data/tee
tries_left() { mfs --json pin status | sed -n 's/.*"tries_left":\([0-9]*\).*/\1/p'; }
expect p3_rollback_pin_set 0 sh -c 'echo 2468 | mfs pin set'
rm -rf /tmp/ree-full /tmp/ree-spent && cp -a $T /tmp/ree-full
for i in 1 2 3; do echo 0000 | mfs pin verify >/dev/null 2>&1; done
if [ "$(tries_left)" = 2 ]; then t_ok p3_rollback_tries_spent; else t_fail p3_rollback_tries_spent "$(mfs pin status 2>&1)"; fi
cp -a $T /tmp/ree-spent
rm -rf $T && cp -a /tmp/ree-full $T
# (OP-TEE's REE FS itself may notice the swapped directory on the first
# access after it and answer storage-failure; from then on the TA's memory
# refuses the stale state.) Even the right PIN is refused.
out=$(echo 2468 | mfs pin verify 2>&1); rc=$?
if [ $rc != 0 ] && echo "$out" | grep -Eq 'storage-rollback|storage-failure'; then t_ok p3_rollback_gives_no_tries_back
else t_fail p3_rollback_gives_no_tries_back "exit $rc: $out"; fi
out=$(echo 2468 | mfs pin verify 2>&1); rc=$?
if [ $rc != 0 ] && echo "$out" | grep -q storage-rollback; then t_ok p3_rollback_refused_as_rollback
else t_fail p3_rollback_refused_as_rollback "exit $rc: $out"; fi
expect p3_rollback_status_refused 0 sh -c 'mfs pin status 2>&1 | grep -q storage-rollback'
rm -rf $T && cp -a /tmp/ree-spent $T
if [ "$(tries_left)" = 2 ]; then t_ok p3_rollback_restored_state_works; else t_fail p3_rollback_restored_state_works "$(mfs pin status 2>&1)"; fi
expect p3_rollback_right_pin_after 0 sh -c 'echo 2468 | mfs pin verify'

# The production policy on storage that is not rollback-protected: PIN,
# consent and usage-limited services are refused with their own status;
# the rest works.
expect p3_rrp_wipe 0 mfs wipe --yes
expect p3_rrp_provision 0 mfs provision --issuer-key /usr/share/mfs/tests/issuer-test-key.pem --require-rollback-protection
expect p3_rrp_pin_set_refused 0 sh -c 'echo 2468 | mfs pin set 2>&1 | grep -q rollback-unprotected'
expect p3_rrp_limited_key_refused 0 sh -c 'mfs key generate --label lim --max-uses 2 2>&1 | grep -q rollback-unprotected'
expect p3_rrp_consent_key_refused 0 sh -c 'mfs key generate --label pay --pin per-use 2>&1 | grep -q rollback-unprotected'
PLAIN=$(mfs --json key generate --label plain | json_field id)
expect p3_rrp_plain_key_signs 0 mfs key sign "$PLAIN" --in $S/msg2.bin
