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
//! verification failed (an attestation that does not check out).
#![forbid(unsafe_code)]

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use mfs_host::issuer::{IssuerKey, public_key_from_pem};
use mfs_host::keys::EcPublicKey;
use mfs_host::proto::pin::Pin;
use mfs_host::proto::{
    self, HukStatus, InfoReply, KeyInfoReply, KeyPolicy, PinRule, PinStatusReply, Purpose,
    StorageKind,
};
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
    /// Application deactivation (admin group): destroys every key, the PIN,
    /// the provisioning and the TA-unique secret. Irreversible.
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
        Error::Attestation(_) => 6,
    }
}

fn write_out(path: &std::path::Path, bytes: &[u8]) -> Result<(), Error> {
    std::fs::write(path, bytes).map_err(|_| Error::Input)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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

fn run(cli: &Cli) -> Result<(), Error> {
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
