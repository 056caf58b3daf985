//! The other people in the scenario server's groups: each a phone (device
//! 0) with Signal keys of its own, handed out as WhatsApp hands out
//! pre-key bundles, so the client builds real sessions to them; and with
//! the private halves kept, so a test reads back what the client sent.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use whatsapp_rust::NodeBuilder;
use whatsapp_rust::async_trait;
use whatsapp_rust::wacore::libsignal::protocol::{
    DeviceId, Direction, GenericSignedPreKey, IdentityChange, IdentityKey, IdentityKeyPair,
    IdentityKeyStore, KeyPair, PreKeyId, PreKeyRecord, PreKeySignalMessage, PreKeyStore,
    ProtocolAddress, SenderKeyDistributionMessage, SenderKeyName, SenderKeyRecord, SenderKeyStore,
    SessionRecord, SessionStore, SignalProtocolError, SignedPreKeyId, SignedPreKeyRecord,
    SignedPreKeyStore, Timestamp, UsePQRatchet, group_decrypt, message_decrypt_prekey,
    process_sender_key_distribution_message,
};
use whatsapp_rust::wacore::messages::decode_plaintext;
use whatsapp_rust::wacore_binary::Node;

use super::{Error, attr, children};

type SignalResult<T> = Result<T, SignalProtocolError>;

/// One peer's phone: its keys, fixed for the server's life (a changed
/// identity would be a new phone to the client).
struct Phone {
    identity: IdentityKeyPair,
    registration: u32,
    signed: (u32, KeyPair, [u8; 64]),
    one_time: (u32, KeyPair),
}

impl Phone {
    fn new() -> Result<Self, Error> {
        let mut rng = rand::make_rng::<rand::rngs::StdRng>();
        let identity = IdentityKeyPair::generate(&mut rng);
        let signed = KeyPair::generate(&mut rng);
        // Signed as the client verifies it: the key's 33-byte form.
        let signature = identity
            .private_key()
            .calculate_signature(&signed.public_key.serialize(), &mut rng)?;
        Ok(Self {
            identity,
            registration: rand::random::<u32>() & 0x3fff,
            signed: (rand::random::<u32>() & 0xff_ffff, signed, signature),
            one_time: (
                rand::random::<u32>() & 0xff_ffff,
                KeyPair::generate(&mut rng),
            ),
        })
    }

    /// The phone's pre-key bundle, as `<user jid>` of an `encrypt` answer.
    fn bundle(&self, jid: &str) -> Node {
        let bytes = |tag: &'static str, value: Vec<u8>| NodeBuilder::new(tag).bytes(value).build();
        let id = |n: u32| n.to_be_bytes()[1..].to_vec();
        let (signed_id, signed, signature) = &self.signed;
        let (one_time_id, one_time) = &self.one_time;
        NodeBuilder::new("user")
            .attr("jid", jid.to_owned())
            .children([
                bytes("registration", self.registration.to_be_bytes().to_vec()),
                bytes("type", vec![5]),
                bytes(
                    "identity",
                    self.identity.public_key().public_key_bytes().to_vec(),
                ),
                NodeBuilder::new("skey")
                    .children([
                        bytes("id", id(*signed_id)),
                        bytes("value", signed.public_key.public_key_bytes().to_vec()),
                        bytes("signature", signature.to_vec()),
                    ])
                    .build(),
                NodeBuilder::new("key")
                    .children([
                        bytes("id", id(*one_time_id)),
                        bytes("value", one_time.public_key.public_key_bytes().to_vec()),
                    ])
                    .build(),
            ])
            .build()
    }
}

/// What a peer's phone made of a group message sent to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    /// The group the sender key was handed out for.
    pub group: String,
    /// The registration id of the device that sent it.
    pub registration: u32,
    /// The text.
    pub text: String,
}

/// Every peer the client has asked about, by user JID.
#[derive(Default)]
pub(super) struct Peers {
    phones: Mutex<HashMap<String, Arc<Phone>>>,
}

impl Peers {
    fn phone(&self, user: &str) -> Result<Arc<Phone>, Error> {
        let mut phones = super::lock(&self.phones);
        if let Some(phone) = phones.get(user) {
            return Ok(phone.clone());
        }
        let phone = Arc::new(Phone::new()?);
        phones.insert(user.to_owned(), phone.clone());
        Ok(phone)
    }

