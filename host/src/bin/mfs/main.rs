//! `mfs`: command-line client of the mfs trusted application.
//!
//! Human-readable output by default, `--json` for machines (one JSON
//! object on stdout; on failure `{"error": ..., "status": ...}`).
//!
//! Exit codes: 0 success; 1 the TA refused (a status other than ok, e.g.
//! a wrong PIN); 2 usage error; 3 the TEE could not be reached or refused
//! the call (no driver, TA not installed, GP error); 4 protocol error
//! (undecodable reply, unknown status); 5 bad local input (PIN not 4–12
//! digits, PAN, unreadable file, bad key id or hex, RNG failure); 6 a
//! verification failed (an attestation, a signed transaction or an event
//! log that does not check out).
#![forbid(unsafe_code)]

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use mfs_host::issuer::{IssuerKey, public_key_from_pem};
use mfs_host::keys::{EcPublicKey, hex_encode as hex};
use mfs_host::log::LogError;
use mfs_host::proto::log::EventKind;
use mfs_host::proto::pin::Pin;
use mfs_host::proto::tx::SignedTx;
use mfs_host::proto::{
    self, HukStatus, InfoReply, KeyInfoReply, KeyPolicy, PinRule, PinStatusReply, Purpose,
    StorageKind,
};
use mfs_host::proto::{TxRecord, TxSignReply};
use mfs_host::tx::{self, TxError};
use mfs_host::{Client, Error, LoginMethod, TeecTransport};
use serde_json::json;
use zeroize::Zeroizing;

#[derive(Parser)]
#[command(
    name = "mfs",
    version,
    about = "Client of the mfs payment-security trusted application"
)]
struct Cli {
    /// Print one JSON object instead of human-readable text.
    #[arg(long, global = true)]
    json: bool,
    /// Login method of the TEE session (admin commands need the
    /// identity the TA was built to trust; by default root's `user` login).
    #[arg(long, value_enum, default_value_t = Login::User, global = true)]
    login: Login,
    /// TA UUID (default: the one this client was built with).
    #[arg(long, global = true, env = "MFS_TA_UUID", default_value = proto::TA_UUID)]
    uuid: String,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Clone, Copy, ValueEnum)]
enum Login {
    Public,
    User,
}

