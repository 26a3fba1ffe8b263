//! The command line: clap's description of every command, flag and
//! argument. Enumerated values are the library's own types (`LoginMethod`,
//! `PublicKeyFormat`, and the protocol's `Purpose` and `PinRule`), which
//! derive `clap::ValueEnum` with the features `cli` and `mfs-proto/clap`.

use std::marker::PhantomData;
use std::path::PathBuf;

use clap::builder::{EnumValueParser, PossibleValue, TypedValueParser};
use clap::{Parser, Subcommand, ValueEnum};
use mfs_host::LoginMethod;
use mfs_host::keys::PublicKeyFormat;
use mfs_host::proto::{self, PinRule, Purpose};

/// The exit codes, shown at the end of `--help` (and in the README).
pub(crate) const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  the TA refused (its status and detail are printed, e.g. a wrong PIN)
  2  usage error (unknown option, missing or malformed argument)
  3  the TEE could not be reached or refused the session (no driver, no
     access to /dev/tee0, TA not installed or not signed with a trusted key)
  4  protocol error (undecodable or inconsistent reply, unknown status,
     replies past the client's limits)
  5  bad local input (PIN, PAN, file, key id, hex or PEM, an unusable key,
     a transaction record the TA would refuse, PINs that differ)
  6  a verification failed (attestation, signed transaction, event log)
With --json every outcome, usage errors included, is one JSON object on
standard output.";

#[derive(Parser)]
#[command(
    name = "mfs",
    version,
    about = "Client of the mfs payment-security trusted application",
    after_help = EXIT_CODES
)]
pub(crate) struct Cli {
    /// Print one JSON object instead of human-readable text.
    #[arg(long, global = true)]
    pub(crate) json: bool,
    /// Login method of the TEE session (admin commands need the
    /// identity the TA was built to trust; by default root's `user` login).
    #[arg(long, value_enum, value_parser = Terse::<LoginMethod>::new(), default_value_t = LoginMethod::User, global = true)]
    pub(crate) login: LoginMethod,
    /// TA UUID (default: the one this client was built with).
    #[arg(long, global = true, env = "MFS_TA_UUID", default_value = proto::TA_UUID, value_parser = uuid_text)]
    pub(crate) uuid: String,
    #[command(subcommand)]
    pub(crate) command: Cmd,
}