    /// The answer to a device-list query (a `usync` asking for
    /// `<devices>`): each user has one device, its phone.
    pub(super) fn devices(request: &Node) -> Option<Vec<Node>> {
        let usync = request.get_optional_child("usync")?;
        usync
            .get_optional_child("query")?
            .get_optional_child("devices")?;
        let users = usync
            .get_optional_child("list")
            .map(children)
            .unwrap_or_default()
            .iter()
            .filter_map(|user| attr(user, "jid"))
            .map(|jid| {
                let device = NodeBuilder::new("device").attr("id", "0").build();
                let list = NodeBuilder::new("device-list").children([device]).build();
                let devices = NodeBuilder::new("devices").children([list]).build();
                NodeBuilder::new("user")
                    .attr("jid", jid)
                    .children([devices])
                    .build()
            });
        let list = NodeBuilder::new("list").children(users).build();
        Some(vec![NodeBuilder::new("usync").children([list]).build()])
    }

    /// The answer to a pre-key fetch (an `encrypt` get with `<key>`): a
    /// bundle for each user asked for, under the JID asked for.
    pub(super) fn bundles(&self, request: &Node) -> Option<Vec<Node>> {
        let key = request.get_optional_child("key")?;
        let users: Vec<Node> = children(key)
            .iter()
            .filter_map(|user| attr(user, "jid"))
            .filter_map(|jid| Some(self.phone(&user_of(&jid)).ok()?.bundle(&jid)))
            .collect();
        Some(vec![NodeBuilder::new("list").children(users).build()])
    }

    /// Reads the group `message` as `peer`'s phone: the sender key from
    /// the `pkmsg` addressed to it, then the `skmsg` with that key. Only a
    /// sender's first message to the group hands its key out, so only
    /// that one can be read.
    pub(super) async fn read(&self, peer: &str, message: &Node) -> Result<Read, Error> {
        let phone = self.phone(&user_of(peer))?;
        let to = message
            .get_optional_child("participants")
            .map(children)
            .unwrap_or_default()
            .iter()
            .find(|to| attr(to, "jid").as_deref() == Some(peer))
            .ok_or_else(|| format!("the message is not addressed to {peer}"))?;
        let pkmsg = encrypted(to, "pkmsg")?;
        let skmsg = encrypted(message, "skmsg")?;

        let pkmsg = PreKeySignalMessage::try_from(pkmsg.as_slice())?;
        let registration = pkmsg.registration_id();
        let sender = ProtocolAddress::new("sender", DeviceId::from(0));
        let mut identity = Identity {
            pair: phone.identity.clone(),
            registration: phone.registration,
        };
        let mut sessions = Sessions(None);
        let mut one_time = OneTime(phone.one_time.0, phone.one_time.1.clone());
        let (signed_id, signed_pair, signature) = &phone.signed;
        let signed = Signed(<SignedPreKeyRecord as GenericSignedPreKey>::new(
            SignedPreKeyId::from(*signed_id),
            Timestamp::from_epoch_millis(0),
            signed_pair,
            signature,
        ));
        let mut rng = rand::make_rng::<rand::rngs::StdRng>();
        let opened = message_decrypt_prekey(
            &pkmsg,
            &sender,
            &mut sessions,
            &mut identity,
            &mut one_time,
            &signed,
            &mut rng,
            UsePQRatchet::No,
        )
        .await?;
        let wrapper = decode_plaintext(&opened.plaintext, 2)?;
        let distribution = wrapper
            .sender_key_distribution_message
            .into_option()
            .ok_or("the pkmsg holds no sender key")?;
        let group = distribution.group_id.unwrap_or_default();
        let distribution = SenderKeyDistributionMessage::try_from(
            distribution
                .axolotl_sender_key_distribution_message
                .as_deref()
                .ok_or("an empty sender key")?,
        )?;
        let name = SenderKeyName::from_parts(&group, "sender");
        let mut keys = SenderKeys(None);
        process_sender_key_distribution_message(&name, &distribution, &mut keys).await?;
        let padded = group_decrypt(&skmsg, &mut keys, &name).await?;
        let text = decode_plaintext(&padded, 2)?
            .conversation
            .ok_or("the message is not a text")?;
        Ok(Read {
            group,
            registration,
            text,
        })
    }
}