#[derive(Subcommand)]
enum Cmd {
    /// TA version, protocol range, platform facts and this session's rights.
    Info,
    /// Check that the TA answers.
    Ping {
        /// Number for the TA to echo.
        #[arg(long, default_value_t = 1)]
        echo: u32,
    },
    /// One-time provisioning (admin group).
    Provision {
        /// PIN tries before the PIN blocks (3..=15).
        #[arg(long, default_value_t = proto::PIN_TRIES_DEFAULT)]
        pin_max_tries: u8,
        /// Base delay (ms) between PIN tries after three failures in a row
        /// (doubles per further failure; 0 = off; at most 60000).
        #[arg(long, default_value_t = 0)]
        pin_throttle_ms: u32,
        /// PEM file with the issuer's P-256 public key (or private key) that
        /// authorises PIN unblocks.
        #[arg(long)]
        issuer_key: std::path::PathBuf,
    },
    /// PIN management. PINs are read from the terminal without echo, or
    /// one per line from standard input; never from the command line.
    #[command(subcommand)]
    Pin(PinCmd),
    /// Keys generated and sealed inside the TA.
    #[command(subcommand)]
    Key(KeyCmd),
    /// Transactions signed with proof of consent (PIN verified in the same
    /// TA call), and their offline verification.
    #[command(subcommand)]
    Tx(TxCmd),
    /// The TA's change-proof event log: export and offline verification.
    #[command(subcommand)]
    Log(LogCmd),
    /// Application deactivation (admin group): destroys every key, the PIN,
    /// the provisioning and the TA-unique secret (the event log and the
    /// transaction counter are kept). Irreversible.
    Wipe {
        /// Confirm that everything is to be destroyed.
        #[arg(long, required = true)]
        yes: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum PurposeArg {
    Sign,
    Attest,
}

#[derive(Clone, Copy, ValueEnum)]
enum PinArg {
    None,
    PerUse,
    Window,
}

#[derive(Clone, Copy, ValueEnum)]
enum KeyFormat {
    /// SEC1 uncompressed point, hex (or raw bytes with --out).
    Sec1,
    /// SubjectPublicKeyInfo DER, hex (or raw bytes with --out).
    Der,
    /// SubjectPublicKeyInfo PEM.
    Pem,
}

#[derive(Subcommand)]
enum KeyCmd {
    /// Generate a P-256 key pair inside the TA.
    Generate {
        /// Label (1-32 of A-Z a-z 0-9 . _ -).
        #[arg(long)]
        label: String,
        /// What the key may do.
        #[arg(long, value_enum, default_value_t = PurposeArg::Sign)]
        purpose: PurposeArg,
        /// When the key needs the PIN: never, in the same call as each use
        /// (transaction signing with consent), or within --pin-window
        /// seconds after `mfs pin verify`.
        #[arg(long, value_enum, default_value_t = PinArg::None)]
        pin: PinArg,
        /// Seconds a PIN verification authorises a `window` key.
        #[arg(long)]
        pin_window: Option<u32>,
        /// Most signatures ever.
        #[arg(long)]
        max_uses: Option<u32>,
        /// Expiry, UNIX seconds (REE clock).
        #[arg(long, conflicts_with = "expires_in")]
        not_after: Option<u64>,
        /// Expiry, seconds from now (REE clock).
        #[arg(long)]
        expires_in: Option<u64>,
        /// Allow exporting the sealed blob (not with --max-uses).
        #[arg(long)]
        exportable: bool,
    },
    /// List keys.
    List,
    /// A key's policy, public key and use count.
    Info { id: String },
    /// A key's public key.
    Public {
        id: String,
        #[arg(long, value_enum, default_value_t = KeyFormat::Pem)]
        format: KeyFormat,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Delete a key.
    Delete { id: String },
    /// Sign a file's bytes (ECDSA P-256/SHA-256; DER signature).
    Sign {
        id: String,
        /// The message (at most 512 bytes).
        #[arg(long = "in")]
        input: std::path::PathBuf,
        /// Write the DER signature here (default: hex on standard output).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// A TA-signed statement about a key, verified here.
    Attest {
        id: String,
        /// The verifier's challenge, hex (at most 64 bytes).
        #[arg(long)]
        challenge: String,
        /// Sign with this key of purpose `attest` instead of the TA's own
        /// attestation key.
        #[arg(long)]
        attest_key: Option<String>,
        /// PEM public key the attestation key must be (pinning).
        #[arg(long)]
        trust: Option<std::path::PathBuf>,
        /// Write the statement's bytes here.
        #[arg(long)]
        out_statement: Option<std::path::PathBuf>,
        /// Write the DER signature here.
        #[arg(long)]
        out_signature: Option<std::path::PathBuf>,
        /// Write the attestation key (PEM) here.
        #[arg(long)]
        out_key: Option<std::path::PathBuf>,
    },
    /// Export a key's sealed blob (exportable keys only).
    Export {
        id: String,
        /// Output file.
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Import a sealed blob exported by this TA instance.
    Import {
        /// The blob file.
        file: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum TxCmd {
    /// Sign a transaction: asks for the PIN (terminal without echo, or a
    /// line of standard input), and the TA signs only if it matches. Writes
    /// the signed transaction (JSON) to --out or standard output.
    Sign {
        /// The signing key (purpose sign).
        id: String,
        /// Amount in minor units of the currency (e.g. cents).
        #[arg(long)]
        amount: u64,
        /// ISO 4217 alphabetic currency code, e.g. EUR.
        #[arg(long)]
        currency: String,
        /// Who is paid.
        #[arg(long)]
        payee: String,
        /// The exact text shown to the user (default: generated from the
        /// amount, currency and payee, and printed before the PIN prompt).
        #[arg(long)]
        display: Option<String>,
        /// The server's challenge, hex (16 to 64 bytes).
        #[arg(long)]
        challenge: String,
        /// The transaction time, UNIX seconds (default: now).
        #[arg(long)]
        time: Option<u64>,
        #[command(flatten)]
        pan: PanArg,
        /// Write the signed transaction (JSON) here.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        /// Write the signed bytes here (for `openssl dgst -verify`).
        #[arg(long)]
        out_signed: Option<std::path::PathBuf>,
        /// Write the DER signature here.
        #[arg(long)]
        out_signature: Option<std::path::PathBuf>,
    },
    /// Verify signed transactions offline (no TA needed): signature,
    /// encoding, challenge, and counters strictly increasing across the
    /// files in the order given.
    Verify {
        /// Signed transactions (JSON from `mfs tx sign`), in order.
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
        /// PEM public key the transactions must be signed with.
        #[arg(long)]
        key: std::path::PathBuf,
        /// The challenge issued for each file, hex, in the same order
        /// (give none, or one per file).
        #[arg(long)]
        challenge: Vec<String>,
        /// The last counter accepted before this series.
        #[arg(long)]
        after: Option<u64>,
    },
}

#[derive(Subcommand)]
enum LogCmd {
    /// Export the retained log with a TA-signed head (JSON), checked here
    /// before it is written.
    Export {
        /// Challenge for the head, hex (default: 16 random bytes).
        #[arg(long)]
        challenge: Option<String>,
        /// Write the export here (default: standard output).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Verify an export offline: the head's signature, then every entry's
    /// chain link; names the first bad entry.
    Verify {
        file: std::path::PathBuf,
        /// PEM public key the head must be signed with (the TA's
        /// attestation key, e.g. from `mfs key attest --out-key`).
        #[arg(long)]
        trust: Option<std::path::PathBuf>,
        /// The challenge the head must carry, hex.
        #[arg(long)]
        challenge: Option<String>,
        /// Also list the entries.
        #[arg(long)]
        list: bool,
    },
}

#[derive(Subcommand)]
enum PinCmd {
    /// Whether a PIN is set, tries left, blocked, throttle delay.
    Status,
    /// First enrolment.
    Set(PanArg),
    /// Verify the PIN.
    Verify(PanArg),
    /// Change the PIN (reads the current PIN, then the new one).
    Change(PanArg),
    /// Issuer unblock with a new PIN. The issuer's signature is made here
    /// with the given key, standing in for the issuer's back end.
    Unblock {
        #[command(flatten)]
        pan: PanArg,
        /// PEM file with the issuer's P-256 private key.
        #[arg(long)]
        issuer_key: std::path::PathBuf,
    },
}

#[derive(clap::Args)]
struct PanArg {
    /// Bind the PIN block to this PAN (ISO 9564 format 4); default: the
    /// fixed PAN field.
    #[arg(long)]
    pan: Option<String>,
}

/// Reads one PIN: without echo from a terminal, else one line of stdin.
fn read_pin(prompt: &str) -> Result<Pin, Error> {
    let text = Zeroizing::new(if std::io::stdin().is_terminal() {
        rpassword::prompt_password(prompt).map_err(|_| Error::BadPin)?
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|_| Error::BadPin)?;
        line
    });
    Pin::new(text.trim_end_matches(['\r', '\n'])).map_err(|_| Error::BadPin)
}

fn read_file(path: &std::path::Path) -> Result<Zeroizing<String>, Error> {
    std::fs::read_to_string(path)
        .map(Zeroizing::new)
        .map_err(|_| Error::Issuer)
}

fn print_pin_status(json: bool, what: &str, s: &PinStatusReply) {
    if json {
        println!("{}", json!(s));
        return;
    }
    if !what.is_empty() {
        println!("{what}");
    }
    if !s.set {
        println!("PIN not set (try limit {})", s.max_tries);
    } else if s.blocked {
        println!("PIN BLOCKED: only an issuer unblock can reset it");
    } else {
        println!("tries left {}/{}", s.tries_left, s.max_tries);
        if s.throttle_ms > 0 {
            println!("next try accepted in {} ms", s.throttle_ms);
        }
    }
}

fn exit_code(e: &Error) -> u8 {
    match e {
        Error::Status { .. } => 1,
        Error::Tee { .. } => 3,
        Error::UnknownStatus(_) | Error::BadReply | Error::RequestTooLarge | Error::BadTaKey => 4,
        Error::BadPin | Error::BadPan | Error::Issuer | Error::Random | Error::Input => 5,
        Error::Attestation(_) | Error::Tx(_) | Error::Log(_) => 6,
    }
}

fn write_out(path: &std::path::Path, bytes: &[u8]) -> Result<(), Error> {
    std::fs::write(path, bytes).map_err(|_| Error::Input)
}

fn parse_hex(s: &str) -> Result<Vec<u8>, Error> {
    mfs_host::keys::hex_decode(s).ok_or(Error::Input)
}

fn now_unix() -> Result<u64, Error> {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .map_err(|_| Error::Input)
}

fn print_key(json: bool, what: &str, k: &KeyInfoReply) {
    if json {
        println!("{}", json!(k));
        return;
    }
    if !what.is_empty() {
        println!("{what}");
    }
    let p = &k.policy;
    println!("id          {}", k.id);
    println!("label       {}", k.label);
    println!("purpose     {:?}", p.purpose);
    match p.pin {
        PinRule::None => println!("PIN         not required"),
        PinRule::PerUse => println!("PIN         per use (signing with consent only)"),
        PinRule::Window => println!("PIN         within {} s of a verification", p.pin_window_s),
    }
    match p.max_uses {
        Some(n) => println!("uses        {} of {n}", k.uses),
        None => println!("uses        unlimited"),
    }
    match p.not_after {
        Some(t) => println!("not after   {t} (UNIX s, REE clock)"),
        None => println!("not after   never"),
    }
    println!(
        "exportable  {}",
        if p.exportable {
            "yes (sealed blob)"
        } else {
            "no"
        }
    );
    println!("public key  {}", k.public_key);
}

fn key_cmd(client: &mut Client<TeecTransport>, json: bool, cmd: &KeyCmd) -> Result<(), Error> {
    match cmd {
        KeyCmd::Generate {
            label,
            purpose,
            pin,
            pin_window,
            max_uses,
            not_after,
            expires_in,
            exportable,
        } => {
            let not_after = match (not_after, expires_in) {
                (Some(t), _) => Some(*t),
                (None, Some(s)) => Some(now_unix()?.saturating_add(*s)),
                (None, None) => None,
            };
            let policy = KeyPolicy {
                purpose: match purpose {
                    PurposeArg::Sign => Purpose::Sign,
                    PurposeArg::Attest => Purpose::Attest,
                },
                pin: match pin {
                    PinArg::None => PinRule::None,
                    PinArg::PerUse => PinRule::PerUse,
                    PinArg::Window => PinRule::Window,
                },
                pin_window_s: pin_window.unwrap_or(0),
                max_uses: *max_uses,
                not_after,
                exportable: *exportable,
            };
            print_key(json, "key generated", &client.key_generate(label, policy)?);
        }
        KeyCmd::List => {
            let keys = client.key_list()?;
            if json {
                println!("{}", json!({ "keys": keys }));
            } else if keys.is_empty() {
                println!("no keys");
            } else {
                for k in keys {
                    println!(
                        "{}  {:<7} {}",
                        k.id,
                        format!("{:?}", k.purpose).to_lowercase(),
                        k.label
                    );
                }
            }
        }
        KeyCmd::Info { id } => print_key(json, "", &client.key_info(id)?),
        KeyCmd::Public { id, format, out } => {
            let k = client.key_public(id)?;
            let (bytes, text) = match format {
                KeyFormat::Sec1 => (k.sec1(), hex(&k.sec1())),
                KeyFormat::Der => {
                    let d = k.spki_der()?;
                    let h = hex(&d);
                    (d, h)
                }
                KeyFormat::Pem => {
                    let p = k.pem()?;
                    (p.clone().into_bytes(), p.trim_end().to_string())
                }
            };
            match out {
                Some(path) => write_out(path, &bytes)?,
                None if json => println!("{}", json!({ "public_key": text })),
                None => println!("{text}"),
            }
        }
        KeyCmd::Delete { id } => {
            let r = client.key_delete(id)?;
            if json {
                println!("{}", json!(r));
            } else {
                println!("key {} deleted", r.id);
            }
        }
        KeyCmd::Sign { id, input, out } => {
            let msg = std::fs::read(input).map_err(|_| Error::Input)?;
            let (sig, uses) = client.key_sign(id, &msg)?;
            match out {
                Some(path) => write_out(path, &sig)?,
                None if json => println!("{}", json!({ "signature": hex(&sig), "uses": uses })),
                None => println!("{}", hex(&sig)),
            }
        }
        KeyCmd::Attest {
            id,
            challenge,
            attest_key,
            trust,
            out_statement,
            out_signature,
            out_key,
        } => {
            let challenge = parse_hex(challenge)?;
            let pinned = match trust {
                Some(path) => Some(EcPublicKey::from_pem(&read_file(path)?)?),
                None => None,
            };
            let a = client.key_attest_verified(
                id,
                &challenge,
                attest_key.as_deref(),
                pinned.as_ref(),
            )?;
            if let Some(p) = out_statement {
                write_out(p, &a.statement_bytes)?;
            }
            if let Some(p) = out_signature {
                write_out(p, &a.signature)?;
            }
            if let Some(p) = out_key {
                write_out(p, a.attestation_key.pem()?.as_bytes())?;
            }
            let s = &a.statement;
            if json {
                println!(
                    "{}",
                    json!({
                        "verified": true,
                        "pinned": pinned.is_some(),
                        "key_id": hex(&s.key_id),
                        "label": s.label.as_str(),
                        "policy": s.policy,
                        "storage": s.storage,
                        "rollback_protected": s.rollback_protected,
                        "hw_unique_key": s.hw_unique_key,
                        "trusted_ui": s.trusted_ui,
                        "tee_device_id": proto::uuid_string(&s.tee_device_id).as_str(),
                        "ta_version": s.ta_version.as_str(),
                        "attestation_key": hex(&a.attestation_key.sec1()),
                    })
                );
            } else {
                println!("attestation verified: key {} ({})", hex(&s.key_id), s.label);
                let p = &s.policy;
                let pin = match p.pin {
                    PinRule::None => "no PIN".to_string(),
                    PinRule::PerUse => "PIN per use".to_string(),
                    PinRule::Window => format!("PIN within {} s", p.pin_window_s),
                };
                let uses = p.max_uses.map_or("unlimited uses".to_string(), |n| {
                    format!("at most {n} uses")
                });
                let expiry = p
                    .not_after
                    .map_or("no expiry".to_string(), |t| format!("not after {t}"));
                println!(
                    "policy       {:?}, {pin}, {uses}, {expiry}, {}",
                    p.purpose,
                    if p.exportable {
                        "exportable"
                    } else {
                        "not exportable"
                    }
                );
                println!(
                    "storage      {} (rollback protected: {})",
                    match s.storage {
                        StorageKind::ReeFs => "REE FS",
                        StorageKind::Rpmb => "RPMB",
                    },
                    s.rollback_protected
                );
                println!(
                    "hardware key {}",
                    match s.hw_unique_key {
                        HukStatus::KnownStub =>
                            "KNOWN STUB (development platform: derived keys predictable)",
                        HukStatus::NotKnownStub => "not a known stub",
                    }
                );
                println!("trusted UI   {}", s.trusted_ui);
                if pinned.is_none() {
                    println!(
                        "note: attestation key not pinned (--trust); it is self-generated by the TA"
                    );
                }
            }
        }
        KeyCmd::Export { id, out } => {
            let blob = client.key_export(id)?;
            write_out(out, &blob)?;
            if json {
                println!("{}", json!({ "id": id, "bytes": blob.len() }));
            } else {
                println!("sealed blob of key {id} written ({} bytes)", blob.len());
            }
        }
        KeyCmd::Import { file } => {
            let blob = std::fs::read(file).map_err(|_| Error::Input)?;
            print_key(json, "key imported", &client.key_import(&blob)?);
        }
    }
    Ok(())
}

fn print_info(i: &InfoReply) {
    let yn = |b: bool| if b { "yes" } else { "no" };
    println!("TA version      {}", i.ta_version);
    println!("protocol        v{}..v{}", i.proto_min, i.proto_max);
    match i.storage {
        StorageKind::ReeFs => println!(
            "storage         REE FS via tee-supplicant (rollback protected: {})",
            yn(i.rollback_protected)
        ),
        StorageKind::Rpmb => println!("storage         RPMB (rollback protected: yes)"),
    }
    match i.hw_unique_key {
        HukStatus::KnownStub => println!(
            "hardware key    KNOWN STUB: keys derived from it are predictable (development platform)"
        ),
        HukStatus::NotKnownStub => println!("hardware key    not a known stub"),
    }
    println!("trusted UI      {}", yn(i.trusted_ui));
    println!(
        "TEE             {} (GP API {}, core {:#x})",
        i.tee_description, i.tee_api_version, i.tee_internal_core_version
    );
    println!("TEE device ID   {}", i.tee_device_id);
    println!(
        "this session    {:?} login {} (admin: {})",
        i.client_login,
        i.client_id,
        yn(i.admin)
    );
    match i.pin_max_tries {
        Some(n) => println!("provisioned     yes (PIN try limit {n})"),
        None => println!("provisioned     no"),
    }
}

fn random_challenge() -> Result<Vec<u8>, Error> {
    let mut c = vec![0u8; 16];
    getrandom::fill(&mut c).map_err(|_| Error::Random)?;
    Ok(c)
}

fn tx_verify(
    json: bool,
    files: &[std::path::PathBuf],
    key: &std::path::Path,
    challenges: &[String],
    after: Option<u64>,
) -> Result<(), Error> {
    let trusted = EcPublicKey::from_pem(&read_file(key)?)?;
    if !challenges.is_empty() && challenges.len() != files.len() {
        return Err(Error::Input);
    }
    let mut series = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(f).map_err(|_| Error::Input)?;
        let tx: TxSignReply =
            serde_json::from_str(&text).map_err(|_| Error::Tx(TxError::Encoding))?;
        series.push(tx);
    }
    let decoded = tx::verify_series(&series, &trusted, after).map_err(|(i, e)| {
        eprintln!(
            "mfs: {}: {e}",
            files
                .get(i)
                .map_or(String::new(), |f| f.display().to_string())
        );
        Error::Tx(e)
    })?;
    for ((c, tx), f) in challenges.iter().zip(&decoded).zip(files) {
        let want = parse_hex(c)?;
        if tx.record.challenge_bytes().as_deref() != Some(want.as_slice()) {
            eprintln!("mfs: {}: challenge does not match", f.display());
            return Err(Error::Tx(TxError::Challenge));
        }
    }
    if json {
        let items: Vec<_> = decoded
            .iter()
            .map(|t| {
                json!({
                    "counter": t.counter, "key_id": hex(&t.key_id), "amount": t.record.amount,
                    "currency": t.record.currency.as_str(), "payee": t.record.payee.as_str(),
                    "display": t.record.display.as_str(), "challenge": t.record.challenge.as_str(),
                    "time": t.record.time,
                })
            })
            .collect();
        println!("{}", json!({ "verified": true, "transactions": items }));
    } else {
        for t in &decoded {
            print_tx(t);
        }
        println!(
            "verified: {} transaction(s), counters strictly increasing",
            decoded.len()
        );
    }
    Ok(())
}

fn print_tx(t: &SignedTx) {
    let r = &t.record;
    println!("counter     {}", t.counter);
    println!("key         {}", hex(&t.key_id));
    println!("amount      {} {} (minor units)", r.amount, r.currency);
    println!("payee       {}", r.payee);
    println!("shown       {:?}", r.display.as_str());
    println!("challenge   {}", r.challenge);
    println!("time        {} (UNIX s, as proposed)", r.time);
    println!("verified by {}", proto::tx::VERIFICATION_STATEMENT);
}

fn tx_cmd(client: &mut Client<TeecTransport>, json: bool, cmd: &TxCmd) -> Result<(), Error> {
    let TxCmd::Sign {
        id,
        amount,
        currency,
        payee,
        display,
        challenge,
        time,
        pan,
        out,
        out_signed,
        out_signature,
    } = cmd
    else {
        return Err(Error::Input);
    };
    let text = display
        .clone()
        .unwrap_or_else(|| format!("Pay {amount} (minor units) {currency} to {payee}?"));
    let record = TxRecord {
        amount: *amount,
        currency: currency.as_str().try_into().map_err(|_| Error::Input)?,
        payee: payee.as_str().try_into().map_err(|_| Error::Input)?,
        display: text.as_str().try_into().map_err(|_| Error::Input)?,
        challenge: hex(&parse_hex(challenge)?)
            .as_str()
            .try_into()
            .map_err(|_| Error::Input)?,
        time: match time {
            Some(t) => *t,
            None => now_unix()?,
        },
    };
    record.check().map_err(|_| Error::Input)?;
    if !json {
        eprintln!("{text}");
    }
    let pin = read_pin("PIN to confirm: ")?;
    let reply = client.tx_sign(id, &pin, pan.pan.as_deref(), &record)?;
    let doc = serde_json::to_string(&reply).map_err(|_| Error::BadReply)?;
    if let Some(p) = out_signed {
        write_out(p, &parse_hex(&reply.signed)?)?;
    }
    if let Some(p) = out_signature {
        write_out(p, &parse_hex(&reply.signature)?)?;
    }
    match out {
        Some(p) => write_out(p, format!("{doc}\n").as_bytes())?,
        None => println!("{doc}"),
    }
    if !json && out.is_some() {
        println!("signed: counter {}", reply.counter);
    }
    Ok(())
}

fn log_cmd(
    client: Option<&mut Client<TeecTransport>>,
    json: bool,
    cmd: &LogCmd,
) -> Result<(), Error> {
    match cmd {
        LogCmd::Export { challenge, out } => {
            let client = client.ok_or(Error::Input)?;
            let challenge = match challenge {
                Some(c) => parse_hex(c)?,
                None => random_challenge()?,
            };
            let x = client.log_export(&challenge)?;
            let doc = serde_json::to_string_pretty(&x).map_err(|_| Error::BadReply)?;
            match out {
                Some(p) => {
                    write_out(p, format!("{doc}\n").as_bytes())?;
                    if json {
                        println!("{}", json!({ "entries": x.entries.len() }));
                    } else {
                        println!("exported {} entries", x.entries.len());
                    }
                }
                None => println!("{doc}"),
            }
        }
        LogCmd::Verify {
            file,
            trust,
            challenge,
            list,
        } => {
            let text = std::fs::read_to_string(file).map_err(|_| Error::Input)?;
            let x: mfs_host::log::Export =
                serde_json::from_str(&text).map_err(|_| Error::Log(LogError::Format))?;
            let pinned = match trust {
                Some(p) => Some(EcPublicKey::from_pem(&read_file(p)?)?),
                None => None,
            };
            let challenge = challenge.as_deref().map(parse_hex).transpose()?;
            let head = mfs_host::log::verify_export(&x, pinned.as_ref(), challenge.as_deref())
                .map_err(Error::Log)?;
            if json {
                println!(
                    "{}",
                    json!({
                        "verified": true, "pinned": pinned.is_some(),
                        "first_seq": head.first_seq, "next_seq": head.next_seq,
                        "head": hex(&head.head), "checkpoint": hex(&head.checkpoint),
                    })
                );
                return Ok(());
            }
            if *list {
                for e in &x.entries {
                    let kind = EventKind::from_name(&e.kind).ok_or(Error::Input)?;
                    let details = parse_hex(&e.details)?;
                    println!(
                        "{:>6}  {}  {:<14} {}",
                        e.seq,
                        e.time,
                        e.kind,
                        mfs_host::log::describe(kind, &details)
                    );
                }
            }
            println!(
                "log verified: entries {}..{} ({} retained), head {}{}",
                head.first_seq,
                head.next_seq,
                x.entries.len(),
                hex(&head.head),
                if pinned.is_some() {
                    ", signed by the pinned key"
                } else {
                    " (signer not pinned)"
                }
            );
        }
    }
    Ok(())
}

fn run(cli: &Cli) -> Result<(), Error> {
    // Offline verifiers need no TA.
    match &cli.command {
        Cmd::Tx(TxCmd::Verify {
            files,
            key,
            challenge,
            after,
        }) => return tx_verify(cli.json, files, key, challenge, *after),
        Cmd::Log(cmd @ LogCmd::Verify { .. }) => return log_cmd(None, cli.json, cmd),
        _ => {}
    }
    let login = match cli.login {
        Login::Public => LoginMethod::Public,
        Login::User => LoginMethod::User,
    };
    let mut client = Client::new(TeecTransport::open(&cli.uuid, login)?);
    match cli.command {
        Cmd::Info => {
            let info = client.info()?;
            if cli.json {
                println!("{}", json!(info));
            } else {
                print_info(&info);
            }
        }
        Cmd::Ping { echo } => {
            let got = client.ping(echo)?;
            if cli.json {
                println!("{}", json!({ "echo": got }));
            } else {
                println!("pong {got}");
            }
        }
        Cmd::Provision {
            pin_max_tries,
            pin_throttle_ms,
            ref issuer_key,
        } => {
            let issuer = public_key_from_pem(&read_file(issuer_key)?)?;
            let r = client.provision(pin_max_tries, pin_throttle_ms, &issuer)?;
            if cli.json {
                println!("{}", json!(r));
            } else {
                println!("provisioned: PIN try limit {}", r.pin_max_tries);
            }
        }
        Cmd::Pin(ref pin) => match pin {
            PinCmd::Status => print_pin_status(cli.json, "", &client.pin_status()?),
            PinCmd::Set(p) => {
                let new = read_pin("New PIN: ")?;
                print_pin_status(
                    cli.json,
                    "PIN set",
                    &client.pin_set(&new, p.pan.as_deref())?,
                );
            }
            PinCmd::Verify(p) => {
                let pin = read_pin("PIN: ")?;
                let s = client.pin_verify(&pin, p.pan.as_deref())?;
                print_pin_status(cli.json, "PIN verified", &s);
            }
            PinCmd::Change(p) => {
                let old = read_pin("Current PIN: ")?;
                let new = read_pin("New PIN: ")?;
                let s = client.pin_change(&old, &new, p.pan.as_deref())?;
                print_pin_status(cli.json, "PIN changed", &s);
            }
            PinCmd::Unblock { pan, issuer_key } => {
                let issuer = IssuerKey::from_pem(&read_file(issuer_key)?)?;
                let new = read_pin("New PIN: ")?;
                let s = client.pin_unblock(&new, pan.pan.as_deref(), |m| Ok(issuer.sign(m)))?;
                print_pin_status(cli.json, "PIN unblocked", &s);
            }
        },
        Cmd::Key(ref k) => key_cmd(&mut client, cli.json, k)?,
        Cmd::Tx(ref t) => tx_cmd(&mut client, cli.json, t)?,
        Cmd::Log(ref l) => log_cmd(Some(&mut client), cli.json, l)?,
        Cmd::Wipe { yes } => {
            if !yes {
                return Err(Error::Input);
            }
            let r = client.wipe()?;
            if cli.json {
                println!("{}", json!(r));
            } else {
                println!(
                    "wiped: {} objects destroyed; the TA must be provisioned again",
                    r.objects_destroyed
                );
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if cli.json {
                let status = e.status().map(|s| s.name());
                let detail = match e {
                    Error::Status { detail, .. } => Some(detail),
                    _ => None,
                };
                println!(
                    "{}",
                    json!({ "error": e.to_string(), "status": status, "detail": detail })
                );
            } else {
                eprintln!("mfs: {e}");
            }
            ExitCode::from(exit_code(&e))
        }
    }
}
