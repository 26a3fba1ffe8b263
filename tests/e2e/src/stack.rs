//! `mfs-e2e --stack`: the workload `scripts/stack` measures the TA's stack
//! under, after the QEMU suite's phases in the same boot. The TA is then
//! built with the `stack-probe` feature and prints every entry point's
//! stack high-water mark to the secure log; this side only drives it.
//!
//! Every command, on its heaviest paths and with the largest values the
//! interface takes (32-byte labels, 512-byte messages, 64-byte challenges,
//! a 19-digit PAN, a 256-byte display text with escapes, a full key-list
//! page, log pages of 8 entries with details for the admin and hashes for
//! another client), each sequence once with requests as the client library
//! makes them and once padded with white space to exactly 2048 bytes
//! (`MAX_REQUEST_LEN`; still valid JSON), then every command with the
//! deep-nesting attack samples, and the probe's calibration commands.
//!
//! Nothing is timed or measured here. Each step prints
//! `MFS-STACK-STEP ok <name>` or `MFS-STACK-STEP fail <name>: <why>`; a
//! failed step means a path was not exercised, and `scripts/stack` says so.

use mfs_host::issuer::IssuerKey;
use mfs_host::proto::pin::Pin;
use mfs_host::proto::{
    self, CHALLENGE_MAX_LEN, Command, KeyPolicy, LABEL_MAX_LEN, MAX_REPLY_LEN, MAX_REQUEST_LEN,
    PinRule, Purpose, SIGN_MESSAGE_MAX_LEN, TxRecord,
};
use mfs_host::{Client, Error, LoginMethod, RawReply, TeecTransport, Transport};

/// Calibration commands of a `stack-probe` TA: write 8, 16 and 32 KiB of
/// stack (an unknown command to any other build).
const CALIBRATE: [u32; 3] = [0x00ff_0008, 0x00ff_0010, 0x00ff_0020];
const PIN: &str = "739146285037";
const NEW_PIN: &str = "480215963712";
const WRONG: &str = "000000000000";
const PAN: &str = "4000001234567899123";
const MAX_TRIES: u8 = 5;

/// Sends requests as given or padded with trailing spaces to exactly
/// `MAX_REQUEST_LEN` bytes.
struct Padded {
    inner: TeecTransport,
    pad: bool,
}

impl Transport for Padded {
    fn call(&mut self, cmd: u32, request: &[u8], reply: &mut [u8]) -> Result<RawReply, Error> {
        if !self.pad || request.len() >= MAX_REQUEST_LEN {
            return self.inner.call(cmd, request, reply);
        }
        let mut r = request.to_vec();
        r.resize(MAX_REQUEST_LEN, b' ');
        self.inner.call(cmd, &r, reply)
    }
}

/// Counts failed steps.
#[derive(Default)]
struct Steps {
    failed: usize,
}

impl Steps {
    /// Prints the outcome of one step and passes its value on.
    fn step<T>(&mut self, name: &str, r: Result<T, Error>) -> Option<T> {
        self.expect(name, r, None)
    }

    /// A step that must fail with `want` (a refusal path), or succeed when
    /// `want` is `None`.
    fn expect<T>(
        &mut self,
        name: &str,
        r: Result<T, Error>,
        want: Option<proto::Status>,
    ) -> Option<T> {
        match (r, want) {
            (Ok(v), None) => {
                println!("MFS-STACK-STEP ok {name}");
                Some(v)
            }
            (Err(e), Some(w)) if e.status() == Some(w) => {
                println!("MFS-STACK-STEP ok {name}");
                None
            }
            (Ok(_), Some(w)) => {
                self.fail(name, &format!("succeeded, expected {w:?}"));
                None
            }
            (Err(e), _) => {
                self.fail(name, &e.to_string());
                None
            }
        }
    }

    fn fail(&mut self, name: &str, why: &str) {
        self.failed += 1;
        println!("MFS-STACK-STEP fail {name}: {why}");
    }
}

fn client(pad: bool) -> Result<Client<Padded>, String> {
    TeecTransport::open(proto::TA_UUID, LoginMethod::User)
        .map(|inner| Client::new(Padded { inner, pad }))
        .map_err(|e| format!("open session: {e}"))
}

fn pin(s: &str) -> Pin {
    // The constants above are valid PINs (4..=12 digits).
    Pin::new(s).unwrap_or_else(|_| std::process::exit(2))
}

/// A record at every bound: 64-byte payee and 256-byte display text
/// (multi-byte UTF-8, a newline and quotes, which JSON escapes; it shows
/// the amount and the payee, as the TA requires), 64-byte challenge,
/// largest amount.
fn record() -> Option<TxRecord> {
    let payee = format!("{}é", "P".repeat(62));
    let mut display = format!("Pay 9999999999999.99 EUR\nto \"{payee}\" — ");
    while display.len() < 256 {
        display.push('x');
    }
    Some(TxRecord {
        amount: 999_999_999_999_999,
        currency: "EUR".try_into().ok()?,
        payee: payee.as_str().try_into().ok()?,
        display: display.as_str().try_into().ok()?,
        challenge: "c3".repeat(64).as_str().try_into().ok()?,
        time: 1_763_800_000,
    })
}

