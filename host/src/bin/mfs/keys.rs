//! `mfs key ...`: keys generated and sealed inside the TA.

use mfs_host::keys::{EcPublicKey, PublicKeyFormat, parse_hex};
use mfs_host::proto::{Hex, KeyPolicy};
use serde_json::json;

use crate::Tee;
use crate::args::KeyCmd;
use crate::error::Failure;
use crate::io::{now_unix, read_bytes, read_text, write_out};
use crate::output::{print_attestation, print_key};

/// Runs one `mfs key` command.
pub(crate) fn run(client: &mut Tee, json: bool, cmd: &KeyCmd) -> Result<(), Failure> {
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
                purpose: *purpose,
                pin: *pin,
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
            let bytes = client.key_public(id)?.encode(*format)?;
            let text = match format {
                PublicKeyFormat::Pem => String::from_utf8_lossy(&bytes).trim_end().to_string(),
                PublicKeyFormat::Sec1 | PublicKeyFormat::Der => Hex(&bytes).to_string(),
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
            let msg = read_bytes(input)?;
            let (sig, uses) = client.key_sign(id, &msg)?;
            match out {
                Some(path) => write_out(path, &sig)?,
                None if json => {
                    println!(
                        "{}",
                        json!({ "signature": Hex(&sig).to_string(), "uses": uses })
                    );
                }
                None => println!("{}", Hex(&sig)),
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
                Some(path) => Some(EcPublicKey::from_pem(&read_text(path)?)?),
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
            print_attestation(json, &a, pinned.is_some());
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
            let blob = read_bytes(file)?;
            print_key(json, "key imported", &client.key_import(&blob)?);
        }
    }
    Ok(())
}
