//! The one test kit of the core's unit tests: a provisioned platform, the
//! client side of a PIN session, a TA harness, key fixtures and a log
//! export that reads the log the way the host does.
#![allow(dead_code)]

use mfs_proto::client::PinChannel;
use mfs_proto::log::{ChainItem, Entry, Head, LOG_PAGE};
use mfs_proto::pin::Pin;
use mfs_proto::{
    KeyGenerateRequest, KeyInfoReply, KeyPolicy, KeySignRequest, PROTOCOL_CURRENT,
    PinChangeRequest, PinRequest, PinStatusReply, PinUnblockRequest, Purpose, hex_string,
};
use p256::ecdsa::{Signature, SigningKey, signature::Signer};

use crate::access::{Caller, ClientIdentity, LINUX_ROOT_USER_UUID};
use crate::audit::{self, Details};
use crate::crypto;
use crate::error::Error;
use crate::keys::generate;
use crate::mem::MemPlatform;
use crate::pin::{PinSession, change, open_session, set, unblock, verify};
use crate::platform::ObjectId;
use crate::platform::Platform;
use crate::state::Instance;
use crate::store::config::Config;
use crate::store::pin::{Record, pin_key};

/// The caller of the handler-level tests: the admin identity (root).
pub(crate) const ME: Caller = Caller {
    client: ClientIdentity {
        login: mfs_proto::Login::User,
        uuid: LINUX_ROOT_USER_UUID,
    },
    admin: true,
};

/// Another client (uid 1000's identity shape), not the admin.
pub(crate) const OTHER: Caller = Caller {
    client: ClientIdentity {
        login: mfs_proto::Login::User,
        uuid: [0x10; 16],
    },
    admin: false,
};

/// The `n`th of many non-admin clients (distinct user identities).
pub(crate) fn nth_client(n: u16) -> Caller {
    let mut uuid = [0x20; 16];
    uuid[..2].copy_from_slice(&n.to_be_bytes());
    Caller {
        client: ClientIdentity {
            login: mfs_proto::Login::User,
            uuid,
        },
        admin: false,
    }
}

/// The object of [`ME`]'s PIN record.
pub(crate) fn pin_object() -> ObjectId {
    crate::objects::client_pin(&ME.tag().0).unwrap()
}

/// A valid issuer key for tests: the P-256 generator G.
pub(crate) const G: [u8; 65] = [
    0x04, 0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5, 0x63, 0xa4, 0x40,
    0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2,
    0x96, 0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e,
    0x16, 0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51,
    0xf5,
];

/// The client side of a PIN session: the protocol crate's PIN channel,
/// the same code the host library uses, with its ephemeral key drawn from
/// the test platform's RNG.
pub(crate) struct Client(PinChannel);

/// Opens a PIN session in `slot` and the client side of it.
pub(crate) fn client(p: &mut MemPlatform, slot: &mut Option<PinSession>) -> Client {
    let reply = open_session(p, slot).unwrap();
    Client(PinChannel::from_reply_with_rng(&reply, None, |b| p.random(b)).unwrap())
}

fn pin(text: &str) -> Pin {
    Pin::new(text).unwrap()
}

impl Client {
    pub(crate) fn request(&self, p: &str) -> PinRequest {
        self.0.request(&pin(p), [9; 8])
    }
    pub(crate) fn change(&self, old: &str, new: &str) -> PinChangeRequest {
        self.0.change_request(&pin(old), [9; 8], &pin(new), [9; 8])
    }
    pub(crate) fn unblock(&self, p: &str, issuer: &SigningKey) -> PinUnblockRequest {
        let block = self.0.block(&pin(p), [9; 8]);
        // an issuer signs low-S (the TA refuses the high-S twin)
        let sig: Signature = issuer.sign(&self.0.unblock_message(&block));
        let sig = sig.normalize_s().to_der();
        self.0.unblock_request(&block, sig.as_bytes()).unwrap()
    }
}

pub(crate) fn issuer() -> SigningKey {
    SigningKey::from_slice(&[0x42; 32]).unwrap()
}

pub(crate) fn provisioned(tries: u8, throttle: u32) -> MemPlatform {
    let mut p = MemPlatform::new();
    let issuer_pub = crypto::sec1_uncompressed(&(*issuer().verifying_key()).into()).unwrap();
    Config::new(tries, throttle, issuer_pub)
        .unwrap()
        .provision(&mut p)
        .unwrap();
    p
}

/// One TA instance with one session's PIN slot, driven through the
/// handlers directly.
pub(crate) struct Ta {
    pub(crate) p: MemPlatform,
    pub(crate) inst: Instance,
    pub(crate) slot: Option<PinSession>,
    /// Whose session this is (default [`ME`]).
    pub(crate) who: Caller,
}

