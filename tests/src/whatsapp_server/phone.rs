//! The owner's phone in a pairing by code: it is told the code, reads
//! the companion's key with it, answers with its own, opens the key
//! bundle the companion sends back and, when that opens, has the server
//! tell the companion its new identity, signed by the account's key.
//!
//! The exchange, as a test scripts it:
//!
//! 1. the client's `companion_hello` (an `md` IQ), answered with
//!    [`pairing_ref`]; the code is now on the owner's screen;
//! 2. [`Phone::enter`] the code: the phone's `primary_hello`
//!    notification, for the server to send;
//! 3. the client's `companion_finish` (an `md` IQ), answered empty;
//!    [`Phone::open`] its bundle, which fails for a wrong code;
//! 4. [`Phone::pair_success`], sent; the client answers with its own
//!    signature ([`Phone::signed_by_companion`]) and reports the pairing;
//! 5. a `<stream:error code="515"/>` sends it to log in as the new device.

use whatsapp_rust::NodeBuilder;
use whatsapp_rust::buffa::Message as _;
use whatsapp_rust::wacore::adv::{AdvValidation, validate_adv_with_identity_key};
use whatsapp_rust::wacore::crypto::{
    calculate_curve_signature, generate_curve_key_pair, hkdf_sha256_into,
};
use whatsapp_rust::wacore::libsignal::crypto::{aes_256_gcm_decrypt, hmac_sha256};
use whatsapp_rust::wacore::libsignal::protocol::{KeyPair, PublicKey};
use whatsapp_rust::wacore::pair_code::PairCodeUtils;
use whatsapp_rust::wacore_binary::{Node, NodeContent};
use whatsapp_rust::waproto::whatsapp as wa;

use super::{Error, unix_now};

/// The reference the server gives a pairing, as WhatsApp does.
const PAIRING_REF: &[u8] = b"2@scenario-pairing";

/// The server's answer to `companion_hello`: the pairing's reference.
pub fn pairing_ref() -> Node {
    let reference = bytes("link_code_pairing_ref", PAIRING_REF.to_vec());
    NodeBuilder::new("link_code_companion_reg")
        .children([reference])
        .build()
}

/// The account's primary device.
pub struct Phone {
    identity: KeyPair,
    /// The companion's JID once paired, `<user>:<device>@s.whatsapp.net`.
    device: String,
    /// Its LID, `<lid>:<device>@lid`.
    lid: String,
}

impl std::fmt::Debug for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Phone")
            .field("device", &self.device)
            .finish_non_exhaustive()
    }
}

/// A code entered on the phone: its `primary_hello`, and what opening the
/// answer takes.
pub struct Entered {
    /// The notification the server sends the companion.
    pub notification: Node,
    ephemeral: KeyPair,
    companion_ephemeral: PublicKey,
}

impl std::fmt::Debug for Entered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entered").finish_non_exhaustive()
    }
}

/// The pairing, once the companion's bundle opened.
pub struct Opened {
    secret: [u8; 32],
    companion_identity: [u8; 32],
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opened").finish_non_exhaustive()
    }
}

impl Phone {
    /// The phone of an account whose new companion becomes `device` (and
    /// `lid`).
    pub fn new(device: &str, lid: &str) -> Self {
        Self {
            identity: generate_curve_key_pair(),
            device: device.to_owned(),
            lid: lid.to_owned(),
        }
    }

    /// The owner types `code` for the companion whose `companion_hello`
    /// is `hello`. A wrong code gives no error here (the key it unwraps
    /// is noise); the companion's answer does not open.
    ///
    /// # Errors
    /// When `hello` is not a companion's hello.
    pub async fn enter(&self, hello: &Node, code: &str) -> Result<Entered, Error> {
        let registration = hello
            .get_optional_child("link_code_companion_reg")
            .ok_or("not a companion registration")?;
        if super::attr(registration, "stage").as_deref() != Some("companion_hello") {
            return Err("not a companion hello".into());
        }
        let wrapped = content(
            registration,
            "link_code_pairing_wrapped_companion_ephemeral_pub",
        )?;
        let ephemeral = generate_curve_key_pair();
        let public: [u8; 32] = ephemeral.public_key.public_key_bytes().try_into()?;
        let code = code.to_owned();
        // Two key derivations of 131,072 rounds each: off the runtime.
        let (companion, own) = tokio::task::spawn_blocking(move || {
            let companion = PairCodeUtils::decrypt_primary_ephemeral_pub(&wrapped, &code);
            (
                companion,
                PairCodeUtils::encrypt_ephemeral_pub(&public, &code),
            )
        })
        .await?;
        let companion_ephemeral = PublicKey::from_djb_public_key_bytes(&companion?)?;
        let stage = NodeBuilder::new("link_code_companion_reg")
            .attr("stage", "primary_hello")
            .children([
                bytes(
                    "link_code_pairing_wrapped_primary_ephemeral_pub",
                    own.to_vec(),
                ),
                bytes(
                    "primary_identity_pub",
                    self.identity.public_key.public_key_bytes().to_vec(),
                ),
                bytes("link_code_pairing_ref", PAIRING_REF.to_vec()),
            ])
            .build();
        let notification = NodeBuilder::new("notification")
            .attr("from", "s.whatsapp.net")
            .attr("id", "primary-hello-1")
            .attr("type", "link_code_companion_reg")
            .attr("t", unix_now().to_string())
            .children([stage])
            .build();
        Ok(Entered {
            notification,
            ephemeral,
            companion_ephemeral,
        })
    }

