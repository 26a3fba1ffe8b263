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
