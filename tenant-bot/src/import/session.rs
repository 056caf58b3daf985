//! Carrying a linked device over from the old Go bot's whatsmeow store, so
//! its users keep their WhatsApp session and do not pair again.
//!
//! whatsmeow keeps the device in one `whatsmeow_device` row: the JID, the
//! registration id, the noise, identity and signed pre-key private keys
//! (public keys are derived, as whatsmeow derives them), the pre-key's
//! signature, the ADV secret and the signed device identity in four
//! columns, and the push name. That is what a login needs, and it maps
//! onto whatsapp-rust's device one to one. Unused one-time pre-keys come
//! along, so ids the server still holds keep their keys.
//!
//! The old file is never written (it is opened read-only; in WAL mode
//! SQLite may still add its shared-memory `-shm` file beside it): it is
//! copied (`VACUUM INTO`, consistent even with a write-ahead log beside
//! it) to the new session file, and
//! whatsapp-rust's tables are added to the copy through its own storage
//! API. Signal sessions and app-state keys are not carried over (their
//! formats differ); the first message on an old session is retried by the
//! sender and a new session is made, and group management needs neither.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crds::PhoneNumber;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use whatsapp_rust::buffa::Message as _;
use whatsapp_rust::prelude::SqliteStore;
use whatsapp_rust::wacore::libsignal::protocol::{KeyPair, PrivateKey};
use whatsapp_rust::wacore::store::Device;
use whatsapp_rust::wacore::store::traits::{
    DeviceStore, LidPnMappingEntry, ProtocolStore, SignalStore,
};
use whatsapp_rust::waproto::whatsapp as wa;

