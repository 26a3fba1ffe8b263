# Demo run inside the guest by ./scripts/run (busybox sh). Each step shows
# the command, then what the TA answered.
set -e
step() { echo; echo "\$ $*"; "$@"; }
refused() { echo; echo "\$ $* (expected to be refused)"; if "$@"; then exit 1; fi; }
K=/usr/share/mfs/tests/issuer-test-key.pem

echo "== mfs-ta demo: OP-TEE $(uname -m) guest, TA $(cat /usr/share/mfs/ta-uuid) =="
step mfs info
step mfs ping --echo 12345

echo
echo "# Provisioning is for the admin identity (root's user login) only, once."
echo "# The issuer key authorises PIN unblocks (a demo key stands in for the issuer)."
refused mfs --login public provision --issuer-key $K
step mfs provision --pin-max-tries 3 --pin-throttle-ms 0 --issuer-key $K
echo "# DEVELOPMENT POLICY: this QEMU TA keeps its state on REE FS, which normal-world"
echo "# root can roll back across reboots. A product is provisioned with"
echo "# --require-rollback-protection: PIN, consent and usage-limited keys then work"
echo "# only on RPMB (here they would be refused with rollback-unprotected)."

echo
echo "# PINs travel only as ISO 9564 format-4 blocks under an ECDH session key."
echo "\$ echo <PIN> | mfs pin set"; echo 4739 | mfs pin set
echo "\$ echo <wrong PIN> | mfs pin verify"; if echo 0000 | mfs pin verify; then exit 1; fi
echo "\$ echo <PIN> | mfs pin verify"; echo 4739 | mfs pin verify
echo "# three wrong PINs block it; then even the right one is refused:"
for i in 1 2 3; do echo 0000 | mfs pin verify || true; done
if echo 4739 | mfs pin verify; then exit 1; fi
step mfs pin status
echo "\$ echo <new PIN> | mfs pin unblock --issuer-key ..."; echo 8642 | mfs pin unblock --issuer-key $K
echo "\$ echo <new PIN> | mfs pin verify --json"; echo 8642 | mfs pin verify --json
step mfs info --json

echo
echo "# Keys: generated in the TA, sealed with AES-256-GCM, bound to a policy."
echo "# This one signs once within 60 s of a PIN verification that names it:"
echo "# one PIN entry, one signature."
ID=$(mfs --json key generate --label wallet --pin window --pin-window 60 \
    | sed -n 's/.*"id":"\([0-9a-f]*\)".*/\1/p')
step mfs key info "$ID"
step mfs key public "$ID" --format pem
printf 'pay 12.34 EUR to ACME Ltd' > /tmp/msg
echo "\$ echo <PIN> | mfs pin verify --key $ID"; echo 8642 | mfs pin verify --key "$ID"
step mfs key sign "$ID" --in /tmp/msg
echo "# The window closed with that signature:"
refused mfs key sign "$ID" --in /tmp/msg
echo "# A key good for one signature only:"
ONE=$(mfs --json key generate --label one-shot --max-uses 1 \
    | sed -n 's/.*"id":"\([0-9a-f]*\)".*/\1/p')
step mfs key sign "$ONE" --in /tmp/msg
refused mfs key sign "$ONE" --in /tmp/msg
echo "# A TA-signed statement about the key and the platform, verified here;"
echo "# its signer, the TA attestation key, is kept to pin later verifications:"
step mfs key attest "$ID" --challenge 5eed0001c0ffee --out-key /tmp/att.pem
step mfs key list

echo
echo "# A payment signed with proof of consent: the PIN block travels in the same"
echo "# TA call as the record, and the TA signs only if the PIN matches. The"
echo "# signed record carries the TA's anti-replay counter and says how the user"
echo "# was verified (PIN in the TA; the display is not a trusted UI)."
PAY=$(mfs --json key generate --label payments --pin per-use \
    | sed -n 's/.*"id":"\([0-9a-f]*\)".*/\1/p')
mfs key public "$PAY" --format pem --out /tmp/pay.pem
tx() { mfs tx sign "$PAY" --amount 1250 --currency EUR --payee 'ACME Coffee' \
    --display 'Pay 12.50 EUR to ACME Coffee?' --challenge "$1" --out "$2"; }
echo "\$ echo <PIN> | mfs tx sign $PAY --amount 1250 --currency EUR --payee 'ACME Coffee' ... --out /tmp/tx1.json"
echo 8642 | tx 00112233445566778899aabbccddeeff /tmp/tx1.json
echo "\$ echo <wrong PIN> | mfs tx sign ... (expected to be refused: nothing is signed)"
if echo 1111 | tx 0102030405060708090a0b0c0d0e0f10 /tmp/tx-bad.json; then exit 1; fi
echo "# What you see is what you sign: a display that does not show the amount"
echo "# (1000000.00 EUR) is refused before the PIN is asked:"
echo "\$ echo <PIN> | mfs tx sign ... --amount 100000000 --display 'Pay 1.00 EUR to ACME Coffee?'"
if echo 8642 | mfs tx sign "$PAY" --amount 100000000 --currency EUR --payee 'ACME Coffee' \
    --display 'Pay 1.00 EUR to ACME Coffee?' --challenge 0f0e0d0c0b0a09080706050403020100; then exit 1; fi
echo "\$ echo <PIN> | mfs tx sign ... --out /tmp/tx2.json"
echo 8642 | tx ffeeddccbbaa99887766554433221100 /tmp/tx2.json
echo "# Offline verification (no TA): signature, encoding, challenge, counters."
step mfs tx verify --key /tmp/pay.pem --challenge 00112233445566778899aabbccddeeff /tmp/tx1.json
refused mfs tx verify --key /tmp/pay.pem /tmp/tx2.json /tmp/tx1.json

echo
echo "# The change-proof event log: every security event above, hash-chained,"
echo "# exported with a TA-signed head and verified offline against the pinned"
echo "# TA attestation key (a head signed by any other key is refused)."
step mfs log export --out /tmp/log.json
step mfs log verify --trust /tmp/att.pem --list /tmp/log.json
echo "# Without a pinned key the verifier refuses (anyone can sign a made-up log):"
refused mfs log verify /tmp/log.json
echo "# An entry edited outside the TA is found:"
sed 's/"kind": "pin-failed"/"kind": "pin-verified"/' /tmp/log.json > /tmp/log-edited.json
refused mfs log verify --trust /tmp/att.pem /tmp/log-edited.json

echo
echo "# A payment app written in C against libmfs (mfs.h), as its own Linux user:"
echo "# its own PIN and key, a payment with proof of consent, the log verified."
mkdir -p /tmp/cpay && chmod 0777 /tmp/cpay
step mfs-e2e --exec-as 1500 mfs-pay pay /tmp/cpay

echo
echo "# Application deactivation (admin only): keys, PIN, policy and the TA secret destroyed."
step mfs wipe --yes
refused mfs key sign "$ID" --in /tmp/msg
step mfs key list
