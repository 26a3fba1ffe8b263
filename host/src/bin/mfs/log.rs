//! `mfs log ...`: export of the TA's event log, and its offline
//! verification (`log verify` needs no TA).

use std::path::Path;

use mfs_host::Error;
use mfs_host::keys::{EcPublicKey, parse_hex};
use mfs_host::log::{Export, LogError, Signer, describe, verify_export};
use mfs_host::proto::Hex;
use mfs_host::proto::log::EventKind;
use serde_json::json;

use crate::Tee;
use crate::args::LogCmd;
use crate::error::Failure;
use crate::io::{random_challenge, read_text, write_out};

/// Why `mfs log verify` refuses to run without a signer to check.
const TRUST_REQUIRED: &str = "log verify needs --trust <PEM> (the TA attestation key the head \
     must be signed with), or --insecure-any-key to accept any signer";

/// Runs one `mfs log` command.
pub(crate) fn run(client: &mut Tee, json: bool, cmd: &LogCmd) -> Result<(), Failure> {
    match cmd {
        LogCmd::Export { challenge, out } => {
            export(client, json, challenge.as_deref(), out.as_deref())
        }
        LogCmd::Verify {
            file,
            trust,
            insecure_any_key,
            challenge,
            list,
        } => verify(
            json,
            file,
            trust.as_deref(),
            *insecure_any_key,
            challenge.as_deref(),
            *list,
        ),
    }
}

/// `mfs log export`: the retained log with a signed head over `challenge`
/// (default: random), checked before it is written.
fn export(
    client: &mut Tee,
    json: bool,
    challenge: Option<&str>,
    out: Option<&Path>,
) -> Result<(), Failure> {
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
    Ok(())
}

/// `mfs log verify`: the head's signature (against the pinned key
/// `trust`; with `insecure_any_key` instead, against whatever key the file
/// names, with a warning on stderr), its challenge (if given), then every
/// entry's chain link. Without either it refuses to verify.
pub(crate) fn verify(
    json: bool,
    file: &Path,
    trust: Option<&Path>,
    insecure_any_key: bool,
    challenge: Option<&str>,
    list: bool,
) -> Result<(), Failure> {
    let pinned = match (trust, insecure_any_key) {
        (Some(p), false) => Some(EcPublicKey::from_pem(&read_text(p)?)?),
        (None, true) => None,
        // clap enforces exactly one of them; kept for any other caller.
        _ => return Err(Failure::Usage(TRUST_REQUIRED)),
    };
    let signer = match &pinned {
        Some(k) => Signer::Pinned(k),
        None => {
            eprintln!(
                "mfs: WARNING: --insecure-any-key: the export's signer is NOT authenticated; \
                 anyone can sign a made-up log with a key of their own. Pin the TA \
                 attestation key with --trust for evidence."
            );
            Signer::AnyKey
        }
    };
    let text = read_text(file)?;
    let x: Export = serde_json::from_str(&text).map_err(|_| Error::Log(LogError::Format))?;
    let challenge = challenge.map(parse_hex).transpose()?;
    let head = verify_export(&x, signer, challenge.as_deref()).map_err(Error::Log)?;
    if json {
        println!(
            "{}",
            json!({
                "verified": true, "pinned": pinned.is_some(),
                "first_seq": head.first_seq, "next_seq": head.next_seq,
                "head": Hex(&head.head).to_string(),
                "checkpoint": Hex(&head.checkpoint).to_string(),
            })
        );
        return Ok(());
    }
    if list {
        for e in &x.entries {
            let kind = EventKind::from_name(&e.kind).ok_or(Error::Log(LogError::Format))?;
            let what = match &e.details {
                Some(d) => describe(kind, &parse_hex(d)?),
                None => "(details withheld: only the admin reads them)".to_string(),
            };
            println!("{:>6}  {}  {:<14} {}", e.seq, e.time, e.kind, what);
        }
    }
    println!(
        "log verified: entries {}..{} ({} retained), head {}{}",
        head.first_seq,
        head.next_seq,
        x.entries.len(),
        Hex(&head.head),
        if pinned.is_some() {
            ", signed by the pinned key"
        } else {
            " (SIGNER NOT AUTHENTICATED: --insecure-any-key)"
        }
    );
    Ok(())
}
