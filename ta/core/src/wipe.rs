//! Application deactivation (ISO/TS 12812-2 7.4.5): every key, the PIN
//! record and counters, the policy and the TA-unique secret destroyed.
//!
//! Order: the TA-unique secret goes **first**. Every key blob (stored or
//! exported to the normal world) and the PIN hash are keyed by it, so from
//! that moment nothing of the old state can be used, even if the power
//! fails before the rest is deleted (crypto-erase). Then every other
//! persistent object of the TA is enumerated and deleted. A wipe cut short
//! leaves an unusable TA (storage errors) that a second wipe completes;
//! provisioning afterwards creates a new secret, so old exported blobs stay
//! dead.
//!
//! The event log and the transaction counter are kept: they hold no
//! secret, the evidence must outlive deactivation, and a counter value must
//! never be used twice. The wipe is logged before anything is deleted; a
//! log that cannot be loaded (damaged storage) is restarted with the wipe
//! as its first entry rather than blocking deactivation.
//!
//! In TA memory, the instance state (PIN window, throttle timer) and the
//! session's PIN session are cleared; all key material in memory is
//! `ZeroizeOnDrop`. In storage, OP-TEE deletes the objects; REE FS may keep
//! old encrypted blocks on the normal-world disk until reused, which is why
//! the secret they would need is destroyed first.

use mfs_proto::WipeReply;
use mfs_proto::log::EventKind;

use crate::audit::Event;
use crate::error::Error;
use crate::journal;
use crate::objects::{self, survives_wipe};
use crate::platform::Platform;
use crate::state::Instance;

/// `Wipe`.
pub fn wipe(p: &mut impl Platform, inst: &mut Instance) -> Result<WipeReply, Error> {
    inst.reset();
    journal::append_or_restart(p, &mut inst.log, &[Event::plain(EventKind::Wiped)])?;
    let secret = objects::secret()?;
    let had_secret = p.read(&secret)?.is_some();
    p.delete(&secret)?;
    let mut destroyed = u32::from(had_secret);
    let mut listed = p.object_ids()?;
    // The key vault by name too: the listing comes from the normal world,
    // which could leave it out.
    let vault = objects::key_vault()?;
    if !listed.contains(&vault) {
        p.delete(&vault)?;
    }
    listed.retain(|id| !survives_wipe(id));
    for id in listed {
        p.delete(&id)?;
        destroyed = destroyed.saturating_add(1);
    }
    Ok(WipeReply {
        objects_destroyed: destroyed,
    })
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::keys::{self, export, import};
    use crate::store::config::Config;
    use crate::testkit::{
        ME, gen_key, key_platform as provisioned, sign_policy as policy, sign_req,
    };
    use mfs_proto::KeyImportRequest;

    #[test]
    fn wipe_leaves_nothing_usable() {
        let mut p = provisioned();
        let mut inst = Instance::default();
        let five = crate::state::PinTimers {
            window: Some(crate::state::Window {
                key: [1; 8],
                opened_ms: 5,
            }),
            last_failure_ms: None,
        };
        inst.pins.set(ME.tag(), five);
        let k = gen_key(&mut p, "k", policy());
        let blob = export(&mut p, &mut Instance::default(), &ME, &k.id)
            .unwrap()
            .blob;
        let r = wipe(&mut p, &mut inst).unwrap();
        // secret, cfg, the key vault; the event log stays, and ends with
        // the wipe
        assert_eq!(r.objects_destroyed, 3);
        let left = p.object_ids().unwrap();
        assert!(!left.is_empty() && left.iter().all(survives_wipe));
        let (_, next, _) = crate::audit::read(&mut p, &mut inst.log, 0, 0).unwrap();
        let (_, _, last) = crate::audit::read(&mut p, &mut inst.log, next - 1, 1).unwrap();
        assert_eq!(last[0].0.kind, EventKind::Wiped);
        assert_eq!(inst.pins.of(ME.tag()).window, None);
        assert_eq!(
            keys::sign(&mut p, &mut inst, &ME, &sign_req(&k.id, b"x")).err(),
            Some(Error::NotProvisioned)
        );
        // re-provisioned: a new secret; the old exported blob is dead
        Config::new(5, 0, crate::testkit::G)
            .unwrap()
            .provision(&mut p)
            .unwrap();
        assert_eq!(
            import(
                &mut p,
                &mut Instance::default(),
                &ME,
                &KeyImportRequest { v: 1, blob }
            )
            .err(),
            Some(Error::BlobRejected)
        );
        assert_eq!(
            keys::list(&mut p, &mut Instance::default(), &ME, 0)
                .unwrap()
                .total,
            0
        );
        // wiping an empty TA is fine
        let mut q = crate::mem::MemPlatform::new();
        assert_eq!(
            wipe(&mut q, &mut Instance::default())
                .unwrap()
                .objects_destroyed,
            0
        );
    }

    #[test]
    fn a_cut_wipe_is_already_a_crypto_erase_and_can_be_finished() {
        for cut in 1..=4 {
            let mut p = provisioned();
            let mut inst = Instance::default();
            let k = gen_key(&mut p, "k", policy());
            p.cut_power_at(cut);
            assert_eq!(wipe(&mut p, &mut inst).err(), Some(Error::Storage));
            p.power_on();
            let usable = keys::sign(&mut p, &mut inst, &ME, &sign_req(&k.id, b"x")).is_ok();
            // cut 1: the log append, cut 2: the secret's deletion
            assert_eq!(usable, cut <= 2, "cut at {cut}");
            wipe(&mut p, &mut inst).unwrap();
            assert!(p.object_ids().unwrap().iter().all(survives_wipe));
        }
    }
}
