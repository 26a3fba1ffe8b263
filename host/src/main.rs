//! `mfs`: command-line client of the mfs trusted application.
//!
//! Human-readable output by default, `--json` for machines (one JSON
//! object on stdout; on failure `{"error": ..., "status": ...}`).
//!
//! Exit codes: 0 success; 1 the TA refused (a status other than ok);
//! 2 usage error; 3 the TEE could not be reached or refused the call
//! (no driver, TA not installed, GP error); 4 protocol error (undecodable
//! reply, unknown status).
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use mfs_host::proto::{self, HukStatus, InfoReply, StorageKind};
use mfs_host::{Client, Error, LoginMethod, TeecTransport};
use serde_json::json;

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
    },
}

fn exit_code(e: &Error) -> u8 {
    match e {
        Error::Status { .. } => 1,
        Error::Tee { .. } => 3,
        Error::UnknownStatus(_) | Error::BadReply | Error::RequestTooLarge => 4,
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
        Cmd::Provision { pin_max_tries } => {
            let r = client.provision(pin_max_tries)?;
            if cli.json {
                println!("{}", json!(r));
            } else {
                println!("provisioned: PIN try limit {}", r.pin_max_tries);
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
