//! Client tests: requests run through the TA's real dispatcher
//! (`mfs_core`) on an in-memory platform, so the whole client/TA protocol
//! is exercised without OP-TEE.

use super::*;
use crate::error::InputError;
use crate::issuer::IssuerKey;
use crate::transport::RawReply;
use crate::verify::attestation::{AttestationError, verify_attestation};
use crate::verify::log::{EntryFault, LogError, Signer, verify_export};
use crate::verify::tx::{TxError, verify, verify_series};
use mfs_core::access::{AdminPolicy, ClientIdentity, LINUX_ROOT_USER_UUID};
use mfs_core::mem::MemPlatform;
use mfs_proto::Login;
use mfs_proto::Status;
use mfs_proto::pin::Pin;
use mfs_proto::{KeyPolicy, TxRecord};

mod hostile;

/// Runs requests through the TA's real dispatcher on an in-memory
/// platform: the whole client/TA protocol, minus OP-TEE.
struct InProcess {
    platform: MemPlatform,
    instance: mfs_core::Instance,
    session: mfs_core::Session,
    sent: Vec<Vec<u8>>,
}

impl InProcess {
    fn new(login: Login, uuid: [u8; 16]) -> Self {
        InProcess {
            platform: MemPlatform::new(),
            instance: mfs_core::Instance::default(),
            session: mfs_core::Session::open(
                ClientIdentity { login, uuid },
                &AdminPolicy::ROOT_USER,
            ),
            sent: Vec::new(),
        }
    }
}

impl Transport for InProcess {
    fn call(&mut self, cmd: u32, request: &[u8], reply: &mut [u8]) -> Result<RawReply, Error> {
        self.sent.push(request.to_vec());
        let r = mfs_core::invoke(
            &mut self.platform,
            &mut self.instance,
            &mut self.session,
            cmd,
            request,
            reply,
        );
        Ok(RawReply {
            status: r.status as u32,
            detail: r.detail,
            len: r.len,
        })
    }
}

fn issuer() -> IssuerKey {
    IssuerKey::from_pem(include_str!("../../../tests/guest/issuer-test-key.pem")).unwrap()
}

fn provisioned() -> Client<InProcess> {
    let mut c = Client::new(InProcess::new(Login::User, LINUX_ROOT_USER_UUID));
    c.provision(5, 0, &issuer().public_key().unwrap()).unwrap();
    c
}

#[test]
fn typed_calls_round_trip() {
    let mut c = Client::new(InProcess::new(Login::User, LINUX_ROOT_USER_UUID));
    assert_eq!(c.ping(0xfeed).unwrap(), 0xfeed);
    let info = c.info().unwrap();
    assert!(info.admin);
    assert!(!info.provisioned);
    let key = issuer().public_key().unwrap();
    assert_eq!(c.provision(5, 100, &key).unwrap().pin_max_tries, 5);
    assert_eq!(c.info().unwrap().pin_max_tries, Some(5));
    let e = c.provision(5, 100, &key).unwrap_err();
    assert_eq!(e.status(), Some(Status::AlreadyProvisioned));
    // every request carried the protocol version
    for req in &c.transport_mut().sent {
        assert!(
            req.starts_with(b"{\"v\":1"),
            "{}",
            String::from_utf8_lossy(req)
        );
    }
}

#[test]
fn refusals_are_typed_errors() {
    let mut c = Client::new(InProcess::new(Login::Public, [0; 16]));
    assert_eq!(
        c.provision(5, 0, &issuer().public_key().unwrap()),
        Err(Error::Status {
            status: Status::AccessDenied,
            detail: 0
        })
    );
    assert!(!c.info().unwrap().admin);
}

#[test]
fn pin_lifecycle_through_the_client() {
    let mut c = provisioned();
    let pin = Pin::new("4739").unwrap();
    let wrong = Pin::new("0000").unwrap();
    assert!(!c.pin_status().unwrap().set);
    assert_eq!(c.pin_set(&pin, None).unwrap().tries_left, 5);
    assert_eq!(
        c.pin_verify(&wrong, None),
        Err(Error::Status {
            status: Status::PinIncorrect,
            detail: 4
        })
    );
    assert_eq!(c.pin_verify(&pin, None).unwrap().tries_left, 5);
    // a PAN-bound PIN block only verifies with the same PAN on both sides
    assert!(c.pin_verify(&pin, Some("4111111111111111")).is_ok());
    let new = Pin::new("123456").unwrap();
    c.pin_change(&pin, &new, None).unwrap();
    for _ in 0..5 {
        let _ = c.pin_verify(&wrong, None);
    }
    assert_eq!(
        c.pin_verify(&new, None).unwrap_err().status(),
        Some(Status::PinBlocked)
    );
    let forger = p256::ecdsa::SigningKey::from_slice(&[0x43; 32]).unwrap();
    let r = c.pin_unblock(&pin, None, |m| {
        use p256::ecdsa::signature::Signer;
        let sig: p256::ecdsa::DerSignature = forger.sign(m);
        Ok(sig.as_bytes().to_vec())
    });
    assert_eq!(r.unwrap_err().status(), Some(Status::CryptoFailure));
    let r = c.pin_unblock(&pin, None, |m| Ok(issuer().sign(m))).unwrap();
    assert_eq!((r.blocked, r.tries_left), (false, 5));
    assert!(c.pin_verify(&pin, None).is_ok());
}

