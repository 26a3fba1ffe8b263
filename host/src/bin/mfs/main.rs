//! `mfs`: command-line client of the mfs trusted application.
//!
//! Human-readable output by default, `--json` for machines (one JSON
//! object on stdout; on failure `{"error": ..., "status": ...}`).
//!
//! Exit codes: [`args::EXIT_CODES`] (printed at the end of `--help`).
//!
//! Modules: [`args`] (the command line), one per command group
//! ([`system`], [`pin`], [`keys`], [`tx`], [`log`]), [`output`]
//! (printing), [`io`] (PINs, files, clock) and [`error`] (failures and
//! exit codes).
#![forbid(unsafe_code)]

mod args;
mod error;
mod io;
mod keys;
mod log;
mod output;
mod pin;
mod system;
mod tx;

use std::process::ExitCode;

use clap::Parser;
use mfs_host::{Client, TeecTransport};

use crate::args::{Cli, Cmd, LogCmd, TxCmd};
use crate::error::{Failure, open_failure};

/// The client every TA command runs with.
type Tee = Client<TeecTransport>;

fn run(cli: &Cli) -> Result<(), Failure> {
    // Offline verifiers need no TA.
    match &cli.command {
        Cmd::Tx(TxCmd::Verify {
            files,
            key,
            challenge,
            after,
        }) => return tx::verify(cli.json, files, key, challenge, *after),
        Cmd::Log(LogCmd::Verify {
            file,
            trust,
            insecure_any_key,
            challenge,
            list,
        }) => {
            return log::verify(
                cli.json,
                file,
                trust.as_deref(),
                *insecure_any_key,
                challenge.as_deref(),
                *list,
            );
        }
        _ => {}
    }
    let transport =
        TeecTransport::open(&cli.uuid, cli.login).map_err(|e| open_failure(e, &cli.uuid))?;
    let mut client = Client::new(transport);
    let json = cli.json;
    match &cli.command {
        Cmd::Info => system::info(&mut client, json),
        Cmd::Ping { echo } => system::ping(&mut client, json, *echo),
        Cmd::Provision {
            pin_max_tries,
            pin_throttle_ms,
            issuer_key,
            require_rollback_protection,
        } => system::provision(
            &mut client,
            json,
            *pin_max_tries,
            *pin_throttle_ms,
            (issuer_key, *require_rollback_protection),
        ),
        Cmd::Pin(cmd) => pin::run(&mut client, json, cmd),
        Cmd::Key(cmd) => keys::run(&mut client, json, cmd),
        Cmd::Tx(cmd) => tx::run(&mut client, json, cmd),
        Cmd::Log(cmd) => log::run(&mut client, json, cmd),
        Cmd::Wipe { yes } => system::wipe(&mut client, json, *yes),
    }
}

/// A command line clap refused: its own output (help and version too),
/// or with `--json` one JSON object; exit code 2.
fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let json = std::env::args_os().any(|a| a == "--json");
    if !json || matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        e.exit();
    }
    let text = e.render().to_string();
    let first = text.lines().next().unwrap_or_default();
    let message = first.strip_prefix("error: ").unwrap_or(first);
    println!(
        "{}",
        serde_json::json!({ "error": message, "usage": true, "status": null, "detail": null })
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    let result = run(&cli).map_err(|e| match e {
        Failure::Host(
            error @ mfs_host::Error::Status {
                status: mfs_host::proto::Status::AccessDenied,
                ..
            },
        ) => Failure::NotAdmin {
            error,
            login: match cli.login {
                mfs_host::LoginMethod::Public => "public",
                mfs_host::LoginMethod::User => "user",
            },
        },
        e => e,
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            output::print_failure(cli.json, &e);
            ExitCode::from(e.exit_code())
        }
    }
}
