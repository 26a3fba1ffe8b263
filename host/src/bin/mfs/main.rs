//! `mfs`: command-line client of the mfs trusted application.
//!
//! Human-readable output by default, `--json` for machines (one JSON
//! object on stdout; on failure `{"error": ..., "status": ...}`).
//!
//! Exit codes: 0 success; 1 the TA refused (a status other than ok, e.g.
//! a wrong PIN); 2 usage error; 3 the TEE could not be reached or refused
//! the call (no driver, TA not installed, GP error); 4 protocol error
//! (undecodable or inconsistent reply, unknown status, replies past the
//! client's limits); 5 bad local input (PIN not 4–12
//! digits, PAN, unreadable or unwritable file, bad key id, hex or PEM, an
//! unusable key, RNG failure, a transaction record the TA would refuse);
//! 6 a verification failed (an attestation, a
//! signed transaction or an event log that does not check out).
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
use crate::error::Failure;

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
    let mut client = Client::new(TeecTransport::open(&cli.uuid, cli.login)?);
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            output::print_failure(cli.json, &e);
            ExitCode::from(e.exit_code())
        }
    }
}