#[test]
fn clear_pin_never_leaves_the_client() {
    let mut c = provisioned();
    let digits = "739146285037";
    let pin = Pin::new(digits).unwrap();
    c.pin_set(&pin, None).unwrap();
    c.pin_verify(&pin, None).unwrap();
    c.pin_change(&pin, &Pin::new("987654321098").unwrap(), None)
        .unwrap();
    let bcd = "739146285037";
    for req in &c.transport_mut().sent {
        let text = String::from_utf8_lossy(req).to_lowercase();
        // neither the ASCII digits nor their BCD/hex form appear
        assert!(!text.contains(digits) && !text.contains(bcd), "{text}");
        assert!(!text.contains("987654321098"), "{text}");
    }
}

#[test]
fn bad_local_input_is_refused_before_sending() {
    let mut c = provisioned();
    let sent = c.transport_mut().sent.len();
    assert_eq!(Pin::new("12").err(), Some(mfs_proto::pin::PinError::BadPin));
    let pin = Pin::new("1234").unwrap();
    assert_eq!(c.pin_set(&pin, Some("12ab")), Err(Error::BadPan));
    assert_eq!(c.transport_mut().sent.len(), sent);
}

fn sign_policy() -> KeyPolicy {
    KeyPolicy {
        exportable: true,
        ..KeyPolicy::plain(mfs_proto::Purpose::Sign)
    }
}

