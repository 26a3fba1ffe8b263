//! `mfs pin ...`: PIN status, enrolment, verification, change and issuer
//! unblock. PINs come from [`read_pin`], never from the command line.

use mfs_host::issuer::IssuerKey;

use crate::Tee;
use crate::args::PinCmd;
use crate::error::Failure;
use crate::io::{read_new_pin, read_pin, read_text};
use crate::output::print_pin_status;

/// Runs one `mfs pin` command.
pub(crate) fn run(client: &mut Tee, json: bool, cmd: &PinCmd) -> Result<(), Failure> {
    match cmd {
        PinCmd::Status => print_pin_status(json, "", &client.pin_status()?),
        PinCmd::Set(p) => {
            let new = read_new_pin("New PIN: ")?;
            print_pin_status(json, "PIN set", &client.pin_set(&new, p.pan.as_deref())?);
        }
        PinCmd::Verify { pan, key } => {
            let pin = read_pin("PIN: ")?;
            let s = match key {
                Some(k) => client.pin_verify_for_key(&pin, pan.pan.as_deref(), k)?,
                None => client.pin_verify(&pin, pan.pan.as_deref())?,
            };
            let done = if key.is_some() {
                "PIN verified; the key's window is open for one use"
            } else {
                "PIN verified"
            };
            print_pin_status(json, done, &s);
        }
        PinCmd::Change(p) => {
            let old = read_pin("Current PIN: ")?;
            let new = read_new_pin("New PIN: ")?;
            let s = client.pin_change(&old, &new, p.pan.as_deref())?;
            print_pin_status(json, "PIN changed", &s);
        }
        PinCmd::Unblock { pan, issuer_key } => {
            let issuer = IssuerKey::from_pem(&read_text(issuer_key)?)?;
            let new = read_new_pin("New PIN: ")?;
            let s = client.pin_unblock(&new, pan.pan.as_deref(), |m| Ok(issuer.sign(m)))?;
            print_pin_status(json, "PIN unblocked", &s);
        }
    }
    Ok(())
}
