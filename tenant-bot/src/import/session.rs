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
//! The old file is never opened: a private copy of it and its log is
//! ([`super::snapshot`]). That copy is compacted (`VACUUM INTO`) into the
//! new session file, and whatsapp-rust's tables are added to it through
//! its own storage API. Signal sessions and app-state keys are not carried over (their
//! formats differ); the first message on an old session is retried by the
//! sender and a new session is made, and group management needs neither.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crds::PhoneNumber;
use rusqlite::{Connection, OptionalExtension};
use whatsapp_rust::buffa::Message as _;
use whatsapp_rust::prelude::SqliteStore;
use whatsapp_rust::wacore::libsignal::protocol::{KeyPair, PrivateKey};
use whatsapp_rust::wacore::store::Device;
use whatsapp_rust::wacore::store::traits::{
    DeviceStore, LidPnMappingEntry, ProtocolStore, SignalStore,
};
use whatsapp_rust::waproto::whatsapp as wa;

use super::snapshot::{self, Snapshot, with_suffix};

/// Why a session could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The old bot seems to be running: it holds the store.
    #[error("{0} is in use: the old bot seems to be running; stop it, then run the import again")]
    Locked(PathBuf),
    /// SQLite found the old store damaged.
    #[error("{path} is damaged")]
    Damaged {
        /// The old store.
        path: PathBuf,
        /// What SQLite reported.
        #[source]
        source: rusqlite::Error,
    },
    /// The old file is not a whatsmeow store, or one too old to read.
    #[error("{path} has no {table} table; it is not a whatsmeow store")]
    MissingTable {
        /// The old store.
        path: PathBuf,
        /// The table it lacks.
        table: &'static str,
    },
    /// A table lacks a column the import needs.
    #[error("{path} has no {table}.{column} column")]
    MissingColumn {
        /// The old store.
        path: PathBuf,
        /// The table.
        table: &'static str,
        /// The column it lacks.
        column: &'static str,
    },
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
    /// The old store could not be read for another reason.
    #[error("cannot read {path}")]
    Read {
        /// The old store.
        path: PathBuf,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The new session file could not be written.
    #[error("cannot write {path}")]
    Write {
        /// The new file.
        path: PathBuf,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl Error {
    /// Whether the old session itself cannot be used, so its owner must
    /// pair again; otherwise (the store is in use, or this side could not
    /// write) a later run can still import it.
    pub fn needs_pairing(&self) -> bool {
        !matches!(
            self,
            Self::Locked(_) | Self::Exists(_) | Self::Read { .. } | Self::Write { .. }
        )
    }
}

/// The error for `error`, met while reading the old store `path`.
fn reading(path: &Path, error: rusqlite::Error) -> Error {
    use rusqlite::ErrorCode::{DatabaseBusy, DatabaseCorrupt, DatabaseLocked, NotADatabase};
    if matches!(
        error,
        rusqlite::Error::InvalidColumnType(..)
            | rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::IntegralValueOutOfRange(..)
    ) {
        // A value of the wrong kind (a NULL key…): the device is unusable.
        return Error::Malformed {
            field: "whatsmeow_device",
            reason: error.to_string(),
        };
    }
    match error.sqlite_error_code() {
        Some(DatabaseCorrupt | NotADatabase) => Error::Damaged {
            path: path.to_owned(),
            source: error,
        },
        Some(DatabaseBusy | DatabaseLocked) => Error::Locked(path.to_owned()),
        _ => Error::Read {
            path: path.to_owned(),
            source: error.into(),
        },
    }
}

fn writing(path: &Path) -> impl FnOnce(Box<dyn std::error::Error + Send + Sync>) -> Error {
    let path = path.to_owned();
    move |source| Error::Write { path, source }
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

/// Columns of `whatsmeow_device` a login needs. `lid`,
/// `lid_migration_ts`, `business_name` and `push_name` came later and are
/// read when they are there.
const DEVICE_COLUMNS: [&str; 12] = [
    "jid",
    "registration_id",
    "noise_key",
    "identity_key",
    "signed_pre_key",
    "signed_pre_key_id",
    "signed_pre_key_sig",
    "adv_key",
    "adv_details",
    "adv_account_sig",
    "adv_account_sig_key",
    "adv_device_sig",
];
const PRE_KEY_COLUMNS: [&str; 4] = ["jid", "key_id", "key", "uploaded"];

/// Imports the device in the whatsmeow store at `old` into a new session
/// file at `new`, leaving `old` untouched; when `phone` is given, the
/// device must be that number's.
///
/// All or nothing: the session is built under a temporary name in `new`'s
/// folder (readable by its owner alone), made durable and renamed into
/// place only when complete. A failed attempt leaves nothing, and what a
/// killed one left is cleared by the next.
pub async fn session(
    old: &Path,
    new: &Path,
    phone: Option<&PhoneNumber>,
) -> Result<Imported, Error> {
    if new.exists() {
        return Err(Error::Exists(new.to_owned()));
    }
    let partial = partial(new);
    discard(&partial);
    let result = build(old, &partial, phone).await;
    let result = match result {
        Ok(imported) => {
            let (from, to) = (partial.clone(), new.to_owned());
            tokio::task::spawn_blocking(move || settle(&from, &to))
                .await
                .map_err(|e| writing(new)(e.into()))
                .and_then(|settled| settled.map_err(writing(new)))
                .map(|()| imported)
        }
        Err(error) => Err(error),
    };
    if result.is_err() {
        discard(&partial);
    }
    result
}

async fn build(old: &Path, partial: &Path, phone: Option<&PhoneNumber>) -> Result<Imported, Error> {
    let (old_path, new_path) = (old.to_owned(), partial.to_owned());
    let (row, pre_keys) = tokio::task::spawn_blocking(move || copy_and_read(&old_path, &new_path))
        .await
        .map_err(|e| writing(partial)(e.into()))??;
    match phone {
        Some(phone) if row.jid.split([':', '@']).next() != Some(phone.as_str()) => {
            Err(Error::OtherNumber)
        }
        _ => save(partial, &row, &pre_keys).await,
    }
}

/// Where a session is built before it is renamed to `new`.
pub fn partial(new: &Path) -> PathBuf {
    let name = new.file_name().unwrap_or_default().to_string_lossy();
    new.with_file_name(format!(".{name}.importing"))
}

/// Removes `file` and what SQLite keeps beside it.
pub fn discard(file: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(with_suffix(file, suffix));
    }
}

/// Makes the finished session at `partial` one durable file and renames
/// it to `new`.
pub(super) fn settle(
    partial: &Path,
    new: &Path,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let connection = Connection::open(partial)?;
    connection.busy_timeout(std::time::Duration::from_secs(5))?;
    // Out of WAL mode: what the log holds goes into the file, which is
    // then the whole session (the tenant turns WAL on again).
    let mode: String = connection.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("delete") {
        return Err(format!("the session stays in {mode} mode").into());
    }
    drop(connection);
    crate::layout::make_durable(partial, new)?;
    Ok(())
}

/// Copies the old store to `new` and reads its device and pre-keys.
fn copy_and_read(old: &Path, new: &Path) -> Result<(Row, Vec<PreKey>), Error> {
    let snapshot = Snapshot::take(old).map_err(|error| match error {
        snapshot::Error::Locked(path) => Error::Locked(path),
        error => Error::Read {
            path: old.to_owned(),
            source: error.into(),
        },
    })?;
    let read = |error| reading(old, error);
    let source = snapshot.open().map_err(read)?;
    let device_columns = columns(&source, "whatsmeow_device").map_err(read)?;
    if device_columns.is_empty() {
        return Err(Error::MissingTable {
            path: old.to_owned(),
            table: "whatsmeow_device",
        });
    }
    require(old, "whatsmeow_device", &device_columns, &DEVICE_COLUMNS)?;
    let Some(row) = read_device(&source, &device_columns).map_err(read)? else {
        return Err(Error::NoDevice(old.to_owned()));
    };
    let pre_key_columns = columns(&source, "whatsmeow_pre_keys").map_err(read)?;
    let pre_keys = if pre_key_columns.is_empty() {
        Vec::new()
    } else {
        require(
            old,
            "whatsmeow_pre_keys",
            &pre_key_columns,
            &PRE_KEY_COLUMNS,
        )?;
        let mut statement = source
            .prepare(
                "SELECT key_id, key, uploaded FROM whatsmeow_pre_keys WHERE jid = ?1 ORDER BY key_id",
            )
            .map_err(read)?;
        statement
            .query_map([&row.jid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .and_then(Iterator::collect::<Result<Vec<PreKey>, _>>)
            .map_err(read)?
    };
    let target = new
        .to_str()
        .ok_or_else(|| writing(new)("the path is not UTF-8".into()))?;
    // Made first, so the copy is its owner's alone from its first byte.
    crate::layout::create_private(new).map_err(|e| writing(new)(e.into()))?;
    source
        .execute("VACUUM INTO ?1", [target])
        .map_err(|error| match error.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase) => {
                reading(old, error)
            }
            _ => writing(new)(error.into()),
        })?;
    Ok((row, pre_keys))
}

/// The columns of `table`; none when there is no such table.
fn columns(connection: &Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    connection
        .prepare("SELECT name FROM pragma_table_info(?1)")?
        .query_map([table], |r| r.get(0))?
        .collect()
}

fn require(
    path: &Path,
    table: &'static str,
    present: &[String],
    needed: &[&'static str],
) -> Result<(), Error> {
    match needed.iter().find(|c| !present.iter().any(|p| p == *c)) {
        Some(column) => Err(Error::MissingColumn {
            path: path.to_owned(),
            table,
            column,
        }),
        None => Ok(()),
    }
}

/// The device row; columns whatsmeow added later are read when there.
fn read_device(connection: &Connection, columns: &[String]) -> rusqlite::Result<Option<Row>> {
    let has = |c: &str| columns.iter().any(|name| name == c);
    let or = |column: &'static str, otherwise: &'static str| {
        if has(column) { column } else { otherwise }
    };
    let query = format!(
        "SELECT jid, {}, registration_id, noise_key, identity_key, signed_pre_key,
                signed_pre_key_id, signed_pre_key_sig, adv_key, adv_details, adv_account_sig,
                adv_account_sig_key, adv_device_sig, {}, {}, {}
         FROM whatsmeow_device ORDER BY jid LIMIT 1",
        or("lid", "NULL"),
        or("business_name", "''"),
        or("push_name", "''"),
        or("lid_migration_ts", "0"),
    );
    connection
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
        .optional()
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
        .ok_or_else(|| writing(new)("the path is not UTF-8".into()))?;
    let store = SqliteStore::new(url)
        .await
        .map_err(|e| writing(new)(e.into()))?;
    DeviceStore::save(&store, &device)
        .await
        .map_err(|e| writing(new)(e.into()))?;
    for (id, private, uploaded) in pre_keys {
        let pair = key_pair("whatsmeow_pre_keys.key", private)?;
        let record = wa::PreKeyRecordStructure {
            id: Some(*id),
            public_key: Some(pair.public_key.public_key_bytes().to_vec()),
            private_key: Some(pair.private_key.serialize().to_vec()),
        };
        SignalStore::store_prekey(&store, *id, &record.encode_to_vec(), *uploaded)
            .await
            .map_err(|e| writing(new)(e.into()))?;
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
            .map_err(|e| writing(new)(e.into()))?;
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