#[allow(dead_code)]
impl Ta {
    pub(crate) fn new(tries: u8, throttle: u32) -> Ta {
        Ta {
            p: provisioned(tries, throttle),
            inst: Instance::default(),
            slot: None,
            who: ME,
        }
    }
    pub(crate) fn set(&mut self, pin: &str) -> Result<PinStatusReply, Error> {
        let c = client(&mut self.p, &mut self.slot);
        set(
            &mut self.p,
            &mut self.inst,
            (&self.who, &mut self.slot),
            &c.request(pin),
        )
    }
    pub(crate) fn verify(&mut self, pin: &str) -> Result<PinStatusReply, Error> {
        let c = client(&mut self.p, &mut self.slot);
        verify(
            &mut self.p,
            &mut self.inst,
            (&self.who, &mut self.slot),
            &c.request(pin),
        )
    }
    pub(crate) fn change(&mut self, old: &str, new: &str) -> Result<PinStatusReply, Error> {
        let c = client(&mut self.p, &mut self.slot);
        change(
            &mut self.p,
            &mut self.inst,
            (&self.who, &mut self.slot),
            &c.change(old, new),
        )
    }
    pub(crate) fn unblock(
        &mut self,
        pin: &str,
        issuer: &SigningKey,
    ) -> Result<PinStatusReply, Error> {
        let c = client(&mut self.p, &mut self.slot);
        unblock(
            &mut self.p,
            &mut self.inst,
            (&self.who, &mut self.slot),
            &c.unblock(pin, issuer),
        )
    }
    /// Whether `pin` is the stored PIN (without using a try).
    pub(crate) fn is_pin(&mut self, pin: &str) -> bool {
        let (own, _) = crate::store::pin::locate(&mut self.p, &self.who).unwrap();
        let rec = Record::load(&mut self.p, &own).unwrap().unwrap();
        rec.matches(&pin_key(&mut self.p).unwrap(), &Pin::new(pin).unwrap())
    }
    /// Tries left as the TA sees them (a pending attempt resolved from
    /// the log); `None`: no PIN set.
    pub(crate) fn tries_left(&mut self) -> Option<u8> {
        let s = crate::pin::status(&mut self.p, &mut self.inst, &self.who).unwrap();
        s.set.then_some(s.tries_left)
    }
    /// A reboot: instance memory and sessions are gone, storage stays.
    pub(crate) fn reboot(&mut self) {
        self.p.power_on();
        self.inst = Instance::default();
        self.slot = None;
    }
}

/// A platform provisioned with 5 tries and the REE clock set, for key tests.
pub(crate) fn key_platform() -> MemPlatform {
    let mut p = MemPlatform::new();
    Config::new(5, 0, G).unwrap().provision(&mut p).unwrap();
    p.set_ree_time_s(1_800_000_000);
    p
}

/// An exportable signing key's policy.
pub(crate) fn sign_policy() -> KeyPolicy {
    KeyPolicy {
        exportable: true,
        ..KeyPolicy::plain(Purpose::Sign)
    }
}

pub(crate) fn gen_key(p: &mut MemPlatform, label: &str, policy: KeyPolicy) -> KeyInfoReply {
    gen_key_for(p, &ME, label, policy)
}

/// [`gen_key`] for another caller.
pub(crate) fn gen_key_for(
    p: &mut MemPlatform,
    caller: &Caller,
    label: &str,
    policy: KeyPolicy,
) -> KeyInfoReply {
    gen_key_in(p, &mut Instance::default(), caller, label, policy)
}

/// [`gen_key_for`] by the TA instance `inst` (whose key index then knows
/// the key without reading storage again).
pub(crate) fn gen_key_in(
    p: &mut MemPlatform,
    inst: &mut Instance,
    caller: &Caller,
    label: &str,
    policy: KeyPolicy,
) -> KeyInfoReply {
    generate(
        p,
        inst,
        caller,
        &KeyGenerateRequest {
            v: PROTOCOL_CURRENT,
            label: label.try_into().unwrap(),
            policy,
        },
    )
    .unwrap()
}

pub(crate) fn sign_req(id: &str, msg: &[u8]) -> KeySignRequest {
    KeySignRequest {
        v: PROTOCOL_CURRENT,
        id: id.try_into().unwrap(),
        message: hex_string(msg).unwrap(),
    }
}

/// A log entry with its details, as an export holds it.
#[derive(Debug, PartialEq)]
pub(crate) struct Item(pub Entry, pub Details);
impl ChainItem for Item {
    fn entry(&self) -> &Entry {
        &self.0
    }
    fn details(&self) -> Option<&[u8]> {
        Some(&self.1)
    }
}

/// Everything retained, read page by page as the host does, and the
/// head it must match.
pub(crate) fn export(p: &mut MemPlatform, log: &mut audit::Cache) -> (Head, alloc::vec::Vec<Item>) {
    let h = audit::head(p, log, b"c").unwrap();
    let mut items = alloc::vec::Vec::new();
    let mut from = h.first_seq;
    while from < h.next_seq {
        let (_, _, page) = audit::read(p, log, from, LOG_PAGE).unwrap();
        assert!(!page.is_empty());
        for (e, d) in page {
            from = e.seq + 1;
            items.push(Item(e, d));
        }
    }
    (h, items)
}