fn label(tag: char) -> String {
    format!("{tag}{}", "-stack-label".repeat(3))
        .chars()
        .take(LABEL_MAX_LEN)
        .collect()
}

/// The admin's setup: a fresh provisioning (wiping whatever the suite's
/// phases left).
fn fresh(s: &mut Steps, c: &mut Client<Padded>, issuer: &IssuerKey) -> Option<()> {
    let info = s.step("info", c.info())?;
    if info.provisioned {
        s.step("wipe", c.wipe())?;
    }
    let key = s.step("issuer_key", issuer.public_key())?;
    s.step("provision", c.provision(MAX_TRIES, 0, &key))?;
    s.expect(
        "provision_again",
        c.provision(MAX_TRIES, 0, &key),
        Some(proto::Status::AlreadyProvisioned),
    );
    Some(())
}

/// PIN, keys, transactions and the log, as one client identity on a
/// provisioned TA where this client has no PIN yet.
fn sequence(s: &mut Steps, c: &mut Client<Padded>, issuer: &IssuerKey) {
    use proto::Status as St;
    s.step("ping", c.ping(u32::MAX));
    s.step("info", c.info());
    // PIN: enrolment, checks, change, lockout and the issuer's unblock.
    s.step("pin_status", c.pin_status());
    s.step("pin_set", c.pin_set(&pin(PIN), Some(PAN)));
    s.expect(
        "pin_set_again",
        c.pin_set(&pin(PIN), Some(PAN)),
        Some(St::PinAlreadySet),
    );
    s.step("pin_verify", c.pin_verify(&pin(PIN), Some(PAN)));
    s.expect(
        "pin_verify_wrong",
        c.pin_verify(&pin(WRONG), Some(PAN)),
        Some(St::PinIncorrect),
    );
    s.step(
        "pin_change",
        c.pin_change(&pin(PIN), &pin(NEW_PIN), Some(PAN)),
    );
    for _ in 1..MAX_TRIES {
        s.expect(
            "pin_verify_wrong",
            c.pin_verify(&pin(WRONG), Some(PAN)),
            Some(St::PinIncorrect),
        );
    }
    s.expect(
        "pin_verify_blocks",
        c.pin_verify(&pin(WRONG), Some(PAN)),
        Some(St::PinBlocked),
    );
    s.expect(
        "pin_verify_blocked",
        c.pin_verify(&pin(NEW_PIN), Some(PAN)),
        Some(St::PinBlocked),
    );
    s.step(
        "pin_unblock",
        c.pin_unblock(&pin(PIN), Some(PAN), |m| Ok(issuer.sign(m))),
    );
    s.step(
        "pin_verify_after_unblock",
        c.pin_verify(&pin(PIN), Some(PAN)),
    );

    // Keys under every policy, more than a key-list page of them.
    let plain = KeyPolicy::plain(Purpose::Sign);
    let policies = [
        (
            'e',
            KeyPolicy {
                exportable: true,
                ..plain
            },
        ),
        (
            'w',
            KeyPolicy {
                pin: PinRule::Window,
                pin_window_s: 3600,
                ..plain
            },
        ),
        (
            'p',
            KeyPolicy {
                pin: PinRule::PerUse,
                ..plain
            },
        ),
        (
            'l',
            KeyPolicy {
                max_uses: Some(2),
                not_after: Some(4_102_444_800),
                ..plain
            },
        ),
        ('a', KeyPolicy::plain(Purpose::Attest)),
    ];
    let mut ids = Vec::new();
    for (tag, policy) in policies {
        ids.push(
            s.step("key_generate", c.key_generate(&label(tag), policy))
                .map(|k| k.id),
        );
    }
    for n in 0..9 {
        if let Some(k) = s.step(
            "key_generate",
            c.key_generate(&label(char::from(b'0' + n)), plain),
        ) {
            ids.push(Some(k.id));
        }
    }
    s.step("key_list", c.key_list());
    let [Some(exp), Some(win), Some(per_use), Some(lim), Some(att)] =
        [0, 1, 2, 3, 4].map(|i| ids.get(i).cloned().flatten())
    else {
        s.fail("keys", "a key of each policy is needed for the rest");
        return;
    };
    let message: Vec<u8> = b"abcdefghijklmnopqrstuvwxyz"
        .iter()
        .copied()
        .cycle()
        .take(SIGN_MESSAGE_MAX_LEN)
        .collect();
    let challenge = [0x5a; CHALLENGE_MAX_LEN];
    s.step("key_info", c.key_info(&exp));
    s.step("key_sign", c.key_sign(&exp, &message));
    s.step("key_sign_window", c.key_sign(&win, &message));
    s.expect(
        "key_sign_per_use_refused",
        c.key_sign(&per_use, &message),
        Some(St::PolicyViolation),
    );
    s.step("key_sign_limited", c.key_sign(&lim, &message));
    s.step("key_sign_limited", c.key_sign(&lim, &message));
    s.expect(
        "key_sign_exhausted",
        c.key_sign(&lim, &message),
        Some(St::PolicyViolation),
    );
    s.step("key_attest_ta_key", c.key_attest(&exp, &challenge, None));
    s.step(
        "key_attest_own_key",
        c.key_attest(&exp, &challenge, Some(&att)),
    );
    s.expect(
        "key_export_refused",
        c.key_export(&win),
        Some(St::PolicyViolation),
    );
    if let Some(blob) = s.step("key_export", c.key_export(&exp)) {
        s.step("key_delete", c.key_delete(&exp));
        s.step("key_import", c.key_import(&blob));
        s.expect("key_import_again", c.key_import(&blob), Some(St::KeyExists));
        let mut bad = blob.clone();
        if let Some(last) = bad.last_mut() {
            *last ^= 1;
        }
        s.step("key_delete", c.key_delete(&exp));
        s.expect(
            "key_import_tampered",
            c.key_import(&bad),
            Some(St::BlobRejected),
        );
        s.step("key_import", c.key_import(&blob));
    }

    // Transactions: signed with consent, refused with a wrong PIN.
    if let Some(r) = record() {
        s.step("tx_sign", c.tx_sign(&per_use, &pin(PIN), Some(PAN), &r));
        s.step("tx_sign", c.tx_sign(&exp, &pin(PIN), Some(PAN), &r));
        s.expect(
            "tx_sign_wrong_pin",
            c.tx_sign(&exp, &pin(WRONG), Some(PAN), &r),
            Some(St::PinIncorrect),
        );
    } else {
        s.fail("tx_record", "test record out of bounds");
    }

    // The log: every page, and a head over the longest challenge.
    s.step("log_export", c.log_export(&challenge));
    for id in ids.into_iter().flatten() {
        s.step("key_delete", c.key_delete(&id));
    }
}