    /// Opens the key bundle of the companion's `finish` and derives the
    /// secret both sides now share.
    ///
    /// # Errors
    /// When the bundle does not open (the code entered was not the one
    /// shown) or names other keys.
    pub fn open(&self, entered: &Entered, finish: &Node) -> Result<Opened, Error> {
        let registration = finish
            .get_optional_child("link_code_companion_reg")
            .ok_or("not a companion registration")?;
        if super::attr(registration, "stage").as_deref() != Some("companion_finish") {
            return Err("not a companion finish".into());
        }
        let bundle = content(registration, "link_code_pairing_wrapped_key_bundle")?;
        let companion_identity: [u8; 32] = content(registration, "companion_identity_public")?
            .as_slice()
            .try_into()?;
        if bundle.len() < 44 + 16 {
            return Err("a short key bundle".into());
        }
        let shared = entered
            .ephemeral
            .private_key
            .calculate_agreement(&entered.companion_ephemeral)?;
        let mut key = [0; 32];
        hkdf_sha256_into(
            &shared,
            Some(&bundle[..32]),
            b"link_code_pairing_key_bundle_encryption_key",
            &mut key,
        )?;
        let nonce: [u8; 12] = bundle[32..44].try_into()?;
        let mut plain = Vec::new();
        aes_256_gcm_decrypt(&key, &nonce, b"", &bundle[44..], &mut plain)
            .map_err(|_| "the key bundle does not open: the code entered is not the one shown")?;
        let own = self.identity.public_key.public_key_bytes();
        if plain.len() != 96 || plain[..32] != companion_identity || plain[32..64] != *own {
            return Err("the key bundle names other keys".into());
        }
        let companion = PublicKey::from_djb_public_key_bytes(&companion_identity)?;
        let identities = self.identity.private_key.calculate_agreement(&companion)?;
        let mut material = Vec::with_capacity(96);
        material.extend_from_slice(&shared);
        material.extend_from_slice(&identities);
        material.extend_from_slice(&plain[64..96]);
        let mut secret = [0; 32];
        hkdf_sha256_into(&material, None, b"adv_secret", &mut secret)?;
        Ok(Opened {
            secret,
            companion_identity,
        })
    }

    /// The server's `pair-success` for the opened pairing: the companion's
    /// identity, signed by the account and authenticated with the secret.
    ///
    /// # Errors
    /// When signing fails.
    pub fn pair_success(&self, opened: &Opened) -> Result<Node, Error> {
        let details = wa::ADVDeviceIdentity {
            raw_id: Some(1),
            timestamp: Some(unix_now()),
            key_index: Some(1),
            ..Default::default()
        }
        .encode_to_vec();
        let mut signed_part = vec![6, 0];
        signed_part.extend_from_slice(&details);
        signed_part.extend_from_slice(&opened.companion_identity);
        let signature = calculate_curve_signature(&self.identity.private_key, &signed_part)?;
        let signed = wa::ADVSignedDeviceIdentity {
            details: Some(details),
            account_signature_key: Some(self.identity.public_key.public_key_bytes().to_vec()),
            account_signature: Some(signature.to_vec()),
            device_signature: None,
        }
        .encode_to_vec();
        let identity = wa::ADVSignedDeviceIdentityHMAC {
            hmac: Some(hmac_sha256(&opened.secret, &signed).to_vec()),
            details: Some(signed),
            account_type: None,
        }
        .encode_to_vec();
        let device = NodeBuilder::new("device")
            .attr("jid", self.device.as_str())
            .attr("lid", self.lid.as_str())
            .build();
        let success = NodeBuilder::new("pair-success")
            .children([
                device,
                bytes("device-identity", identity),
                NodeBuilder::new("platform").attr("name", "android").build(),
            ])
            .build();
        Ok(NodeBuilder::new("iq")
            .attr("from", "s.whatsapp.net")
            .attr("type", "set")
            .attr("xmlns", "md")
            .attr("id", "pair-success-1")
            .attr("t", unix_now().to_string())
            .children([success])
            .build())
    }

    /// Whether the companion's `pair-device-sign` answer carries its
    /// identity signed by itself over the account's.
    pub fn signed_by_companion(&self, opened: &Opened, answer: &Node) -> bool {
        let Some(identity) = answer
            .get_optional_child("pair-device-sign")
            .and_then(|sign| content(sign, "device-identity").ok())
        else {
            return false;
        };
        let Ok(own) = <[u8; 32]>::try_from(self.identity.public_key.public_key_bytes()) else {
            return false;
        };
        validate_adv_with_identity_key(&identity, &opened.companion_identity, Some(&own))
            == AdvValidation::Valid
    }
}

/// A node of `tag` holding `value`.
fn bytes(tag: &'static str, value: Vec<u8>) -> Node {
    NodeBuilder::new(tag).bytes(value).build()
}

/// The bytes of `node`'s child `tag`.
fn content(node: &Node, tag: &str) -> Result<Vec<u8>, Error> {
    match node
        .get_optional_child(tag)
        .and_then(|c| c.content.as_ref())
    {
        Some(NodeContent::Bytes(value)) => Ok(value.clone()),
        _ => Err(format!("no <{tag}> bytes").into()),
    }
}
