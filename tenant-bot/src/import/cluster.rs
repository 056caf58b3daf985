//! `tenant-bot import --kubernetes`: imported accounts as `WhatsAppAccount`
//! resources of a namespace, each with its files in a seed Secret.
//!
//! The Secret comes first, so the tenant's first pod already mounts it;
//! then the account, which the operator turns into a tenant; then the
//! Secret is made the account's, so it goes when the account goes. The
//! tenant unpacks the files into its empty volume ([`super::seed`]) and
//! the operator deletes the Secret once the tenant reports the account
//! paired. Every step is idempotent, so an import that stopped halfway is
//! run again.

use std::path::Path;

use crds::{Language, WhatsAppAccount, labels, naming};
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use kube::{Api, Client, Resource, ResourceExt};

use super::{Account, Outcome, Settings, Tally, line, local, old_bot, seed, summary, who};
use crate::layout::USERS_DIR;

/// Field manager of what the import writes.
pub const FIELD_MANAGER: &str = "pawang-import";
/// What one seed may hold: the API server caps a Secret at 1 MiB, and
/// room is left for its metadata.
pub const SEED_BUDGET: usize = 900 * 1024;

/// What happened to one account in the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placed {
    /// Created (or, in a dry run, would be), with or without its activity
    /// log (left behind when it does not fit in the seed).
    Created {
        /// Whether the seed carries the account's bot data.
        with_bot_data: bool,
    },
    /// The namespace has the account already; nothing was touched.
    AlreadyThere,
    /// The session alone is larger than a Secret may be.
    TooLarge(usize),
}

