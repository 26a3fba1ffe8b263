# Host-side checks of boot 3's artifacts: the key from boot 2 still signs
# after a reboot (verified with boot 2's public key).
. "$(dirname "$0")/lib.sh"
need pay.pem msg2.bin msg2.sig || exit 0
expect host_openssl_verifies_signature_after_reboot 0 openssl dgst -sha256 -verify "$A/pay.pem" -signature "$A/msg2.sig" "$A/msg2.bin"