/// Raw calls with requests the client library never sends.
fn malformed(s: &mut Steps) {
    let Ok(mut t) = TeecTransport::open(proto::TA_UUID, LoginMethod::User) else {
        s.fail("malformed", "open session");
        return;
    };
    let mut out = vec![0u8; MAX_REPLY_LEN];
    let samples = proto::json_shape::deep_nesting_samples::<MAX_REQUEST_LEN>();
    let mut raw = |name: &str, cmd: u32, req: &[u8]| {
        let r = t.call(cmd, req, &mut out);
        s.step(name, r.map(drop));
    };
    for sample in &samples {
        for cmd in Command::ALL {
            raw("deep_nesting", cmd as u32, sample);
        }
    }
    for cmd in Command::ALL {
        raw("spaces_2048", cmd as u32, &[b' '; MAX_REQUEST_LEN]);
        raw("too_large", cmd as u32, &[b' '; MAX_REQUEST_LEN + 1]);
        raw("unknown_version", cmd as u32, b"{\"v\":9}");
    }
    raw("unknown_command", 0x0000_00ff, b"{\"v\":1}");
}

/// `mfs-e2e --stack` (as root, the admin identity).
pub fn run(issuer: &IssuerKey, as_client: impl Fn() -> Result<bool, String>) -> Result<(), String> {
    let mut s = Steps::default();
    // Calibration first: stack use 8, 16 and 32 KiB above the dispatcher.
    if let Ok(mut t) = TeecTransport::open(proto::TA_UUID, LoginMethod::User) {
        let mut out = [0u8; 64];
        for cmd in CALIBRATE {
            let r = t.call(cmd, b"{\"v\":1}", &mut out);
            s.step("calibrate", r.map(drop));
        }
    }
    for pad in [false, true] {
        let mut c = client(pad)?;
        if fresh(&mut s, &mut c, issuer).is_some() {
            sequence(&mut s, &mut c, issuer);
        }
    }
    // Another client (not the admin) on the same provisioning: its log
    // pages carry details hashes, computed in the TA.
    match as_client() {
        Ok(true) => println!("MFS-STACK-STEP ok second_client"),
        Ok(false) => s.fail("second_client", "steps failed (see above)"),
        Err(why) => s.fail("second_client", &why),
    }
    malformed(&mut s);
    let mut public = TeecTransport::open(proto::TA_UUID, LoginMethod::Public)
        .map(|inner| Client::new(Padded { inner, pad: true }))
        .map_err(|e| format!("open public session: {e}"))?;
    s.step("public_info", public.info());
    s.expect(
        "public_pin_status",
        public.pin_status(),
        Some(proto::Status::AccessDenied),
    );
    let mut c = client(true)?;
    s.step("wipe", c.wipe());
    if s.failed == 0 {
        Ok(())
    } else {
        Err(format!("{} steps failed", s.failed))
    }
}

/// `mfs-e2e --stack-client`, run as another uid by [`run`]: the client
/// sequence with padded requests. True if every step succeeded.
pub fn second_client(issuer: &IssuerKey) -> Result<bool, String> {
    let mut s = Steps::default();
    let mut c = client(true)?;
    sequence(&mut s, &mut c, issuer);
    Ok(s.failed == 0)
}