/// A JID without its device: `628…@s.whatsapp.net` of
/// `628…:0@s.whatsapp.net`; a peer is its phone, whichever device is named.
fn user_of(jid: &str) -> String {
    match jid.split_once('@') {
        Some((user, server)) => {
            let user = user.split_once(':').map_or(user, |(u, _)| u);
            format!("{user}@{server}")
        }
        None => jid.to_owned(),
    }
}

/// The bytes of `node`'s `<enc type=kind>`.
fn encrypted(node: &Node, kind: &str) -> Result<Vec<u8>, Error> {
    let enc = children(node)
        .iter()
        .find(|c| c.tag == "enc" && attr(c, "type").as_deref() == Some(kind))
        .ok_or_else(|| format!("no <enc type={kind}>"))?;
    match &enc.content {
        Some(whatsapp_rust::wacore_binary::NodeContent::Bytes(bytes)) => Ok(bytes.clone()),
        _ => Err(format!("an empty <enc type={kind}>").into()),
    }
}

struct Identity {
    pair: IdentityKeyPair,
    registration: u32,
}

#[async_trait]
impl IdentityKeyStore for Identity {
    async fn get_identity_key_pair(&self) -> SignalResult<IdentityKeyPair> {
        Ok(self.pair.clone())
    }

    async fn get_local_registration_id(&self) -> SignalResult<u32> {
        Ok(self.registration)
    }

    async fn save_identity(
        &mut self,
        _address: &ProtocolAddress,
        _identity: &IdentityKey,
    ) -> SignalResult<IdentityChange> {
        Ok(IdentityChange::NewOrUnchanged)
    }

    async fn is_trusted_identity(
        &self,
        _address: &ProtocolAddress,
        _identity: &IdentityKey,
        _direction: Direction,
    ) -> SignalResult<bool> {
        Ok(true)
    }

    async fn get_identity(&self, _address: &ProtocolAddress) -> SignalResult<Option<IdentityKey>> {
        Ok(None)
    }
}

/// The one session a read builds.
struct Sessions(Option<SessionRecord>);

#[async_trait]
impl SessionStore for Sessions {
    async fn load_session(
        &self,
        _address: &ProtocolAddress,
    ) -> SignalResult<Option<SessionRecord>> {
        Ok(self.0.clone())
    }

    async fn has_session(&self, _address: &ProtocolAddress) -> SignalResult<bool> {
        Ok(self.0.is_some())
    }

    async fn store_session(
        &mut self,
        _address: &ProtocolAddress,
        record: SessionRecord,
    ) -> SignalResult<()> {
        self.0 = Some(record);
        Ok(())
    }
}

/// The phone's one-time pre-key.
struct OneTime(u32, KeyPair);

#[async_trait]
impl PreKeyStore for OneTime {
    async fn get_pre_key(&self, id: PreKeyId) -> SignalResult<PreKeyRecord> {
        if u32::from(id) != self.0 {
            return Err(SignalProtocolError::InvalidPreKeyId);
        }
        Ok(PreKeyRecord::new(id, &self.1))
    }

    async fn save_pre_key(&mut self, _id: PreKeyId, _record: &PreKeyRecord) -> SignalResult<()> {
        Ok(())
    }

    async fn remove_pre_key(&mut self, _id: PreKeyId) -> SignalResult<()> {
        Ok(())
    }
}

/// The phone's signed pre-key.
struct Signed(SignedPreKeyRecord);

#[async_trait]
impl SignedPreKeyStore for Signed {
    async fn get_signed_pre_key(&self, _id: SignedPreKeyId) -> SignalResult<SignedPreKeyRecord> {
        Ok(self.0.clone())
    }

    async fn save_signed_pre_key(
        &mut self,
        _id: SignedPreKeyId,
        _record: &SignedPreKeyRecord,
    ) -> SignalResult<()> {
        Ok(())
    }
}

/// The one sender key a read learns.
struct SenderKeys(Option<SenderKeyRecord>);

#[async_trait]
impl SenderKeyStore for SenderKeys {
    async fn store_sender_key(
        &mut self,
        _name: &SenderKeyName,
        record: SenderKeyRecord,
    ) -> SignalResult<()> {
        self.0 = Some(record);
        Ok(())
    }

    async fn load_sender_key(
        &self,
        _name: &SenderKeyName,
    ) -> SignalResult<Option<SenderKeyRecord>> {
        Ok(self.0.clone())
    }
}