#[derive(Subcommand)]
pub(crate) enum Cmd {
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
        issuer_key: PathBuf,
        /// Refuse PIN, consent and usage-limited services unless storage is
        /// rollback-protected (RPMB): the production setting. Without it
        /// (development, e.g. QEMU's REE FS) a warning is printed.
        #[arg(long)]
        require_rollback_protection: bool,
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

#[derive(Subcommand)]
pub(crate) enum KeyCmd {
    /// Generate a P-256 key pair inside the TA.
    Generate {
        /// Label (1-32 of A-Z a-z 0-9 . _ -).
        #[arg(long)]
        label: String,
        /// What the key may do.
        #[arg(long, value_enum, value_parser = Terse::<Purpose>::new(), default_value_t = Purpose::Sign)]
        purpose: Purpose,
        /// When the key needs the PIN: never, in the same call as each use
        /// (transaction signing with consent), or within --pin-window
        /// seconds after `mfs pin verify`.
        #[arg(long, value_enum, value_parser = Terse::<PinRule>::new(), default_value_t = PinRule::None)]
        pin: PinRule,
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
        #[arg(long, value_enum, default_value_t = PublicKeyFormat::Pem)]
        format: PublicKeyFormat,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Delete a key.
    Delete { id: String },
    /// Sign a file's bytes (ECDSA P-256/SHA-256; DER signature).
    Sign {
        id: String,
        /// The message (at most 512 bytes).
        #[arg(long = "in")]
        input: PathBuf,
        /// Write the DER signature here (default: hex on standard output).
        #[arg(long)]
        out: Option<PathBuf>,
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
        trust: Option<PathBuf>,
        /// Write the statement's bytes here.
        #[arg(long)]
        out_statement: Option<PathBuf>,
        /// Write the DER signature here.
        #[arg(long)]
        out_signature: Option<PathBuf>,
        /// Write the attestation key (PEM) here.
        #[arg(long)]
        out_key: Option<PathBuf>,
    },
    /// Export a key's sealed blob (exportable keys only).
    Export {
        id: String,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Import a sealed blob exported by this TA instance.
    Import {
        /// The blob file.
        file: PathBuf,
    },
}

#[derive(Subcommand)]
pub(crate) enum TxCmd {
    /// Sign a transaction: shows the display text (on standard error),
    /// asks for the PIN (terminal without echo, or a line of standard
    /// input), and the TA signs only if it matches. Writes the signed
    /// transaction (JSON) to --out or standard output.
    Sign {
        /// The signing key (purpose sign).
        id: String,
        /// Amount in minor units of the currency (e.g. cents: 1250 EUR is
        /// 12.50 EUR).
        #[arg(long)]
        amount: u64,
        /// ISO 4217 alphabetic currency code with a minor unit, e.g. EUR.
        #[arg(long)]
        currency: String,
        /// Who is paid (no invisible or bidi control characters).
        #[arg(long)]
        payee: String,
        /// The exact text shown to the user, which must show the amount as
        /// the TA writes it (e.g. "12.50 EUR") and the payee, and no other
        /// digits (default: "Pay <amount> to <payee>?"). Always printed
        /// before the PIN prompt.
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
        out: Option<PathBuf>,
        /// Write the signed bytes here (for `openssl dgst -verify`).
        #[arg(long)]
        out_signed: Option<PathBuf>,
        /// Write the DER signature here.
        #[arg(long)]
        out_signature: Option<PathBuf>,
    },
    /// Verify signed transactions offline (no TA needed): signature,
    /// encoding, challenge, and counters strictly increasing across the
    /// files in the order given.
    Verify {
        /// Signed transactions (JSON from `mfs tx sign`), in order.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// PEM public key the transactions must be signed with.
        #[arg(long)]
        key: PathBuf,
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
pub(crate) enum LogCmd {
    /// Export the retained log with a TA-signed head (JSON), checked here
    /// before it is written.
    Export {
        /// Challenge for the head, hex (default: 16 random bytes).
        #[arg(long)]
        challenge: Option<String>,
        /// Write the export here (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Verify an export offline: the head's signature against the pinned
    /// key (--trust), then every entry's chain link; names the first bad
    /// entry.
    #[command(group(
        clap::ArgGroup::new("signer")
            .required(true)
            .args(["trust", "insecure_any_key"])
    ))]
    Verify {
        file: PathBuf,
        /// PEM public key the head must be signed with: the TA's
        /// attestation key, pinned at enrolment (e.g. from `mfs key attest
        /// --out-key`). Required, unless --insecure-any-key.
        #[arg(long, value_name = "PEM")]
        trust: Option<PathBuf>,
        /// Accept a head signed by any key. INSECURE: anyone can sign a
        /// made-up log with a key of their own, so this proves only that
        /// the file is self-consistent, not that a TA made it.
        #[arg(long)]
        insecure_any_key: bool,
        /// The challenge the head must carry, hex.
        #[arg(long)]
        challenge: Option<String>,
        /// Also list the entries.
        #[arg(long)]
        list: bool,
    },
}

#[derive(Subcommand)]
pub(crate) enum PinCmd {
    /// Whether a PIN is set, tries left, blocked, throttle delay.
    Status,
    /// First enrolment.
    Set(PanArg),
    /// Verify the PIN.
    Verify {
        #[command(flatten)]
        pan: PanArg,
        /// Open this key's PIN window (PIN rule `window`) for one use.
        #[arg(long)]
        key: Option<String>,
    },
    /// Change the PIN (reads the current PIN, then the new one).
    Change(PanArg),
    /// Issuer unblock with a new PIN. The issuer's signature is made here
    /// with the given key, standing in for the issuer's back end.
    Unblock {
        #[command(flatten)]
        pan: PanArg,
        /// PEM file with the issuer's P-256 private key.
        #[arg(long)]
        issuer_key: PathBuf,
    },
}

#[derive(clap::Args)]
pub(crate) struct PanArg {
    /// Bind the PIN block to this PAN (ISO 9564 format 4); default: the
    /// fixed PAN field.
    #[arg(long)]
    pub(crate) pan: Option<String>,
}

/// Parses a library enum like `clap::ValueEnum` does, but lists its
/// values without their descriptions: the variants' docs are written for
/// the API, not for `mfs --help`.
#[derive(Clone)]
pub(crate) struct Terse<E>(PhantomData<E>);

impl<E> Terse<E> {
    /// The parser.
    pub(crate) fn new() -> Self {
        Terse(PhantomData)
    }
}

impl<E: ValueEnum + Clone + Send + Sync + 'static> TypedValueParser for Terse<E> {
    type Value = E;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<E, clap::Error> {
        EnumValueParser::<E>::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            E::value_variants()
                .iter()
                .filter_map(ValueEnum::to_possible_value)
                .map(|v| v.help(None::<&str>)),
        ))
    }
}

/// A UUID as text, `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (hex digits):
/// anything else is a usage error before any TEE call.
fn uuid_text(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let ok = b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        });
    if ok {
        Ok(s.to_ascii_lowercase())
    } else {
        Err("not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, hex digits)".into())
    }
}
