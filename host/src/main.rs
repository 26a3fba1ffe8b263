//! `mfs`: command-line client of the mfs trusted application.
//!
//! Human-readable output by default, `--json` for machines (one JSON
//! object on stdout; on failure `{"error": ..., "status": ...}`).
//!
//! Exit codes: 0 success; 1 the TA refused (a status other than ok, e.g.
//! a wrong PIN); 2 usage error; 3 the TEE could not be reached or refused
//! the call (no driver, TA not installed, GP error); 4 protocol error
//! (undecodable reply, unknown status); 5 bad local input (PIN not 4–12
//! digits, PAN, unreadable issuer key file, RNG failure).
#![forbid(unsafe_code)]

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use mfs_host::issuer::{IssuerKey, public_key_from_pem};
use mfs_host::proto::pin::Pin;
use mfs_host::proto::{self, HukStatus, InfoReply, PinStatusReply, StorageKind};
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
        Error::BadPin | Error::BadPan | Error::Issuer | Error::Random => 5,
    }
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