#[test]
fn payment_with_consent_and_an_exported_log() {
    let mut c = provisioned();
    let pin = Pin::new("2580").unwrap();
    c.pin_set(&pin, None).unwrap();
    let policy = KeyPolicy {
        pin: mfs_proto::PinRule::PerUse,
        ..sign_policy()
    };
    let k = c.key_generate("pay", policy).unwrap();
    let record = TxRecord {
        amount: 1250,
        currency: "EUR".try_into().unwrap(),
        payee: "ACME".try_into().unwrap(),
        display: "Pay 12.50 EUR to ACME?".try_into().unwrap(),
        challenge: "0f".repeat(16).as_str().try_into().unwrap(),
        time: 1_763_800_000,
    };
    let r1 = c.tx_sign(&k.id, &pin, None, &record).unwrap();
    let r2 = c.tx_sign(&k.id, &pin, None, &record).unwrap();
    let trusted = c.key_public(&k.id).unwrap();
    let v = verify_series(&[r1.clone(), r2.clone()], &trusted, None).unwrap();
    assert_eq!((v[0].counter, v[1].counter), (1, 2));
    assert!(verify(&r1, &trusted, Some(&[0x0f; 16])).is_ok());
    // the same signed transaction twice is a replay
    assert_eq!(
        verify_series(&[r2.clone(), r2], &trusted, None).err(),
        Some((
            1,
            TxError::Counter {
                counter: 2,
                previous: 2
            }
        ))
    );
    // a record the TA would refuse is refused before anything is sent
    use mfs_proto::tx::InvalidRecord;
    let mut spoof = record.clone();
    spoof.amount = 100_000_000;
    assert_eq!(
        c.tx_sign(&k.id, &pin, None, &spoof).err(),
        Some(Error::Record(InvalidRecord::DisplayAmount))
    );
    let mut bidi = record.clone();
    bidi.payee = "AC\u{202e}EM".try_into().unwrap();
    bidi.display = "Pay 12.50 EUR to AC\u{202e}EM?".try_into().unwrap();
    assert_eq!(
        c.tx_sign(&k.id, &pin, None, &bidi).err(),
        Some(Error::Record(InvalidRecord::Payee))
    );
    assert_eq!(
        crate::tx::canonical_display(1250, "EUR", "ACME").unwrap(),
        record.display.as_str()
    );
    assert_eq!(
        crate::tx::canonical_display(1250, "XAU", "ACME"),
        Err(Error::Record(InvalidRecord::Currency))
    );
    // a wrong PIN signs nothing
    let wrong = Pin::new("0000").unwrap();
    assert_eq!(
        c.tx_sign(&k.id, &wrong, None, &record)
            .err()
            .and_then(|e| e.status()),
        Some(Status::PinIncorrect)
    );
    // the log: exported, verified, pinned to the attestation key
    let x = c.log_export(b"audit-1").unwrap();
    let att = crate::pubkey::EcPublicKey::from_sec1_hex(&x.head.attestation_key).unwrap();
    let head = verify_export(&x, Signer::Pinned(&att), Some(b"audit-1")).unwrap();
    assert_eq!(head.next_seq, x.entries.len() as u64);
    let kinds: Vec<&str> = x.entries.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "provisioned",
            "pin-set",
            "key-generated",
            "pin-verified",
            "tx-signed",
            "pin-verified",
            "tx-signed",
            "pin-failed",
            "tx-refused"
        ]
    );
    assert_eq!(
        verify_export(&x, Signer::Pinned(&trusted), None).err(),
        Some(LogError::NotPinned)
    );
    assert!(x.entries.iter().all(|e| e.details.is_some()));
    // another client (not the admin) exports the same chain with every
    // entry's details withheld; it verifies against the same signed head
    c.transport_mut().session = mfs_core::Session::open(
        ClientIdentity {
            login: Login::User,
            uuid: [0x10; 16],
        },
        &AdminPolicy::ROOT_USER,
    );
    let y = c.log_export(b"audit-2").unwrap();
    let head2 = verify_export(&y, Signer::Pinned(&att), Some(b"audit-2")).unwrap();
    assert_eq!((head2.next_seq, head2.head), (head.next_seq, head.head));
    assert!(y.entries.iter().all(|e| e.details.is_none()));
    let hashes = |x: &crate::verify::log::Export| -> Vec<String> {
        x.entries.iter().map(|e| e.details_hash.clone()).collect()
    };
    assert_eq!(hashes(&x), hashes(&y));
    let mut edited = y.clone();
    edited.entries[3].details_hash = "00".repeat(32);
    assert!(verify_export(&edited, Signer::Pinned(&att), None).is_err());
    // edited on the host: the right entry is named
    let mut edited = x.clone();
    edited.entries[4].time += 60;
    assert_eq!(
        verify_export(&edited, Signer::Pinned(&att), None).err(),
        Some(LogError::Entry {
            index: 4,
            seq: 4,
            fault: EntryFault::Altered
        })
    );
    let mut removed = x.clone();
    removed.entries.remove(8);
    assert_eq!(
        verify_export(&removed, Signer::Pinned(&att), None).err(),
        Some(LogError::Truncated { expected: 8 })
    );
    let mut forged = x;
    forged.entries[2].details = Some("00".repeat(27));
    assert!(matches!(
        verify_export(&forged, Signer::Pinned(&att), None).err(),
        Some(LogError::Entry { index: 2, .. })
    ));
}

