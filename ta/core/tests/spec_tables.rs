//! `docs/ta-interface.md` held to the code.
//!
//! The document's tables are found by their shape (their header row) and
//! each is checked against what `mfs_proto` exports and, through the TA's
//! dispatcher (`mfs_core::invoke`) on the in-memory platform, against what
//! the TA answers:
//!
//! - *bounds* (`| constant | value |`): every listed constant of
//!   `mfs_proto`, with its value;
//! - the *command table* (`| id | command | group | provisioning | PIN
//!   session | state |`): every command once, its id, name and group from
//!   `mfs_proto`; whether it answers `not-provisioned` before provisioning,
//!   uses up the PIN session when its request is malformed, and changes
//!   state when it succeeds (with an empty reply buffer: `short-buffer`
//!   after the effects), each observed on the TA; every other row naming
//!   a command id agrees with `mfs_proto` too;
//! - *status codes*, *policy-violation reasons* and *event kinds*: value
//!   and name, both ways;
//! - *PAN fields*: computed by `mfs_proto::pin::PanField`;
//! - *key derivations*: HKDF with the salt and info the table gives,
//!   against the TA's own keys;
//! - *request fields* (`| field | type | on the wire … | value | absent or
//!   null |`, under a heading naming the commands): the field set of each
//!   command's request, and for each field what the TA answers without it
//!   and with `null`, at the edges of its integer width or string bound,
//!   at the edges of its range, for names inside and outside its enum,
//!   and (hex) in uppercase: the same answer, unless the field says
//!   lowercase.
//!
//! `a_doctored_document_fails` proves the check can fail: each of a list
//! of one-line edits to the document must be reported.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{LazyLock, Mutex};

use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use mfs_core::access::{AdminPolicy, ClientIdentity, LINUX_ROOT_USER_UUID};
use mfs_core::mem::MemPlatform;
use mfs_core::platform::Platform;
use mfs_core::{Instance, Session, invoke};
use mfs_proto::client::PinChannel;
use mfs_proto::log::EventKind;
use mfs_proto::pin::{PanField, Pin, TransportKey};
use mfs_proto::tx::canonical_display;
use mfs_proto::{
    Command, Group, Hex, KeyExportReply, KeyInfoReply, KeyPolicy, Login, MAX_REPLY_LEN, POLICY_LEN,
    PinSessionReply, PolicyReason, Status, decode, encode,
};
use p256::ecdsa::{Signature, SigningKey, signature::Signer};
use p256::elliptic_curve::sec1::ToSec1Point;
use p256::{PublicKey, SecretKey};
use sha2::Sha256;

const DOC: &str = include_str!("../../../docs/ta-interface.md");

// ---- the document's tables -----------------------------------------------

/// A markdown table and the heading it stands under.
struct Table {
    heading: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// The cells of a table line (`\|` is a `|` inside a cell).
fn cells(line: &str) -> Vec<String> {
    let t = line.trim();
    let t = t.strip_prefix('|').unwrap_or(t);
    let t = t.strip_suffix('|').unwrap_or(t);
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cur.push('|');
                chars.next();
            }
            '|' => out.push(std::mem::take(&mut cur).trim().to_string()),
            _ => cur.push(c),
        }
    }
    out.push(cur.trim().to_string());
    out
}

fn is_separator(line: &str) -> bool {
    let t = line.trim();
    t.starts_with('|') && t.chars().all(|c| matches!(c, '|' | '-' | ':' | ' '))
}

/// Every table of `doc` (outside code blocks).
fn tables(doc: &str) -> Vec<Table> {
    let lines: Vec<&str> = doc.lines().collect();
    let mut out = Vec::new();
    let mut heading = String::new();
    let mut in_code = false;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with('#') {
            heading = line.trim_start_matches('#').trim().to_string();
        } else if !in_code
            && line.trim_start().starts_with('|')
            && lines.get(i + 1).is_some_and(|l| is_separator(l))
        {
            let header = cells(line);
            let mut rows = Vec::new();
            i += 2;
            while i < lines.len() && lines[i].trim_start().starts_with('|') {
                rows.push(cells(lines[i]));
                i += 1;
            }
            out.push(Table {
                heading: heading.clone(),
                header,
                rows,
            });
            continue;
        }
        i += 1;
    }
    out
}

fn find<'a>(tables: &'a [Table], header: &[&str]) -> Vec<&'a Table> {
    tables
        .iter()
        .filter(|t| {
            t.header.len() >= header.len() && t.header.iter().zip(header).all(|(a, b)| a == b)
        })
        .collect()
}

/// The text inside the first pair of backticks, or the cell itself.
fn ticked(cell: &str) -> &str {
    let mut parts = cell.split('`');
    match (parts.next(), parts.next()) {
        (Some(_), Some(inner)) => inner,
        _ => cell,
    }
}

/// Every text between backticks in `s`.
fn all_ticked(s: &str) -> Vec<&str> {
    s.split('`').skip(1).step_by(2).collect()
}

fn first_word(cell: &str) -> &str {
    cell.split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("")
}

fn status_named(name: &str) -> Option<Status> {
    Status::ALL.into_iter().find(|s| s.name() == name)
}

// ---- bounds, statuses, reasons, events, command ids ------------------------

