//! System commands: `Ping`, `Info` (the TA's facts, this session's rights,
//! provisioning state) and the one-time `Provision` (admin).

use mfs_proto::{
    InfoReply, PROTOCOL_CURRENT, PROTOCOL_MIN, PingReply, PingRequest, ProvisionReply,
    ProvisionRequest, hex_bytes, uuid_string,
};

use crate::audit::Event;
use crate::error::Error;
use crate::facts::TaFacts;
use crate::journal;
use crate::platform::Platform;
use crate::session::Session;
use crate::state::Instance;
use crate::store::config::Config;

/// `Ping`: echoes the number.
pub fn ping(req: &PingRequest) -> PingReply {
    PingReply { echo: req.echo }
}

/// `Info`.
pub fn info(p: &mut impl Platform, s: &Session) -> Result<InfoReply, Error> {
    let ta = TaFacts::of(p)?;
    let config = Config::load(p)?;
    Ok(InfoReply {
        ta_version: ta.ta_version,
        proto_min: PROTOCOL_MIN,
        proto_max: PROTOCOL_CURRENT,
        storage: ta.storage,
        rollback_protected: ta.rollback_protected,
        hw_unique_key: ta.hw_unique_key,
        trusted_ui: ta.trusted_ui,
        tee_description: ta.platform.tee_description,
        tee_api_version: ta.platform.tee_api_version,
        tee_internal_core_version: ta.platform.tee_internal_core_version,
        tee_device_id: uuid_string(&ta.tee_device_id),
        client_login: s.client.login,
        client_id: uuid_string(&s.client.uuid),
        admin: s.is_admin(),
        provisioned: config.is_some(),
        pin_max_tries: config.map(|c| c.pin_max_tries),
    })
}

/// `Provision`: stores the TA's policy once (and creates the TA-unique
/// secret), then logs it.
pub fn provision(
    p: &mut impl Platform,
    inst: &mut Instance,
    req: &ProvisionRequest,
) -> Result<ProvisionReply, Error> {
    let issuer_key = hex_bytes(&req.issuer_key).ok_or(Error::InvalidArgument)?;
    let config = Config::new(req.pin_max_tries, req.pin_throttle_ms, issuer_key)?
        .requiring_rollback_protection(req.require_rollback_protection.unwrap_or(false));
    config.provision(p)?;
    journal::append(
        p,
        &mut inst.log,
        &[Event::provisioned(config.pin_max_tries)],
    )?;
    Ok(ProvisionReply {
        pin_max_tries: config.pin_max_tries,
        require_rollback_protection: config.require_rollback_protection,
    })
}