/// Why a session could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The old file is not a whatsmeow store.
    #[error("{0} holds no whatsmeow device table")]
    NotWhatsmeow(PathBuf),
    /// The store has no linked device: the account was never paired, or
    /// was logged out.
    #[error("{0} holds no linked device")]
    NoDevice(PathBuf),
    /// The device is another number's than the one expected.
    #[error("the linked device belongs to another number than expected")]
    OtherNumber,
    /// The new session file is there already; nothing is overwritten.
    #[error("{0} exists already")]
    Exists(PathBuf),
    /// A field of the device row cannot be used.
    #[error("the device's {field} is unusable: {reason}")]
    Malformed {
        /// The whatsmeow column.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// Reading the old file or writing the copy failed.
    #[error("SQLite failed")]
    Sqlite(#[from] rusqlite::Error),
    /// whatsapp-rust's store refused the device.
    #[error("the session store failed")]
    Store(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// What was imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    /// The account's number (digits), from the device's JID.
    pub phone: String,
    /// The linked device's number under the account.
    pub device: u16,
    /// One-time pre-keys carried over.
    pub pre_keys: usize,
}

/// The `whatsmeow_device` row, as stored.
#[derive(Debug)]
struct Row {
    jid: String,
    lid: Option<String>,
    registration_id: i64,
    noise_key: Vec<u8>,
    identity_key: Vec<u8>,
    signed_pre_key: Vec<u8>,
    signed_pre_key_id: i64,
    signed_pre_key_sig: Vec<u8>,
    adv_key: Vec<u8>,
    adv_details: Vec<u8>,
    adv_account_sig: Vec<u8>,
    adv_account_sig_key: Vec<u8>,
    adv_device_sig: Vec<u8>,
    business_name: String,
    push_name: String,
    lid_migration_ts: i64,
}

/// A one-time pre-key: id, private key, whether the server has it.
type PreKey = (u32, Vec<u8>, bool);

/// Imports the device in the whatsmeow store at `old` into a new session
/// file at `new`, leaving `old` untouched; when `phone` is given, the
/// device must be that number's.
pub async fn session(
    old: &Path,
    new: &Path,
    phone: Option<&PhoneNumber>,
) -> Result<Imported, Error> {
    if new.exists() {
        return Err(Error::Exists(new.to_owned()));
    }
    let (old_path, new_path) = (old.to_owned(), new.to_owned());
    let (row, pre_keys) = tokio::task::spawn_blocking(move || copy_and_read(&old_path, &new_path))
        .await
        .map_err(|e| Error::Store(e.into()))??;
    let result = match phone {
        Some(phone) if row.jid.split([':', '@']).next() != Some(phone.as_str()) => {
            Err(Error::OtherNumber)
        }
        _ => save(new, &row, &pre_keys).await,
    };
    if result.is_err() {
        // Half a session is worse than none: the account would look paired.
        for suffix in ["", "-wal", "-shm"] {
            let mut path = new.as_os_str().to_owned();
            path.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(path));
        }
    }
    result
}

/// Copies the old store to `new` and reads its device and pre-keys.
fn copy_and_read(old: &Path, new: &Path) -> Result<(Row, Vec<PreKey>), Error> {
    let source = Connection::open_with_flags(
        old,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let tables: i64 = source.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'whatsmeow_device'",
        [],
        |r| r.get(0),
    )?;
    if tables == 0 {
        return Err(Error::NotWhatsmeow(old.to_owned()));
    }
    let Some(row) = read_device(&source)? else {
        return Err(Error::NoDevice(old.to_owned()));
    };
    let pre_keys = if has_table(&source, "whatsmeow_pre_keys")? {
        let mut statement = source.prepare(
            "SELECT key_id, key, uploaded FROM whatsmeow_pre_keys WHERE jid = ?1 ORDER BY key_id",
        )?;
        statement
            .query_map([&row.jid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<Vec<PreKey>, _>>()?
    } else {
        Vec::new()
    };
    let target = new
        .to_str()
        .ok_or_else(|| Error::Store("the new path is not UTF-8".into()))?;
    source.execute("VACUUM INTO ?1", [target])?;
    Ok((row, pre_keys))
}

fn has_table(connection: &Connection, name: &str) -> Result<bool, Error> {
    let count: i64 = connection.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [name],
        |r| r.get(0),
    )?;
    Ok(count > 0)
}

/// The device row; stores from before whatsmeow added `lid` and
/// `lid_migration_ts` are read without them.
fn read_device(connection: &Connection) -> Result<Option<Row>, Error> {
    let columns: Vec<String> = connection
        .prepare("SELECT name FROM pragma_table_info('whatsmeow_device')")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let has = |c: &str| columns.iter().any(|name| name == c);
    let lid = if has("lid") { "lid" } else { "NULL" };
    let migrated = if has("lid_migration_ts") {
        "lid_migration_ts"
    } else {
        "0"
    };
    let query = format!(
        "SELECT jid, {lid}, registration_id, noise_key, identity_key, signed_pre_key,
                signed_pre_key_id, signed_pre_key_sig, adv_key, adv_details, adv_account_sig,
                adv_account_sig_key, adv_device_sig, business_name, push_name, {migrated}
         FROM whatsmeow_device ORDER BY jid LIMIT 1"
    );
    Ok(connection
        .query_row(&query, [], |r| {
            Ok(Row {
                jid: r.get(0)?,
                lid: r.get(1)?,
                registration_id: r.get(2)?,
                noise_key: r.get(3)?,
                identity_key: r.get(4)?,
                signed_pre_key: r.get(5)?,
                signed_pre_key_id: r.get(6)?,
                signed_pre_key_sig: r.get(7)?,
                adv_key: r.get(8)?,
                adv_details: r.get(9)?,
                adv_account_sig: r.get(10)?,
                adv_account_sig_key: r.get(11)?,
                adv_device_sig: r.get(12)?,
                business_name: r.get(13)?,
                push_name: r.get(14)?,
                lid_migration_ts: r.get(15)?,
            })
        })
        .optional()?)
}

fn malformed(field: &'static str, reason: impl ToString) -> Error {
    Error::Malformed {
        field,
        reason: reason.to_string(),
    }
}

/// A key pair from a stored 32-byte private key, the public key derived.
fn key_pair(field: &'static str, private: &[u8]) -> Result<KeyPair, Error> {
    if private.len() != 32 {
        return Err(malformed(field, format!("{} bytes, not 32", private.len())));
    }
    let private = PrivateKey::deserialize(private).map_err(|e| malformed(field, e))?;
    let public = private.public_key().map_err(|e| malformed(field, e))?;
    Ok(KeyPair::new(public, private))
}

fn exact<const N: usize>(field: &'static str, bytes: &[u8]) -> Result<[u8; N], Error> {
    bytes
        .try_into()
        .map_err(|_| malformed(field, format!("{} bytes, not {N}", bytes.len())))
}

/// whatsapp-rust's device for `row`.
fn device(row: &Row, pre_keys: &[PreKey]) -> Result<Device, Error> {
    let mut device = Device::new();
    let pn: whatsapp_rust::Jid = row
        .jid
        .parse()
        .map_err(|e| malformed("jid", format!("{e:?}")))?;
    device.pn = Some(pn);
    device.lid = match row.lid.as_deref() {
        Some(lid) if !lid.is_empty() => Some(
            lid.parse()
                .map_err(|e| malformed("lid", format!("{e:?}")))?,
        ),
        _ => None,
    };
    device.registration_id =
        u32::try_from(row.registration_id).map_err(|e| malformed("registration_id", e))?;
    device.noise_key = key_pair("noise_key", &row.noise_key)?;
    device.identity_key = key_pair("identity_key", &row.identity_key)?;
    device.signed_pre_key = key_pair("signed_pre_key", &row.signed_pre_key)?;
    device.signed_pre_key_id =
        u32::try_from(row.signed_pre_key_id).map_err(|e| malformed("signed_pre_key_id", e))?;
    device.signed_pre_key_signature = exact("signed_pre_key_sig", &row.signed_pre_key_sig)?;
    // A signature that does not verify means keys from different devices.
    let signed = device.identity_key.public_key.verify_signature(
        &device.signed_pre_key.public_key.serialize(),
        &device.signed_pre_key_signature,
    );
    if !signed {
        return Err(malformed(
            "signed_pre_key_sig",
            "does not verify with the identity key",
        ));
    }
    device.adv_secret_key = exact("adv_key", &row.adv_key)?;
    device.account = Some(Arc::new(wa::ADVSignedDeviceIdentity {
        details: Some(row.adv_details.clone()),
        account_signature_key: Some(row.adv_account_sig_key.clone()),
        account_signature: Some(row.adv_account_sig.clone()),
        device_signature: Some(row.adv_device_sig.clone()),
    }));
    device.push_name = if row.push_name.is_empty() {
        row.business_name.clone()
    } else {
        row.push_name.clone()
    };
    device.lid_migrated = row.lid_migration_ts > 0;
    // New pre-keys start after the old ones, which the server may hold.
    let next = pre_keys.iter().map(|k| k.0).max().unwrap_or(0) + 1;
    device.next_pre_key_id = next;
    device.first_unupload_pre_key_id = next;
    device.server_has_prekeys = !pre_keys.is_empty();
    Ok(device)
}

/// Writes the device and its pre-keys into the new file through
/// whatsapp-rust's store.
async fn save(new: &Path, row: &Row, pre_keys: &[PreKey]) -> Result<Imported, Error> {
    let device = device(row, pre_keys)?;
    let url = new
        .to_str()
        .ok_or_else(|| Error::Store("the new path is not UTF-8".into()))?;
    let store = SqliteStore::new(url)
        .await
        .map_err(|e| Error::Store(e.into()))?;
    DeviceStore::save(&store, &device)
        .await
        .map_err(|e| Error::Store(e.into()))?;
    for (id, private, uploaded) in pre_keys {
        let pair = key_pair("whatsmeow_pre_keys.key", private)?;
        let record = wa::PreKeyRecordStructure {
            id: Some(*id),
            public_key: Some(pair.public_key.public_key_bytes().to_vec()),
            private_key: Some(pair.private_key.serialize().to_vec()),
        };
        SignalStore::store_prekey(&store, *id, &record.encode_to_vec(), *uploaded)
            .await
            .map_err(|e| Error::Store(e.into()))?;
    }
    let phone = device
        .pn
        .as_ref()
        .map(|jid| jid.user.to_string())
        .unwrap_or_default();
    if let Some(lid) = &device.lid {
        let now = crate::store::unix_seconds();
        let mapping = LidPnMappingEntry {
            lid: lid.user.to_string(),
            phone_number: phone.clone(),
            created_at: now,
            updated_at: now,
            learning_source: "pairing".into(),
        };
        ProtocolStore::put_lid_mapping(&store, &mapping)
            .await
            .map_err(|e| Error::Store(e.into()))?;
    }
    Ok(Imported {
        device: device.pn.as_ref().map_or(0, |jid| jid.device),
        phone,
        pre_keys: pre_keys.len(),
    })
}

#[cfg(any(test, feature = "fixtures"))]
pub mod fixture;
#[cfg(test)]
mod tests;
