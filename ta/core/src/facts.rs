//! The facts the TA states about itself and its platform, built in one
//! place for every reply and signed statement that carries them (`Info`,
//! attestation statements, signed log heads).

use heapless::String;
use mfs_proto::{HukStatus, StorageKind, VERSION_MAX_LEN};

use crate::error::Error;
use crate::platform::{Platform, PlatformFacts, bounded};

/// What the TA says about itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaFacts {
    /// This TA's UUID (build input `MFS_TA_UUID`).
    pub ta_uuid: [u8; 16],
    /// This TA's version.
    pub ta_version: String<VERSION_MAX_LEN>,
    /// The secure storage the TA's objects live in.
    pub storage: StorageKind,
    /// Whether that storage resists rollback (RPMB only).
    pub rollback_protected: bool,
    /// What is known of the hardware unique key.
    pub hw_unique_key: HukStatus,
    /// Whether a trusted UI showed the text to the user: never (OP-TEE on
    /// QEMU has no GlobalPlatform trusted UI, and the TA uses none).
    pub trusted_ui: bool,
    /// The TEE's device id (`gpd.tee.deviceID`).
    pub tee_device_id: [u8; 16],
    /// Everything the platform reported.
    pub platform: PlatformFacts,
}

impl TaFacts {
    /// Reads the platform's facts and states the TA's own.
    pub fn of(p: &mut impl Platform) -> Result<TaFacts, Error> {
        let platform = p.facts();
        Ok(TaFacts {
            ta_uuid: mfs_proto::parse_uuid(mfs_proto::TA_UUID).ok_or(Error::Internal)?,
            ta_version: bounded(env!("CARGO_PKG_VERSION")),
            storage: platform.storage,
            rollback_protected: platform.storage == StorageKind::Rpmb,
            hw_unique_key: platform.hw_unique_key,
            trusted_ui: false,
            tee_device_id: platform.tee_device_id,
            platform,
        })
    }
}
