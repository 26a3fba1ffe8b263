# Host-side checks of boot 2's artifacts with OpenSSL: the TA's keys and
# signatures in standard formats (SPKI PEM/DER, DER ECDSA).
. "$(dirname "$0")/lib.sh"
need pay.pem pay.der msg.bin msg.sig att.bin att.sig att.pem || exit 0

expect host_openssl_parses_spki_pem 0 sh -c "openssl pkey -pubin -in '$A/pay.pem' -noout -text | grep -q 'NIST CURVE: P-256'"
expect host_openssl_spki_der_equals_pem 0 sh -c "openssl pkey -pubin -inform DER -in '$A/pay.der' | cmp -s - '$A/pay.pem'"
expect host_signature_is_der_ecdsa 0 sh -c "openssl asn1parse -inform DER -in '$A/msg.sig' | grep -c 'prim: INTEGER' | grep -qx 2"
expect host_openssl_verifies_ta_signature 0 openssl dgst -sha256 -verify "$A/pay.pem" -signature "$A/msg.sig" "$A/msg.bin"
{ cat "$A/msg.bin"; printf x; } > "$A/msg-other.bin"
expect host_openssl_rejects_other_message 1 openssl dgst -sha256 -verify "$A/pay.pem" -signature "$A/msg.sig" "$A/msg-other.bin"
expect host_openssl_verifies_attestation 0 openssl dgst -sha256 -verify "$A/att.pem" -signature "$A/att.sig" "$A/att.bin"
# the statement names the attested key (its SEC1 point ends the SPKI DER)
# and the verifier's challenge
point=$(tail -c 65 "$A/pay.der" | od -An -tx1 -v | tr -d ' \n')
expect host_attestation_names_the_key 0 sh -c "od -An -tx1 -v '$A/att.bin' | tr -d ' \n' | grep -q '$point'"
expect host_attestation_has_the_challenge 0 sh -c "od -An -tx1 -v '$A/att.bin' | tr -d ' \n' | grep -q '075eed0001c0ffee'"
# Signed transactions: OpenSSL verifies the TA's signature over the
# documented bytes; one changed byte (the amount) fails.
need tx.pem tx1.bin tx1.sig || exit 0
expect host_openssl_verifies_tx_signature 0 openssl dgst -sha256 -verify "$A/tx.pem" -signature "$A/tx1.sig" "$A/tx1.bin"
expect host_tx_bytes_are_v1 0 sh -c "head -c 12 '$A/tx1.bin' | grep -q '^mfs-ta/tx/v1\$'"
# amount 1250 = 0x4e2 at offset 28 (tag 12 + key id 8 + counter 8), 8 bytes
expect host_tx_has_amount 0 sh -c "od -An -tx1 -j28 -N8 -v '$A/tx1.bin' | tr -d ' \n' | grep -qx 00000000000004e2"
expect host_tx_has_challenge_and_statement 0 sh -c "od -An -tx1 -v '$A/tx1.bin' | tr -d ' \n' | grep -q '10000102030405060708090a0b0c0d0e0f0100\$'"
cp "$A/tx1.bin" "$A/tx1-edited.bin"
printf '\005' | dd of="$A/tx1-edited.bin" bs=1 seek=34 conv=notrunc 2>/dev/null
expect host_openssl_rejects_edited_tx 1 openssl dgst -sha256 -verify "$A/tx.pem" -signature "$A/tx1.sig" "$A/tx1-edited.bin"
# The C example's payment: OpenSSL verifies it over the documented bytes.
need c-pay.pem c-tx.bin c-tx.sig || exit 0
expect host_openssl_verifies_c_example_tx 0 openssl dgst -sha256 -verify "$A/c-pay.pem" -signature "$A/c-tx.sig" "$A/c-tx.bin"
expect host_c_example_tx_is_v1 0 sh -c "head -c 12 '$A/c-tx.bin' | grep -q '^mfs-ta/tx/v1\$'"