fn bounds() -> Vec<(&'static str, u128)> {
    use mfs_proto::chain::{DETAILS_MAX_LEN, LOG_CHALLENGE_MAX_LEN};
    use mfs_proto::pin::{
        PAN_MAX_DIGITS, PIN_BLOCK_LEN, PIN_MAX_DIGITS, PIN_MIN_DIGITS, PIN_NONCE_LEN,
    };
    use mfs_proto::tx::{
        AMOUNT_MAX, CHALLENGE_MIN_LEN, DISPLAY_MAX_LEN, PAYEE_MAX_LEN, TX_CHALLENGE_MAX_LEN,
    };
    use mfs_proto::*;
    let n = |v: usize| v as u128;
    vec![
        ("MAX_REQUEST_LEN", n(MAX_REQUEST_LEN)),
        ("MAX_REPLY_LEN", n(MAX_REPLY_LEN)),
        ("MAX_JSON_DEPTH", n(MAX_JSON_DEPTH)),
        ("UNESCAPE_BUF_LEN", n(UNESCAPE_BUF_LEN)),
        ("MAX_SESSIONS", MAX_SESSIONS.into()),
        ("MAX_SESSIONS_PER_CLIENT", MAX_SESSIONS_PER_CLIENT.into()),
        ("PROTOCOL_MIN", PROTOCOL_MIN.into()),
        ("PROTOCOL_CURRENT", PROTOCOL_CURRENT.into()),
        ("PIN_TRIES_MIN", PIN_TRIES_MIN.into()),
        ("PIN_TRIES_MAX", PIN_TRIES_MAX.into()),
        ("PIN_TRIES_DEFAULT", PIN_TRIES_DEFAULT.into()),
        ("PIN_THROTTLE_MAX_MS", PIN_THROTTLE_MAX_MS.into()),
        ("PIN_MIN_DIGITS", n(PIN_MIN_DIGITS)),
        ("PIN_MAX_DIGITS", n(PIN_MAX_DIGITS)),
        ("PAN_MAX_DIGITS", n(PAN_MAX_DIGITS)),
        ("PIN_BLOCK_LEN", n(PIN_BLOCK_LEN)),
        ("PIN_NONCE_LEN", n(PIN_NONCE_LEN)),
        ("EC_POINT_LEN", n(mfs_proto::pin::EC_POINT_LEN)),
        ("DER_SIGNATURE_MAX_LEN", n(DER_SIGNATURE_MAX_LEN)),
        ("KEY_ID_LEN", n(KEY_ID_LEN)),
        ("LABEL_MAX_LEN", n(LABEL_MAX_LEN)),
        ("MAX_KEYS", MAX_KEYS.into()),
        ("MAX_KEYS_PER_CLIENT", MAX_KEYS_PER_CLIENT.into()),
        ("MAX_PIN_RECORDS", n(MAX_PIN_RECORDS)),
        ("OWNER_LEN", n(OWNER_LEN)),
        ("KEY_LIST_PAGE", n(KEY_LIST_PAGE)),
        ("SIGN_MESSAGE_MAX_LEN", n(SIGN_MESSAGE_MAX_LEN)),
        ("CHALLENGE_MAX_LEN", n(CHALLENGE_MAX_LEN)),
        ("POLICY_LEN", n(POLICY_LEN)),
        ("PIN_WINDOW_MAX_S", PIN_WINDOW_MAX_S.into()),
        ("SEALED_BLOB_MAX_LEN", n(SEALED_BLOB_MAX_LEN)),
        ("AMOUNT_MAX", AMOUNT_MAX.into()),
        ("PAYEE_MAX_LEN", n(PAYEE_MAX_LEN)),
        ("DISPLAY_MAX_LEN", n(DISPLAY_MAX_LEN)),
        ("CHALLENGE_MIN_LEN", n(CHALLENGE_MIN_LEN)),
        ("TX_CHALLENGE_MAX_LEN", n(TX_CHALLENGE_MAX_LEN)),
        ("LOG_PAGE", n(mfs_proto::log::LOG_PAGE)),
        ("LOG_CHALLENGE_MAX_LEN", n(LOG_CHALLENGE_MAX_LEN)),
        ("DETAILS_MAX_LEN", n(DETAILS_MAX_LEN)),
    ]
}

/// The rows of the tables with `header` as (number, backticked name)
/// pairs — the number in column `cols.0`, the name in `cols.1` — compared
/// both ways with `expected`.
fn numbered_names(
    tables: &[Table],
    header: &[&str],
    cols: (usize, usize),
    what: &str,
    expected: &[(u128, &str)],
    problems: &mut Vec<String>,
) {
    let found = find(tables, header);
    if found.is_empty() {
        problems.push(format!("no {what} table (header {header:?})"));
    }
    let mut seen = BTreeMap::new();
    for t in found {
        for row in &t.rows {
            let (Some(v), Some(name)) = (row.get(cols.0), row.get(cols.1)) else {
                problems.push(format!("{what}: short row {row:?}"));
                continue;
            };
            let Ok(v) = v.trim_matches('`').parse::<u128>() else {
                problems.push(format!("{what}: not a number in {row:?}"));
                continue;
            };
            if seen.insert(ticked(name).to_string(), v).is_some() {
                problems.push(format!(
                    "{what} `{}`: two rows in the document",
                    ticked(name)
                ));
            }
        }
    }
    for (v, name) in expected {
        match seen.remove(*name) {
            Some(doc) if doc == *v => {}
            Some(doc) => problems.push(format!(
                "{what} `{name}`: the document says {doc}, the code {v}"
            )),
            None => problems.push(format!(
                "{what} `{name}` ({v}) is missing from the document"
            )),
        }
    }
    for (name, v) in seen {
        problems.push(format!(
            "{what} `{name}` ({v}) in the document is not in the code"
        ));
    }
}

fn check_numbered_tables(tables: &[Table], problems: &mut Vec<String>) {
    let b: Vec<(u128, &str)> = bounds().into_iter().map(|(n, v)| (v, n)).collect();
    let header = ["constant", "value"];
    numbered_names(tables, &header, (1, 0), "bound", &b, problems);
    let statuses: Vec<(u128, &str)> = Status::ALL.iter().map(|s| (*s as u128, s.name())).collect();
    let header = ["value", "name"];
    numbered_names(tables, &header, (0, 1), "status", &statuses, problems);
    let reasons: Vec<(u128, &str)> = PolicyReason::ALL
        .iter()
        .map(|r| (*r as u128, r.name()))
        .collect();
    numbered_names(
        tables,
        &["detail", "reason"],
        (0, 1),
        "policy-violation reason",
        &reasons,
        problems,
    );
    let kinds: Vec<(u128, &str)> = EventKind::ALL
        .iter()
        .map(|k| (*k as u128, k.name()))
        .collect();
    let header = ["kind", "name"];
    numbered_names(tables, &header, (0, 1), "event kind", &kinds, problems);
}

fn command_named(name: &str) -> Option<Command> {
    Command::ALL.into_iter().find(|c| c.name() == name)
}

fn id_text(c: Command) -> String {
    format!("0x{:08x}", c as u32)
}

/// Every row anywhere whose first cells are a command id and name.
fn check_command_ids(tables: &[Table], problems: &mut Vec<String>) {
    for t in tables {
        for row in &t.rows {
            let (Some(id), Some(name)) = (row.first(), row.get(1)) else {
                continue;
            };
            let id = ticked(id);
            if !id.starts_with("0x") {
                continue;
            }
            let name = ticked(name);
            match command_named(name) {
                Some(c) if id_text(c) == id => {}
                Some(c) => problems.push(format!(
                    "`{name}` is {} in the code, {id} in the document",
                    id_text(c)
                )),
                None => problems.push(format!("{id} `{name}`: no such command in the code")),
            }
        }
    }
}

// ---- the TA, driven through its dispatcher --------------------------------

/// A fresh TA instance (unprovisioned, REE clock set) and one session of
/// the admin identity.
struct Ta {
    p: MemPlatform,
    inst: Instance,
    s: Session,
}

impl Ta {
    fn new() -> Ta {
        let mut p = MemPlatform::new();
        p.set_ree_time_s(1_800_000_000);
        let client = ClientIdentity {
            login: Login::User,
            uuid: LINUX_ROOT_USER_UUID,
        };
        Ta {
            p,
            inst: Instance::default(),
            s: Session::open(client, &AdminPolicy::ROOT_USER),
        }
    }