/// Why the cluster could not take an account.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The API server refused or could not be reached.
    #[error("the cluster refused: {0}")]
    Kube(#[from] kube::Error),
    /// The converted files could not be packed.
    #[error(transparent)]
    Seed(#[from] seed::Error),
}

/// The namespace the import writes to.
#[derive(Debug, Clone)]
pub struct Namespace {
    accounts: Api<WhatsAppAccount>,
    secrets: Api<Secret>,
}

impl Namespace {
    /// The namespace `name` through `client`.
    pub fn new(client: Client, name: &str) -> Self {
        Self {
            accounts: Api::namespaced(client.clone(), name),
            secrets: Api::namespaced(client, name),
        }
    }

    /// Registers `account`, whose converted files are under `data`, with
    /// its seed; a dry run only looks.
    pub async fn place(
        &self,
        data: &Path,
        account: &Account,
        dry_run: bool,
    ) -> Result<Placed, Error> {
        let name = naming::account_name(&account.phone);
        if self.accounts.get_opt(&name).await?.is_some() {
            return Ok(Placed::AlreadyThere);
        }
        let folder = data.join(USERS_DIR).join(account.owner.to_string());
        let session_file = naming::whatsmeow_db_file(account.owner, &account.phone);
        let session = seed::pack(&folder.join(&session_file))?;
        if session.len() > SEED_BUDGET {
            return Ok(Placed::TooLarge(session.len()));
        }
        let mut files = vec![(session_file, session)];
        let data_file = naming::bot_data_db_file(account.owner, &account.phone);
        let data_path = folder.join(&data_file);
        let mut with_bot_data = false;
        if data_path.exists() {
            let packed = seed::pack(&data_path)?;
            if files[0].1.len() + packed.len() <= SEED_BUDGET {
                files.push((data_file, packed));
                with_bot_data = true;
            }
        }
        if dry_run {
            return Ok(Placed::Created { with_bot_data });
        }

        let mut secret = seed_secret(&name, account.owner, files);
        self.apply(&secret).await?;
        let resource = WhatsAppAccount::for_phone(&account.phone, account.owner, Language::Id);
        let created = match self
            .accounts
            .create(&PostParams::default(), &resource)
            .await
        {
            Ok(created) => created,
            Err(kube::Error::Api(status)) if status.code == 409 => {
                // Made meanwhile by someone else: its volume is not ours
                // to seed.
                self.secrets
                    .delete(&secret.name_any(), &DeleteParams::default())
                    .await?;
                return Ok(Placed::AlreadyThere);
            }
            Err(error) => {
                // No account: its seed must not stay behind with the keys.
                let _ = self
                    .secrets
                    .delete(&secret.name_any(), &DeleteParams::default())
                    .await;
                return Err(error.into());
            }
        };
        secret.metadata.owner_references = created.controller_owner_ref(&()).map(|r| {
            vec![OwnerReference {
                block_owner_deletion: None,
                ..r
            }]
        });
        self.apply(&secret).await?;
        Ok(Placed::Created { with_bot_data })
    }

    async fn apply(&self, secret: &Secret) -> Result<(), kube::Error> {
        self.secrets
            .patch(
                &secret.name_any(),
                &PatchParams::apply(FIELD_MANAGER).force(),
                &Patch::Apply(secret),
            )
            .await
            .map(|_| ())
    }
}

/// The seed Secret of account `name`: each file under its name plus
/// [`seed::SUFFIX`]. Labelled like the tenant's own objects, so the
/// operator sees it.
fn seed_secret(name: &str, owner: i64, files: Vec<(String, Vec<u8>)>) -> Secret {
    Secret {
        metadata: ObjectMeta {
            name: Some(naming::seed_secret(name)),
            labels: Some(labels::tenant(name, owner)),
            ..ObjectMeta::default()
        },
        type_: Some("Opaque".into()),
        data: Some(
            files
                .into_iter()
                .map(|(file, bytes)| (format!("{file}{}", seed::SUFFIX), ByteString(bytes)))
                .collect(),
        ),
        ..Secret::default()
    }
}

/// `tenant-bot import --kubernetes`: converts in a private scratch
/// directory, then registers each account with its seed
/// ([`Namespace::place`]). An account the cluster does not take is
/// reported and left for the next run.
pub async fn run(settings: &Settings) -> anyhow::Result<Tally> {
    use anyhow::Context as _;
    let client = kube::Client::try_default()
        .await
        .context("cannot reach the cluster (is KUBECONFIG set?)")?;
    let namespace = settings
        .namespace
        .clone()
        .unwrap_or_else(|| client.default_namespace().to_owned());
    let target = Namespace::new(client, &namespace);
    let scratch = local::scratch()?;
    let results = local::import_all(&settings.old_bot_dir, scratch.path()).await?;
    let verb = if settings.dry_run {
        "would be imported"
    } else {
        "imported"
    };
    let mut tally = Tally::default();
    for (account, outcome) in results {
        let (outcome, said) = match outcome {
            Outcome::Imported(imported) => {
                let placed = target
                    .place(scratch.path(), &account, settings.dry_run)
                    .await;
                placed_outcome(imported, placed, verb, &namespace)
            }
            other => (other, String::new()),
        };
        if said.is_empty() {
            println!("{}", line(&account, &outcome, verb, &settings.old_bot_dir));
        } else {
            println!("{}: {said}", who(&account));
        }
        tally.add(&outcome);
    }
    if let Some((access, token)) = old_bot::config(&settings.old_bot_dir)? {
        println!("settings: {}", summary(&access, token.as_deref()));
        println!(
            "  give them to the chart: --set-json 'frontDoor.admins={:?}' --set-json 'frontDoor.allowedUsers={:?}'{}",
            access.admins,
            access.allowed_users,
            if token.is_some() {
                ", and the token as telegram.botToken (or in telegram.existingSecret)"
            } else {
                ""
            }
        );
    }
    Ok(tally)
}

/// Why a converted session cannot go into the cluster.
#[derive(Debug, thiserror::Error)]
#[error("its session packs to {0} bytes, more than a Secret holds")]
pub struct TooLarge(pub usize);

/// What the cluster made of a converted account, and what to say of it
/// when [`line`] would not say enough.
fn placed_outcome(
    imported: super::session::Imported,
    placed: Result<Placed, Error>,
    verb: &str,
    namespace: &str,
) -> (Outcome, String) {
    match placed {
        Ok(Placed::Created { with_bot_data }) => {
            let left = if with_bot_data {
                ""
            } else {
                "; its activity log is left behind, too large to carry"
            };
            let said = format!(
                "session {verb} into namespace {namespace}, {} pre-keys{left}",
                imported.pre_keys
            );
            (Outcome::Imported(imported), said)
        }
        Ok(Placed::AlreadyThere) => (
            Outcome::AlreadyThere,
            format!("already in namespace {namespace}, left as it is"),
        ),
        Ok(Placed::TooLarge(bytes)) => {
            (Outcome::NeedsPairing(TooLarge(bytes).into()), String::new())
        }
        Err(error) => (Outcome::Failed(error.into()), String::new()),
    }
}
