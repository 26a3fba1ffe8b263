//! System commands: `info`, `ping`, `provision` and `wipe`.

use std::path::Path;

use mfs_host::issuer::public_key_from_pem;
use serde_json::json;

use crate::Tee;
use crate::error::Failure;
use crate::io::read_text;
use crate::output::print_info;

/// `mfs info`.
pub(crate) fn info(client: &mut Tee, json: bool) -> Result<(), Failure> {
    let info = client.info()?;
    if json {
        println!("{}", json!(info));
    } else {
        print_info(&info);
    }
    Ok(())
}

/// `mfs ping`.
pub(crate) fn ping(client: &mut Tee, json: bool, echo: u32) -> Result<(), Failure> {
    let got = client.ping(echo)?;
    if json {
        println!("{}", json!({ "echo": got }));
    } else {
        println!("pong {got}");
    }
    Ok(())
}

/// `mfs provision`.
pub(crate) fn provision(
    client: &mut Tee,
    json: bool,
    pin_max_tries: u8,
    pin_throttle_ms: u32,
    (issuer_key, require_rollback_protection): (&Path, bool),
) -> Result<(), Failure> {
    let issuer = public_key_from_pem(&read_text(issuer_key)?)?;
    let r = client.provision_policy(
        pin_max_tries,
        pin_throttle_ms,
        &issuer,
        require_rollback_protection,
    )?;
    if json {
        println!("{}", json!(r));
    } else {
        println!("provisioned: PIN try limit {}", r.pin_max_tries);
        if r.require_rollback_protection {
            println!(
                "policy: PIN, consent and usage-limited services need rollback-protected storage (RPMB)"
            );
        } else {
            eprintln!("warning: development policy: storage rollback protection is not required");
        }
    }
    Ok(())
}

/// `mfs wipe --yes`.
pub(crate) fn wipe(client: &mut Tee, json: bool, yes: bool) -> Result<(), Failure> {
    if !yes {
        return Err(Failure::Usage(
            "wipe destroys every key, every PIN and the policy, irreversibly: add --yes to confirm",
        ));
    }
    let r = client.wipe()?;
    if json {
        println!("{}", json!(r));
    } else {
        println!(
            "wiped: {} objects destroyed; the TA must be provisioned again",
            r.objects_destroyed
        );
    }
    Ok(())
}