    fn call(&mut self, cmd: Command, req: &str, out_len: usize) -> (Status, Vec<u8>) {
        let mut out = vec![0u8; out_len];
        let r = invoke(
            &mut self.p,
            &mut self.inst,
            &mut self.s,
            cmd as u32,
            req.as_bytes(),
            &mut out,
        );
        out.truncate(r.len);
        (r.status, out)
    }

    fn ok(&mut self, cmd: Command, req: &str) -> Vec<u8> {
        let (st, body) = self.call(cmd, req, MAX_REPLY_LEN);
        assert_eq!(st, Status::Ok, "{cmd:?} {req}");
        body
    }

    /// Opens a PIN session and the client side of it.
    fn channel(&mut self, pan: Option<&str>) -> PinChannel {
        let reply: PinSessionReply = decode(&self.ok(Command::PinSession, r#"{"v":1}"#)).unwrap();
        PinChannel::from_reply(&reply, &[0x11; 32], pan).unwrap()
    }
}

fn json<T: serde::Serialize>(v: &T) -> String {
    let mut buf = [0u8; MAX_REPLY_LEN];
    let n = encode(v, &mut buf).unwrap();
    String::from_utf8(buf[..n].to_vec()).unwrap()
}

fn issuer() -> SecretKey {
    SecretKey::from_slice(&[0x42; 32]).unwrap()
}

fn point_hex(k: &PublicKey) -> String {
    Hex(k.to_sec1_point(false).as_bytes()).to_string()
}

/// A request as a tree of fields, so single fields can be changed.
#[derive(Clone, Debug)]
enum J {
    Raw(String),
    Obj(Vec<(String, J)>),
}

fn q(s: &str) -> J {
    J::Raw(format!("\"{s}\""))
}

fn n(s: &str) -> J {
    J::Raw(s.to_string())
}

fn obj(fields: &[(&str, J)]) -> J {
    J::Obj(
        fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

impl J {
    fn render(&self) -> String {
        match self {
            J::Raw(s) => s.clone(),
            J::Obj(f) => {
                let inner: Vec<String> = f
                    .iter()
                    .map(|(k, v)| format!("\"{k}\":{}", v.render()))
                    .collect();
                format!("{{{}}}", inner.join(","))
            }
        }
    }

    fn fields(&mut self) -> &mut Vec<(String, J)> {
        match self {
            J::Obj(f) => f,
            J::Raw(_) => panic!("not an object"),
        }
    }

    /// Applies `edit` to the field at `path` (dot-separated); false if
    /// there is no such field.
    fn edit(&mut self, path: &str, edit: Option<&str>) -> bool {
        let (head, rest) = match path.split_once('.') {
            Some((h, r)) => (h, Some(r)),
            None => (path, None),
        };
        let fields = self.fields();
        let Some(pos) = fields.iter().position(|(k, _)| k == head) else {
            return false;
        };
        match (rest, edit) {
            (Some(rest), _) => fields[pos].1.edit(rest, edit),
            (None, None) => {
                fields.remove(pos);
                true
            }
            (None, Some(raw)) => {
                fields[pos].1 = J::Raw(raw.to_string());
                true
            }
        }
    }

    /// Every field path with its JSON kind.
    fn kinds(&self, prefix: &str, out: &mut BTreeMap<String, &'static str>) {
        if let J::Obj(f) = self {
            for (k, v) in f {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                let kind = match v {
                    J::Obj(_) => "object",
                    J::Raw(r) if r.starts_with('"') => "string",
                    J::Raw(r) if r == "true" || r == "false" => "boolean",
                    J::Raw(_) => "integer",
                };
                out.insert(path.clone(), kind);
                v.kinds(&path, out);
            }
        }
    }
}

const PAN: &str = "1234567890123456";

/// The raw JSON of the field at `path`.
fn raw_at(j: &J, path: &str) -> String {
    let (head, rest) = path.split_once('.').unwrap_or((path, ""));
    let J::Obj(fields) = j else {
        panic!("{path}: not an object")
    };
    let (_, v) = fields.iter().find(|(k, _)| k == head).unwrap();
    match (rest, v) {
        ("", J::Raw(r)) => r.clone(),
        ("", J::Obj(_)) => v.render(),
        (rest, v) => raw_at(v, rest),
    }
}

/// A valid request for `cmd`. With `ta`, the PIN fields come from a PIN
/// session opened on it (so the command gets past its PIN session);
/// without, they are well-formed stand-ins (and a PIN command answers
/// `pin-session-required` once its request parses).
fn sample(cmd: Command, ta: Option<&mut Ta>) -> J {
    let mut f = vec![("v", n("1"))];
    let pin = Pin::new("1234").unwrap();
    let channel = match (cmd.uses_pin_session(), ta) {
        (true, Some(ta)) => Some(ta.channel(Some(PAN))),
        _ => None,
    };
    let key = channel
        .as_ref()
        .map_or(format!("04{}", "ab".repeat(64)), |c| {
            c.client_key_hex().to_string()
        });
    let block = |r: u8| {
        channel
            .as_ref()
            .map_or("ab".repeat(16), |c| c.block_hex(&pin, [r; 8]).to_string())
    };
    let id = q("0a0b0c0d0e0f1a1b");
    match cmd {
        Command::Ping => f.push(("echo", n("7"))),
        Command::Info | Command::PinSession | Command::PinStatus | Command::Wipe => {}
        Command::PinSet | Command::PinVerify => {
            f.extend([
                ("client_key", q(&key)),
                ("block", q(&block(1))),
                ("pan", q(PAN)),
                ("key", id),
            ]);
        }
        Command::PinChange => f.extend([
            ("client_key", q(&key)),
            ("old_block", q(&block(1))),
            ("new_block", q(&block(2))),
            ("pan", q(PAN)),
        ]),
        Command::PinUnblock => f.extend([
            ("client_key", q(&key)),
            ("block", q(&block(1))),
            ("pan", q(PAN)),
            ("signature", q("300602010a02010b")),
        ]),
        Command::KeyGenerate => f.extend([
            ("label", q("k")),
            (
                "policy",
                obj(&[
                    ("purpose", q("sign")),
                    ("pin", q("none")),
                    ("pin_window_s", n("0")),
                    ("max_uses", n("10")),
                    ("not_after", n("4000000000")),
                    ("exportable", n("false")),
                ]),
            ),
        ]),
        Command::KeyList => f.push(("offset", n("0"))),
        Command::KeyInfo | Command::KeyDelete | Command::KeyExport => f.push(("id", id)),
        Command::KeySign => f.extend([("id", id), ("message", q("0a0b"))]),
        Command::KeyAttest => f.extend([
            ("id", id),
            ("challenge", q("aabbccdd")),
            ("attest_key", q("1b1a0f0e0d0c0b0a")),
        ]),
        Command::KeyImport => f.push(("blob", q(&"ab".repeat(mfs_proto::SEALED_BLOB_MAX_LEN)))),
        Command::TxSign => f.extend([
            ("id", id),
            ("client_key", q(&key)),
            ("block", q(&block(1))),
            ("pan", q(PAN)),
            (
                "record",
                obj(&[
                    ("amount", n("1250")),
                    ("currency", q("EUR")),
                    ("payee", q("ACME")),
                    ("display", q("Pay 12.50 EUR to ACME?")),
                    ("challenge", q(&"ab".repeat(16))),
                    ("time", n("1700000000")),
                ]),
            ),
        ]),
        Command::LogRead => f.push(("from", n("0"))),
        Command::LogHead => f.push(("challenge", q("aabbccdd"))),
        Command::Provision => f.extend([
            ("pin_max_tries", n("5")),
            ("pin_throttle_ms", n("0")),
            ("issuer_key", q(&point_hex(&issuer().public_key()))),
            ("require_rollback_protection", n("false")),
        ]),
    }
    obj(&f)
}

/// One change to a sample request: none, a field removed, or a field set
/// to a raw JSON value.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Edit {
    Keep,
    Remove(String),
    Set(String, String),
    /// The field's value in uppercase.
    Upper(String),
}

/// What a fresh TA answers to the sample request of `cmd` with `edit`
/// (`with_session`: after opening a PIN session). Memoized: the same
/// question is asked again for every doctored document.
fn answer(cmd: Command, edit: &Edit, with_session: bool) -> Status {
    type Key = (u32, Edit, bool);
    static SEEN: LazyLock<Mutex<BTreeMap<Key, Status>>> = LazyLock::new(Mutex::default);
    let key = (cmd as u32, edit.clone(), with_session);
    if let Some(s) = SEEN.lock().unwrap().get(&key) {
        return *s;
    }
    let mut ta = Ta::new();
    let mut req = sample(cmd, with_session.then_some(&mut ta));
    let found = match edit {
        Edit::Keep => true,
        Edit::Remove(path) => req.edit(path, None),
        Edit::Set(path, raw) => {
            let found = req.edit(path, Some(raw));
            // A record's display must show its amount: a test of the
            // amount's range keeps the display in step.
            if path == "record.amount"
                && let Ok(amount) = raw.parse::<u64>()
                && let Some(d) = canonical_display(amount, "EUR", "ACME")
            {
                req.edit("record.display", Some(&format!("\"{d}\"")));
            }
            found
        }
        Edit::Upper(path) => {
            let upper = raw_at(&req, path).to_ascii_uppercase();
            req.edit(path, Some(&upper))
        }
    };
    assert!(found, "{cmd:?}: no field for {edit:?}");
    let (status, _) = ta.call(cmd, &req.render(), MAX_REPLY_LEN);
    SEEN.lock().unwrap().insert(key, status);
    status
}

/// The field paths and JSON kinds of each command's request.
fn request_fields(cmd: Command) -> BTreeMap<String, &'static str> {
    let mut out = BTreeMap::new();
    sample(cmd, None).kinds("", &mut out);
    out
}

/// Whether a malformed request of `cmd` used up an open PIN session.
fn uses_up_pin_session(cmd: Command) -> bool {
    static SEEN: LazyLock<Mutex<BTreeMap<u32, bool>>> = LazyLock::new(Mutex::default);
    if let Some(b) = SEEN.lock().unwrap().get(&(cmd as u32)) {
        return *b;
    }
    let mut ta = Ta::new();
    ta.channel(None);
    let (st, _) = ta.call(cmd, r#"{"v":1,"zz":0}"#, MAX_REPLY_LEN);
    assert_eq!(st, Status::BadRequest);
    let used = ta.s.pin.is_none();
    SEEN.lock().unwrap().insert(cmd as u32, used);
    used
}

/// Every command run to success once with a reply buffer of length 0, on
/// a TA prepared for it: the status (`short-buffer` expected) and whether
/// storage or the session's PIN session changed.
fn state_changes() -> &'static BTreeMap<u32, (Status, bool)> {
    static SEEN: LazyLock<BTreeMap<u32, (Status, bool)>> = LazyLock::new(run_scenario);
    &SEEN
}

fn run_scenario() -> BTreeMap<u32, (Status, bool)> {
    let mut ta = Ta::new();
    let mut seen = BTreeMap::new();
    let mut empty = |ta: &mut Ta, cmd: Command, req: &str| {
        let before = (ta.p.writes(), ta.s.pin.is_some());
        let (status, _) = ta.call(cmd, req, 0);
        let changed = ta.p.writes() != before.0 || ta.s.pin.is_some() != before.1;
        seen.insert(cmd as u32, (status, changed));
    };
    let pin = |s: &str| Pin::new(s).unwrap();
    empty(
        &mut ta,
        Command::Provision,
        &sample(Command::Provision, None).render(),
    );
    let c = ta.channel(None);
    empty(
        &mut ta,
        Command::PinSet,
        &json(&c.request(&pin("1234"), [1; 8])),
    );
    let c = ta.channel(None);
    empty(
        &mut ta,
        Command::PinVerify,
        &json(&c.request(&pin("1234"), [2; 8])),
    );
    let c = ta.channel(None);
    let change = c.change_request(&pin("1234"), [3; 8], &pin("5678"), [4; 8]);
    empty(&mut ta, Command::PinChange, &json(&change));
    let c = ta.channel(None);
    let block = c.block(&pin("1234"), [5; 8]);
    let issuer_key = SigningKey::from_slice(&[0x42; 32]).unwrap();
    // an issuer signs low-S: the TA refuses the high-S twin
    let sig: Signature = issuer_key.sign(&c.unblock_message(&block));
    let unblock = c
        .unblock_request(&block, sig.normalize_s().to_der().as_bytes())
        .unwrap();
    empty(&mut ta, Command::PinUnblock, &json(&unblock));
    empty(&mut ta, Command::PinStatus, r#"{"v":1}"#);
    empty(&mut ta, Command::PinSession, r#"{"v":1}"#);
    let generate = |ta: &mut Ta, label: &str, policy: KeyPolicy| -> String {
        let req = format!(r#"{{"v":1,"label":"{label}","policy":{}}}"#, json(&policy));
        let info: KeyInfoReply = decode(&ta.ok(Command::KeyGenerate, &req)).unwrap();
        info.id.to_string()
    };
    let exportable = KeyPolicy {
        exportable: true,
        ..KeyPolicy::plain(mfs_proto::Purpose::Sign)
    };
    let signer = generate(&mut ta, "signer", exportable);
    let attester = generate(
        &mut ta,
        "attester",
        KeyPolicy::plain(mfs_proto::Purpose::Attest),
    );
    empty(
        &mut ta,
        Command::KeyGenerate,
        &sample(Command::KeyGenerate, None).render(),
    );
    empty(&mut ta, Command::KeyList, r#"{"v":1,"offset":0}"#);
    empty(
        &mut ta,
        Command::KeyInfo,
        &format!(r#"{{"v":1,"id":"{signer}"}}"#),
    );
    let sign = format!(r#"{{"v":1,"id":"{signer}","message":"0102"}}"#);
    empty(&mut ta, Command::KeySign, &sign);
    let attest = format!(r#"{{"v":1,"id":"{signer}","challenge":"00","attest_key":"{attester}"}}"#);
    empty(&mut ta, Command::KeyAttest, &attest);
    empty(
        &mut ta,
        Command::KeyExport,
        &format!(r#"{{"v":1,"id":"{signer}"}}"#),
    );
    let spare = generate(&mut ta, "spare", exportable);
    let spare_req = format!(r#"{{"v":1,"id":"{spare}"}}"#);
    let blob: KeyExportReply = decode(&ta.ok(Command::KeyExport, &spare_req)).unwrap();
    ta.ok(Command::KeyDelete, &spare_req);
    empty(
        &mut ta,
        Command::KeyImport,
        &format!(r#"{{"v":1,"blob":"{}"}}"#, blob.blob),
    );
    let c = ta.channel(None);
    let mut tx = sample(Command::TxSign, None);
    tx.edit("id", Some(&format!("\"{signer}\"")));
    tx.edit("client_key", Some(&format!("\"{}\"", c.client_key_hex())));
    tx.edit(
        "block",
        Some(&format!("\"{}\"", c.block_hex(&pin("1234"), [6; 8]))),
    );
    tx.edit("pan", None);
    empty(&mut ta, Command::TxSign, &tx.render());
    empty(&mut ta, Command::LogRead, r#"{"v":1,"from":0}"#);
    // The TA's attestation key exists from here on (made with a full
    // reply buffer): a log head changes nothing.
    ta.ok(
        Command::KeyAttest,
        &format!(r#"{{"v":1,"id":"{signer}","challenge":"00"}}"#),
    );
    empty(&mut ta, Command::LogHead, r#"{"v":1,"challenge":"00"}"#);
    empty(
        &mut ta,
        Command::KeyDelete,
        &format!(r#"{{"v":1,"id":"{signer}"}}"#),
    );
    empty(&mut ta, Command::Info, r#"{"v":1}"#);
    empty(&mut ta, Command::Ping, r#"{"v":1,"echo":7}"#);
    empty(&mut ta, Command::Wipe, r#"{"v":1}"#);
    seen
}

// ---- the command table -----------------------------------------------------

fn check_command_table(tables: &[Table], problems: &mut Vec<String>) {
    let header = [
        "id",
        "command",
        "group",
        "provisioning",
        "PIN session",
        "state",
    ];
    let found = find(tables, &header);
    let [t] = found.as_slice() else {
        problems.push(format!(
            "want one command table with header {header:?}, found {}",
            found.len()
        ));
        return;
    };
    let mut rows = BTreeMap::new();
    for row in &t.rows {
        if row.len() != header.len() {
            problems.push(format!(
                "command table: row {row:?} has {} cells",
                row.len()
            ));
            continue;
        }
        match command_named(ticked(&row[1])) {
            Some(c) if rows.insert(c as u32, row.clone()).is_some() => {
                problems.push(format!("command table: `{}` twice", c.name()));
            }
            Some(_) => {}
            None => problems.push(format!("command table: unknown command {}", row[1])),
        }
    }
    for c in Command::ALL {
        let Some(row) = rows.get(&(c as u32)) else {
            problems.push(format!("command table: `{}` is missing", c.name()));
            continue;
        };
        let name = c.name();
        let group = match c.group() {
            Group::User => "user",
            Group::Admin => "admin",
        };
        if row[2] != group {
            problems.push(format!(
                "`{name}`: group {} in the document, {group} in the code",
                row[2]
            ));
        }
        let yes = |cell: &str| first_word(cell) == "yes";
        let needs = answer(c, &Edit::Keep, true) == Status::NotProvisioned;
        if yes(&row[3]) != needs {
            problems.push(format!(
                "`{name}`: provisioning \"{}\" in the document, but before provisioning the TA answers {}",
                row[3],
                answer(c, &Edit::Keep, true).name()
            ));
        }
        let uses = uses_up_pin_session(c);
        if (first_word(&row[4]) == "uses") != uses || uses != c.uses_pin_session() {
            problems.push(format!(
                "`{name}`: PIN session \"{}\" in the document; a malformed request {} it",
                row[4],
                if uses { "uses up" } else { "leaves" }
            ));
        }
        match state_changes().get(&(c as u32)) {
            Some((Status::ShortBuffer, changed)) if *changed == yes(&row[5]) => {}
            Some((Status::ShortBuffer, changed)) => problems.push(format!(
                "`{name}`: state \"{}\" in the document, but a successful call {} state",
                row[5],
                if *changed { "changes" } else { "changes no" }
            )),
            other => problems.push(format!(
                "`{name}`: with an empty reply buffer the scenario got {other:?}, not short-buffer"
            )),
        }
    }
}

// ---- request fields -------------------------------------------------------

const FIELD_HEADER: [&str; 5] = [
    "field",
    "type",
    "on the wire (else `bad-request`)",
    "value",
    "absent or `null`",
];

/// The commands a request table is for, from its heading.
fn table_commands(t: &Table, problems: &mut Vec<String>) -> Vec<Command> {
    if t.heading == "Every request" {
        return Command::ALL.to_vec();
    }
    let mut out = Vec::new();
    for name in all_ticked(&t.heading) {
        match command_named(name) {
            Some(c) => out.push(c),
            None => problems.push(format!(
                "request table \"{}\": no command `{name}`",
                t.heading
            )),
        }
    }
    if out.is_empty() {
        problems.push(format!("request table \"{}\" names no command", t.heading));
    }
    out
}

/// The JSON names of every value of the enum a policy field holds, from
/// the policy's binary form (so a new value is found without a list).
fn enum_names(field: &str) -> Option<BTreeSet<String>> {
    let at = match field {
        "policy.purpose" => 0,
        "policy.pin" => 1,
        _ => return None,
    };
    let mut names = BTreeSet::new();
    for b in 0..=255u8 {
        // a purpose byte with "no PIN", or a PIN rule byte with "sign";
        // the window is set for the window rule
        let mut bytes = [0u8; POLICY_LEN];
        bytes[0] = 1;
        bytes[at] = b;
        if at == 1 && b == 2 {
            bytes[5] = 1;
        }
        let Some(p) = KeyPolicy::from_bytes(&bytes) else {
            continue;
        };
        let name = if at == 0 {
            json(&p.purpose)
        } else {
            json(&p.pin)
        };
        names.insert(name);
    }
    Some(names)
}

fn width_max(w: &str) -> Option<u128> {
    Some(match w {
        "u8" => u8::MAX.into(),
        "u16" => u16::MAX.into(),
        "u32" => u32::MAX.into(),
        "u64" => u64::MAX.into(),
        _ => return None,
    })
}

/// A leading `` `lo..=hi` `` in a value cell and the status named after
/// "else".
fn range(cell: &str) -> Option<(u128, u128, Option<Status>)> {
    let inner = cell.strip_prefix('`')?.split('`').next()?;
    let (lo, hi) = inner.split_once("..=")?;
    let status = cell
        .split_once("else `")
        .and_then(|(_, rest)| rest.split('`').next())
        .and_then(status_named);
    Some((lo.parse().ok()?, hi.parse().ok()?, status))
}

struct FieldCheck<'a> {
    cmd: Command,
    field: &'a str,
    problems: &'a mut Vec<String>,
}

impl FieldCheck<'_> {
    fn expect(&mut self, edit: Edit, with_session: bool, ok: impl Fn(Status) -> bool, want: &str) {
        let got = answer(self.cmd, &edit, with_session);
        if !ok(got) {
            self.problems.push(format!(
                "`{}` `{}`: {edit:?} answered {}, the document says {want}",
                self.cmd.name(),
                self.field,
                got.name()
            ));
        }
    }
    fn set(&self, raw: impl Into<String>) -> Edit {
        Edit::Set(self.field.to_string(), raw.into())
    }
}

fn check_request_tables(tables: &[Table], problems: &mut Vec<String>) {
    let mut documented: BTreeMap<u32, BTreeSet<String>> = BTreeMap::new();
    for t in find(tables, &FIELD_HEADER) {
        for cmd in table_commands(t, problems) {
            for row in &t.rows {
                let Some(field) = row.first().map(|c| ticked(c)) else {
                    continue;
                };
                if !documented
                    .entry(cmd as u32)
                    .or_default()
                    .insert(field.to_string())
                {
                    problems.push(format!("`{}` `{field}` documented twice", cmd.name()));
                }
                check_field(cmd, row, problems);
            }
        }
    }
    for cmd in Command::ALL {
        let have: BTreeSet<String> = request_fields(cmd).into_keys().collect();
        let doc = documented.remove(&(cmd as u32)).unwrap_or_default();
        for f in have.difference(&doc) {
            problems.push(format!(
                "`{}` request field `{f}` is not documented",
                cmd.name()
            ));
        }
        if answer(cmd, &Edit::Keep, false) == Status::BadRequest {
            problems.push(format!(
                "`{}`: the test's sample request is refused",
                cmd.name()
            ));
        }
    }
}

fn check_field(cmd: Command, row: &[String], problems: &mut Vec<String>) {
    let [field, ty, wire, value, absent] = row else {
        problems.push(format!("request table row {row:?}: want 5 cells"));
        return;
    };
    let field = ticked(field);
    let kinds = request_fields(cmd);
    let Some(kind) = kinds.get(field) else {
        problems.push(format!("`{}` has no request field `{field}`", cmd.name()));
        return;
    };
    let mut c = FieldCheck {
        cmd,
        field,
        problems,
    };
    let bad = |s: Status| s == Status::BadRequest;
    let parses = |s: Status| s != Status::BadRequest;
    let kind_ok = match ty.as_str() {
        "integer" | "boolean" | "object" => ty.as_str() == *kind,
        "string" | "hex" | "enum string" => *kind == "string",
        _ => false,
    };
    if !kind_ok {
        c.problems.push(format!(
            "`{}` `{field}`: type \"{ty}\", the request holds a JSON {kind}",
            cmd.name()
        ));
    }
    // present or not
    if first_word(absent) == "required" {
        c.expect(Edit::Remove(field.into()), false, bad, "required");
        c.expect(c.set("null"), false, bad, "required");
    } else {
        c.expect(Edit::Remove(field.into()), false, parses, "optional");
        c.expect(c.set("null"), false, parses, "optional");
    }
    // on the wire
    let width = wire.split_whitespace().next().and_then(width_max);
    let bound = wire
        .strip_prefix("≤ ")
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse::<usize>().ok());
    match (ty.as_str(), width, bound) {
        ("integer", Some(max), None) => {
            c.expect(c.set(max.to_string()), false, parses, wire);
            c.expect(c.set((max + 1).to_string()), false, bad, wire);
            c.expect(c.set("-1"), false, bad, wire);
            c.expect(c.set("\"1\""), false, bad, "an integer");
        }
        ("string" | "hex", None, Some(len)) => {
            c.expect(
                c.set(format!("\"{}\"", "1".repeat(len))),
                false,
                parses,
                wire,
            );
            // Over the bound: one byte more for a string; for hex two
            // digits more, so the length stays even (an odd number of hex
            // digits is `bad-request` whatever the bound, and would let an
            // understated bound pass).
            let over = if ty == "hex" { len + 2 } else { len + 1 };
            c.expect(c.set(format!("\"{}\"", "1".repeat(over))), false, bad, wire);
            c.expect(c.set("1"), false, bad, "a string");
        }
        ("boolean", None, None) if wire == "—" => {
            c.expect(c.set("1"), false, bad, "a boolean");
            c.expect(c.set("\"true\""), false, bad, "a boolean");
        }
        ("object", None, None) if wire == "—" => c.expect(c.set("1"), false, bad, "an object"),
        ("enum string", None, None) if wire == "—" => {
            let head = value.split(':').next().unwrap_or("");
            let names: BTreeSet<String> = all_ticked(head)
                .into_iter()
                .filter(|t| t.starts_with('"'))
                .map(str::to_string)
                .collect();
            if let Some(all) = enum_names(field)
                && all != names
            {
                c.problems.push(format!(
                    "`{}` `{field}`: names {names:?} in the document, {all:?} in the code",
                    cmd.name()
                ));
            }
            for name in &names {
                c.expect(c.set(name.clone()), false, parses, "a name of the enum");
            }
            c.expect(
                c.set("\"zz-no-such-name\""),
                false,
                |s| s == Status::InvalidArgument,
                "invalid-argument for a name outside the enum",
            );
            c.expect(c.set("1"), false, bad, "a string");
        }
        _ => c.problems.push(format!(
            "`{}` `{field}`: \"{wire}\" is no wire rule for a {ty} (u8/u16/u32/u64, ≤ N …, or —)",
            cmd.name()
        )),
    }
    // hex: either case, unless the field says lowercase
    if ty == "hex" {
        let upper = Edit::Upper(field.into());
        if value.contains("lowercase") {
            let is = |s: Status| s == Status::InvalidArgument;
            c.expect(upper, true, is, "invalid-argument in uppercase");
        } else {
            let base = answer(cmd, &Edit::Keep, true);
            c.expect(upper, true, |s| s == base, base.name());
        }
    }
    // the range
    if let Some((lo, hi, status)) = range(value) {
        let Some(status) = status else {
            c.problems.push(format!(
                "`{}` `{field}`: the range names no status after \"else\"",
                cmd.name()
            ));
            return;
        };
        let max = width.unwrap_or(u128::MAX);
        if hi > max {
            c.problems.push(format!(
                "`{}` `{field}`: range up to {hi} beyond its width",
                cmd.name()
            ));
        }
        for v in [lo, hi] {
            c.expect(
                c.set(v.to_string()),
                true,
                |s| s != status && s != Status::BadRequest,
                "in range",
            );
        }
        if lo > 0 {
            c.expect(
                c.set((lo - 1).to_string()),
                true,
                |s| s == status,
                status.name(),
            );
        }
        if hi < max {
            c.expect(
                c.set((hi + 1).to_string()),
                true,
                |s| s == status,
                status.name(),
            );
        }
    }
}

// ---- PAN fields and key derivations ----------------------------------------

fn check_pan_fields(tables: &[Table], problems: &mut Vec<String>) {
    let found = find(tables, &["`pan`", "PAN field (hex)"]);
    if found.is_empty() {
        problems.push("no PAN field table".into());
    }
    for t in found {
        for row in &t.rows {
            let pan = if row[0].starts_with("absent") {
                None
            } else {
                Some(ticked(&row[0]).trim_matches('"'))
            };
            let want = PanField::new(pan).map(|f| Hex(f.as_bytes()).to_string());
            if want.as_deref() != Ok(ticked(&row[1])) {
                problems.push(format!(
                    "PAN field of {pan:?}: {} in the document, {want:?} computed",
                    row[1]
                ));
            }
        }
    }
}

/// The bytes a derivation cell names: quoted ASCII strings and the names
/// `ta_key` / `client_key`, joined by `‖`.
fn cell_bytes(cell: &str, names: &BTreeMap<&str, Vec<u8>>) -> Option<Vec<u8>> {
    let head = cell.split(':').next()?.split('(').next()?;
    let mut out = Vec::new();
    for part in head.split('‖') {
        let t = ticked(part.trim());
        match t.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
            Some(ascii) => out.extend_from_slice(ascii.as_bytes()),
            None => out.extend_from_slice(names.get(t)?),
        }
    }
    Some(out)
}

fn hkdf(salt: Option<&[u8]>, ikm: &[u8], info: &[u8], len: usize) -> Vec<u8> {
    let mut okm = vec![0u8; len];
    Hkdf::<Sha256>::new(salt, ikm)
        .expand(info, &mut okm)
        .unwrap();
    okm
}

fn hmac(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap();
    m.update(msg);
    m.finalize().into_bytes().into()
}

fn check_derivations(tables: &[Table], problems: &mut Vec<String>) {
    let found = find(tables, &["key", "salt", "IKM", "info", "bytes"]);
    let [t] = found.as_slice() else {
        problems.push("want one key derivation table".into());
        return;
    };
    // The TA's side: a provisioned TA's secret and its keys.
    let mut ta = Ta::new();
    ta.ok(
        Command::Provision,
        &sample(Command::Provision, None).render(),
    );
    let secret_id = mfs_core::objects::secret().unwrap();
    // (the secret is packed into `st`: read it as the TA does)
    let mut state = mfs_core::pack::PackState::default();
    let mut packed = mfs_core::pack::Packed::new(&mut ta.p, &mut state);
    let secret = packed.read(&secret_id).unwrap().unwrap()[1..33].to_vec();
    let stored = mfs_core::store::secret::load(&mut packed).unwrap();
    let pin_key = mfs_core::store::pin::pin_key(&mut packed).unwrap();
    let probe = b"spec probe";
    // The transport: fixed ephemeral keys on both sides.
    let a = SecretKey::from_slice(&[0x21; 32]).unwrap();
    let b = SecretKey::from_slice(&[0x12; 32]).unwrap();
    let ta_key = a.public_key().to_sec1_point(false).as_bytes().to_vec();
    let client_key = b.public_key().to_sec1_point(false).as_bytes().to_vec();
    let shared = p256::ecdh::diffie_hellman(a.to_nonzero_scalar(), b.public_key().as_affine());
    let z = shared.raw_secret_bytes().to_vec();
    let names = BTreeMap::from([
        ("ta_key", ta_key.clone()),
        ("client_key", client_key.clone()),
    ]);
    let mut seen = BTreeSet::new();
    for row in &t.rows {
        let [key, salt, _ikm, info, bytes] = row.as_slice() else {
            problems.push(format!("key derivation row {row:?}: want 5 cells"));
            continue;
        };
        let salt = if salt.starts_with("none") {
            None
        } else {
            cell_bytes(salt, &names)
        };
        let (Some(info), Ok(len)) = (cell_bytes(info, &names), bytes.parse::<usize>()) else {
            problems.push(format!(
                "key derivation row {row:?}: unreadable info or length"
            ));
            continue;
        };
        let ok = if key.contains("transport") {
            seen.insert("transport");
            let doc = hkdf(salt.as_deref(), &z, &info, len);
            let ours = TransportKey::derive(
                &z,
                &ta_key.clone().try_into().unwrap(),
                &client_key.clone().try_into().unwrap(),
            );
            let pin = Pin::new("1234").unwrap();
            let pan = PanField::new(None).unwrap();
            len == 16
                && TransportKey::from_bytes(doc.try_into().unwrap()).encipher(&pin, &pan, [0; 8])
                    == ours.encipher(&pin, &pan, [0; 8])
        } else if key.contains("K_pin") {
            seen.insert("K_pin");
            let doc = hkdf(salt.as_deref(), &secret, &info, len);
            hmac(&doc, probe) == *pin_key.hmac(&[&probe[..]])
        } else if key.contains("KEK") {
            seen.insert("KEK");
            let doc = hkdf(salt.as_deref(), &secret, &info, len);
            hmac(&doc, probe) == *mfs_core::seal::kek(&stored).hmac(&[&probe[..]])
        } else {
            problems.push(format!("key derivation of an unknown key: {key}"));
            continue;
        };
        if !ok {
            problems.push(format!(
                "key derivation \"{key}\": the TA derives another key"
            ));
        }
    }
    for k in ["transport", "K_pin", "KEK"] {
        if !seen.contains(k) {
            problems.push(format!("key derivation of {k} is not documented"));
        }
    }
}

// ---- everything -------------------------------------------------------------

/// Every disagreement between `doc` and the code.
fn problems(doc: &str) -> Vec<String> {
    let t = tables(doc);
    let mut p = Vec::new();
    check_numbered_tables(&t, &mut p);
    check_command_ids(&t, &mut p);
    check_command_table(&t, &mut p);
    check_request_tables(&t, &mut p);
    check_pan_fields(&t, &mut p);
    check_derivations(&t, &mut p);
    p
}

/// A JSON string literal (the names and cells here are plain text).
fn js(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The tables as the code defines them, and the problems found, as JSON:
/// what the evidence pack (`scripts/evidence`) compares with the
/// document's tables and shows.
fn generated_tables(problems: &[String]) -> String {
    let numbered = |rows: Vec<(u128, &str)>| -> String {
        let items: Vec<String> = rows
            .iter()
            .map(|(v, n)| format!("{{\"value\":{v},\"name\":{}}}", js(n)))
            .collect();
        format!("[{}]", items.join(","))
    };
    let bounds = numbered(bounds().into_iter().map(|(n, v)| (v, n)).collect());
    let statuses = numbered(Status::ALL.iter().map(|s| (*s as u128, s.name())).collect());
    let reasons = numbered(
        PolicyReason::ALL
            .iter()
            .map(|r| (*r as u128, r.name()))
            .collect(),
    );
    let kinds = numbered(
        EventKind::ALL
            .iter()
            .map(|k| (*k as u128, k.name()))
            .collect(),
    );
    let commands: Vec<String> = Command::ALL
        .iter()
        .map(|c| {
            let group = match c.group() {
                Group::User => "user",
                Group::Admin => "admin",
            };
            let fields: Vec<String> = request_fields(*c)
                .into_iter()
                .map(|(f, k)| format!("{{\"field\":{},\"type\":{}}}", js(&f), js(k)))
                .collect();
            format!(
                "{{\"id\":{},\"name\":{},\"group\":{},\"request_fields\":[{}]}}",
                js(&id_text(*c)),
                js(c.name()),
                js(group),
                fields.join(",")
            )
        })
        .collect();
    let problems: Vec<String> = problems.iter().map(|p| js(p)).collect();
    format!(
        "{{\"bounds\":{bounds},\"statuses\":{statuses},\"policy_reasons\":{reasons},\
         \"event_kinds\":{kinds},\"commands\":[{}],\"problems\":[{}]}}\n",
        commands.join(","),
        problems.join(",")
    )
}

#[test]
fn the_document_agrees_with_the_code() {
    let p = problems(DOC);
    // Under scripts/test: the generated tables for the evidence pack.
    if let Some(dir) = std::env::var_os("MFS_RESULTS_DIR") {
        let path = std::path::Path::new(&dir).join("spec-tables.json");
        std::fs::write(&path, generated_tables(&p)).expect("writing spec-tables.json");
    }
    assert!(
        p.is_empty(),
        "docs/ta-interface.md disagrees with the code:\n{}",
        p.join("\n")
    );
}

/// Each one-line edit of the document is caught.
#[test]
fn a_doctored_document_fails() {
    let edits: &[(&str, &str)] = &[
        // a status renamed, a status gone
        ("| 15 | `pin-incorrect` |", "| 15 | `pin-wrong` |"),
        (
            "| 23 | `key-exists` | 0 | import of a key that is already present |\n",
            "",
        ),
        // a command id, provisioning, PIN session and state
        (
            "| `0x00000013` | `pin-verify` | user | yes |",
            "| `0x00000019` | `pin-verify` | user | yes |",
        ),
        (
            "| `0x00000021` | `key-list` | user | no (an empty list) |",
            "| `0x00000021` | `key-list` | user | yes |",
        ),
        (
            "| `0x00000024` | `key-sign` | user | yes | — |",
            "| `0x00000024` | `key-sign` | user | yes | uses |",
        ),
        (
            "| `0x00000002` | `info` | user | no | — | no |",
            "| `0x00000002` | `info` | user | no | — | yes |",
        ),
        (
            "| `0x00010002` | `wipe` | admin |",
            "| `0x00010002` | `wipe` | user |",
        ),
        // a bound, a reason, an event kind
        (
            "| `MAX_REQUEST_LEN` | 2048 |",
            "| `MAX_REQUEST_LEN` | 4096 |",
        ),
        ("| 3 | `pin-window` |", "| 7 | `pin-window` |"),
        ("| 15 | `wiped` |", "| 16 | `wiped` |"),
        // request fields: width, bound, range, optionality, enum, a field
        (
            "| `pin_max_tries` | integer | u8 |",
            "| `pin_max_tries` | integer | u16 |",
        ),
        (
            "| `label` | string | ≤ 32 bytes |",
            "| `label` | string | ≤ 33 bytes |",
        ),
        ("`3..=15` (`PIN_TRIES_MIN", "`3..=16` (`PIN_TRIES_MIN"),
        (
            "`1..=999999999999999` (`AMOUNT_MAX`)",
            "`0..=999999999999999` (`AMOUNT_MAX`)",
        ),
        (
            "`1..=1` (`PROTOCOL_MIN..=PROTOCOL_CURRENT`), else `unsupported-version`",
            "`1..=1` (`PROTOCOL_MIN..=PROTOCOL_CURRENT`), else `invalid-argument`",
        ),
        ("| the TA's own attestation key signs |", "| required |"),
        (
            "closes every window | required |",
            "closes every window | no window |",
        ),
        (
            r#"`"sign"` \| `"attest"`:"#,
            r#"`"sign"` \| `"attest"` \| `"encrypt"`:"#,
        ),
        (
            "| `offset` | integer | u16 |",
            "| `offset` | string | ≤ 5 bytes |",
        ),
        (
            "| `echo` | integer | u32 | any; the reply echoes it | required |\n",
            "",
        ),
        // a PAN field, a key derivation
        (
            "| `\"4111111111111111\"` | `4411",
            "| `\"4111111111111111\"` | `4511",
        ),
        (
            "`\"mfs-ta/pin-hash/v1\"` (18 bytes)",
            "`\"mfs-ta/pin-hash/v2\"` (18 bytes)",
        ),
        (
            "`ta_key` ‖ `client_key`: the TA's",
            "`client_key` ‖ `ta_key`: the TA's",
        ),
        // hex case
        ("32–128 **lowercase** hex digits", "32–128 hex digits"),
        // a hex bound understated by one byte (still an even length)
        (
            "| `blob` | hex | ≤ 412 characters |",
            "| `blob` | hex | ≤ 410 characters |",
        ),
    ];
    for (from, to) in edits {
        assert_eq!(
            DOC.matches(from).count(),
            1,
            "the edit must match once: {from}"
        );
        let doctored = DOC.replacen(from, to, 1);
        let p = problems(&doctored);
        eprintln!("EDIT {from:?}\n  {}", p.join("\n  "));
        assert!(!p.is_empty(), "not caught: {from:?} -> {to:?}");
    }
}
