//! `mfs tx ...`: transactions signed with proof of consent, and their
//! offline verification (`tx verify` needs no TA).

use std::io::Write;
use std::path::{Path, PathBuf};

use mfs_host::keys::{EcPublicKey, parse_hex};
use mfs_host::proto::{Hex, TxRecord, TxSignReply};
use mfs_host::tx::{InvalidRecord, TxError, canonical_display, verify_series};
use mfs_host::{Error, InputError};
use serde_json::json;

use crate::Tee;
use crate::args::TxCmd;
use crate::error::Failure;
use crate::io::{now_unix, read_pin, read_text, write_out};
use crate::output::print_tx;

/// Runs `mfs tx sign` (`tx verify` is [`verify`], run without a TA).
pub(crate) fn run(client: &mut Tee, json: bool, cmd: &TxCmd) -> Result<(), Failure> {
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
        return Err(Failure::Usage("not a tx sign command"));
    };
    let text = match display {
        Some(d) => d.clone(),
        None => canonical_display(*amount, currency, payee)?,
    };
    let record = TxRecord {
        amount: *amount,
        currency: currency
            .as_str()
            .try_into()
            .map_err(|_| Error::Record(InvalidRecord::Currency))?,
        payee: payee
            .as_str()
            .try_into()
            .map_err(|_| Error::Record(InvalidRecord::Payee))?,
        display: text
            .as_str()
            .try_into()
            .map_err(|_| Error::Record(InvalidRecord::Display))?,
        challenge: Hex(&parse_hex(challenge)?)
            .to_string()
            .as_str()
            .try_into()
            .map_err(|_| Error::Input(InputError::ChallengeTooLong))?,
        time: match time {
            Some(t) => *t,
            None => now_unix()?,
        },
    };
    // Checked before it is shown: nothing invisible or reordering reaches
    // the terminal, and the text names the amount and payee signed.
    record.check().map_err(Error::Record)?;
    let pin = read_pin(&show_for_consent(&record)?)?;
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

/// Shows the record's display text, and the amount and payee it must
/// name, on standard error (so also with `--json`) before the PIN is
/// asked; returns the PIN prompt, which names the text. If the text
/// cannot be shown, no PIN is asked and nothing is signed.
fn show_for_consent(r: &TxRecord) -> Result<String, Failure> {
    let amount = r.amount_text().map_or(String::new(), |a| a.to_string());
    let mut text = String::from("The TA will sign this text, as shown to you:\n");
    for line in r.display.lines() {
        text.push_str(&format!("  | {line}\n"));
    }
    text.push_str(&format!(
        "amount {amount} ({} minor units), payee {}\n",
        r.amount, r.payee
    ));
    let mut err = std::io::stderr().lock();
    err.write_all(text.as_bytes())
        .and_then(|()| err.flush())
        .map_err(|e| Failure::write(Path::new("standard error"), &e))?;
    Ok(if r.display.contains('\n') {
        "PIN to confirm the text above: ".to_string()
    } else {
        format!("PIN to confirm \"{}\": ", r.display)
    })
}

/// `mfs tx verify`: signatures, encodings, the challenges (if given) and
/// counters strictly increasing across `files` in order.
pub(crate) fn verify(
    json: bool,
    files: &[PathBuf],
    key: &Path,
    challenges: &[String],
    after: Option<u64>,
) -> Result<(), Failure> {
    let trusted = EcPublicKey::from_pem(&read_text(key)?)?;
    if !challenges.is_empty() && challenges.len() != files.len() {
        return Err(Failure::Usage(
            "give --challenge once per file, in the files' order, or not at all",
        ));
    }
    let mut series = Vec::new();
    for f in files {
        let text = read_text(f)?;
        let tx: TxSignReply =
            serde_json::from_str(&text).map_err(|_| Error::Tx(TxError::Encoding))?;
        series.push(tx);
    }
    let decoded = verify_series(&series, &trusted, after).map_err(|(i, e)| {
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
            return Err(Error::Tx(TxError::Challenge).into());
        }
    }
    if json {
        let items: Vec<_> = decoded
            .iter()
            .map(|t| {
                json!({
                    "counter": t.counter, "key_id": Hex(&t.key_id).to_string(),
                    "amount": t.record.amount, "currency": t.record.currency.as_str(),
                    "amount_text": t.record.amount_text().map(|a| a.to_string()),
                    "payee": t.record.payee.as_str(), "display": t.record.display.as_str(),
                    "challenge": t.record.challenge.as_str(), "time": t.record.time,
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