#[test]
fn key_lifecycle_through_the_client() {
    let mut c = provisioned();
    let k = c.key_generate("pay", sign_policy()).unwrap();
    let public = c.key_public(&k.id).unwrap();
    let (sig, _) = c.key_sign(&k.id, b"pay 10.00 EUR to shop").unwrap();
    assert!(public.verify(b"pay 10.00 EUR to shop", &sig));
    assert!(!public.verify(b"pay 99.00 EUR to shop", &sig));
    // attestation: verified end to end, wrong expectations refused
    let a = c.key_attest_verified(&k.id, b"chal", None, None).unwrap();
    assert_eq!(a.statement.label.as_str(), "pay");
    let reply = c.key_attest(&k.id, b"chal", None).unwrap();
    assert_eq!(
        verify_attestation(&reply, b"other", None, None).err(),
        Some(AttestationError::ChallengeMismatch)
    );
    let other = c.key_generate("other", sign_policy()).unwrap();
    let other_pub = c.key_public(&other.id).unwrap();
    assert_eq!(
        verify_attestation(&reply, b"chal", Some(&other_pub), None).err(),
        Some(AttestationError::KeyMismatch)
    );
    assert_eq!(
        verify_attestation(&reply, b"chal", None, Some(&other_pub)).err(),
        Some(AttestationError::UntrustedAttestationKey)
    );
    // the label's first byte changed from 'p' (0x70) to 'q' (0x71)
    let mut forged = reply.clone();
    let at = 2 * (16 + 16 + 8 + 19 + 1) + 1;
    assert_eq!(&reply.statement[at - 1..=at], "70");
    let text: String = forged
        .statement
        .chars()
        .enumerate()
        .map(|(i, ch)| if i == at { '1' } else { ch })
        .collect();
    forged.statement = text.as_str().try_into().unwrap();
    assert_eq!(
        verify_attestation(&forged, b"chal", None, None).err(),
        Some(AttestationError::BadSignature)
    );
    // export, delete, import
    let blob = c.key_export(&k.id).unwrap();
    c.key_delete(&k.id).unwrap();
    assert_eq!(
        c.key_sign(&k.id, b"x").unwrap_err().status(),
        Some(Status::KeyNotFound)
    );
    let mut bad = blob.clone();
    bad[40] ^= 1;
    assert_eq!(
        c.key_import(&bad).unwrap_err().status(),
        Some(Status::BlobRejected)
    );
    assert_eq!(c.key_import(&blob).unwrap().id, k.id);
    assert_eq!(c.key_list().unwrap().len(), 2);
    // local checks before sending
    assert_eq!(
        c.key_sign("nothex", b"x"),
        Err(Error::Input(InputError::KeyId))
    );
    assert_eq!(
        c.key_sign(&k.id, b"mfs-ta/tx"),
        Err(Error::Input(InputError::ReservedPrefix))
    );
    assert_eq!(
        c.key_generate("bad label", sign_policy()),
        Err(Error::Input(InputError::Label))
    );
    // wipe: nothing left
    assert!(c.wipe().unwrap().objects_destroyed >= 4);
    assert_eq!(
        c.key_sign(&k.id, b"x").unwrap_err().status(),
        Some(Status::NotProvisioned)
    );
    assert!(!c.info().unwrap().provisioned);
}

#[test]
fn key_list_pages_through_everything() {
    let mut c = provisioned();
    for i in 0..30 {
        c.key_generate(&format!("k{i}"), sign_policy()).unwrap();
    }
    let all = c.key_list().unwrap();
    assert_eq!(all.len(), 30);
    assert_eq!(all[29].label.as_str(), "k29");
}

#[test]
fn wipe_needs_admin() {
    let mut c = Client::new(InProcess::new(Login::Public, [0; 16]));
    assert_eq!(c.wipe().unwrap_err().status(), Some(Status::AccessDenied));
}

struct Scripted(RawReply, &'static [u8]);
impl Transport for Scripted {
    fn call(&mut self, _: u32, _: &[u8], reply: &mut [u8]) -> Result<RawReply, Error> {
        reply[..self.1.len()].copy_from_slice(self.1);
        Ok(self.0)
    }
}

#[test]
fn malformed_replies_are_errors_not_panics() {
    let ok = |len| RawReply {
        status: 0,
        detail: 0,
        len,
    };
    assert_eq!(
        Client::new(Scripted(ok(3), b"{x}")).ping(1),
        Err(Error::BadReply)
    );
    assert_eq!(
        Client::new(Scripted(ok(5000), b"")).ping(1),
        Err(Error::BadReply)
    );
    let unknown = RawReply {
        status: 77,
        detail: 0,
        len: 0,
    };
    assert_eq!(
        Client::new(Scripted(unknown, b"")).ping(1),
        Err(Error::UnknownStatus(77))
    );
}

/// A newer TA may add reply fields (proto/README.md, evolution rules): this
/// client reads such replies as before, nested additions included.
#[test]
fn replies_from_a_newer_ta_with_added_fields_are_read() {
    let ok = |body: &'static [u8]| {
        Scripted(
            RawReply {
                status: 0,
                detail: 0,
                len: body.len(),
            },
            body,
        )
    };
    let ping = ok(br#"{"echo":7,"added_in_v2":{"nested":[1,"x",{"deep":null}]}}"#);
    assert_eq!(Client::new(ping).ping(7), Ok(7));
    let status = ok(
        br#"{"set":true,"blocked":false,"tries_left":4,"max_tries":5,"throttle_ms":0,"hint":"v2"}"#,
    );
    let s = Client::new(status).pin_status().unwrap();
    assert_eq!((s.set, s.tries_left, s.max_tries), (true, 4, 5));
    // a reply missing a field it must carry is still refused
    let short = ok(br#"{"set":true,"blocked":false,"tries_left":4,"throttle_ms":0}"#);
    assert_eq!(Client::new(short).pin_status(), Err(Error::BadReply));
}
