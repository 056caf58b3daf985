//! The `WhatsAppAccount` resource: one linked WhatsApp account of one
//! Telegram user.
//!
//! The schema is the first line of defence against bad input: the API
//! server rejects malformed phone numbers, owners, languages and sizes
//! before any controller sees them, and CEL rules keep the identity of an
//! account (its phone number and owner) fixed for its whole life.

use k8s_openapi::api::core::v1::ResourceRequirements;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::{CustomResource, KubeSchema};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

use crate::naming::{self, PhoneNumber};

/// Desired state of one linked WhatsApp account.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "pawang.dev",
    version = "v1alpha1",
    kind = "WhatsAppAccount",
    plural = "whatsappaccounts",
    singular = "whatsappaccount",
    shortname = "wa",
    category = "pawang",
    namespaced,
    status = "WhatsAppAccountStatus",
    derive = "PartialEq",
    doc = "A WhatsApp account linked by one Telegram user; the operator runs one tenant for it.",
    validation = Rule::new("self.metadata.name == 'wa-' + self.spec.phoneNumber")
        .message("metadata.name must be 'wa-' followed by spec.phoneNumber"),
    printcolumn(
        name = "Owner",
        type_ = "integer",
        description = "Telegram user id of the owner",
        json_path = ".spec.owner.telegramUserId"
    ),
    printcolumn(
        name = "Phase",
        type_ = "string",
        description = "Where the account is in its lifecycle",
        json_path = ".status.phase"
    ),
    printcolumn(
        name = "Connected",
        type_ = "string",
        description = "Whether the WhatsApp session is connected",
        json_path = ".status.conditions[?(@.type==\"Connected\")].status"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct WhatsAppAccountSpec {
    /// The account's number in E.164 form without the leading '+':
    /// digits only, 8 to 15 of them, no leading 0. Immutable.
    #[schemars(regex(pattern = r"^[1-9][0-9]{7,14}$"))]
    #[x_kube(validation = Rule::new("self == oldSelf").message("phoneNumber is immutable"))]
    pub phone_number: String,

    /// The Telegram user this account belongs to. Immutable.
    #[x_kube(validation = Rule::new("self == oldSelf").message("owner is immutable"))]
    pub owner: Owner,

    /// Language of the tenant's messages to its owner.
    #[serde(default)]
    pub language: Language,

    /// When true the tenant is scaled to zero; its data is kept.
    #[serde(default)]
    pub suspend: bool,

    /// The tenant's volume.
    #[serde(default)]
    pub storage: Storage,

    /// Overrides of the install's default resources for the tenant pod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
}

/// Who owns an account.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Owner {
    /// The owner's Telegram user id.
    #[schemars(range(min = 1))]
    pub telegram_user_id: i64,
}

/// A language of the bot's catalog.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Indonesian, the default.
    #[default]
    Id,
    /// English.
    En,
}

impl Language {
    /// The language's code as it appears in the resource.
    pub fn code(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::En => "en",
        }
    }
}

/// The tenant's persistent volume.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Storage {
    /// Requested size, a quantity such as `256Mi` or `1Gi`; the operator's
    /// default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "positive_quantity")]
    pub size: Option<Quantity>,

    /// Storage class of the volume; the operator's default, then the
    /// cluster's, when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class_name: Option<String>,

    /// Keep the volume when the account is deleted.
    #[serde(default)]
    pub retain_on_delete: bool,
}

/// A quantity written as a string and greater than zero. The upstream
/// schema accepts any int-or-string, which would let `size: banana` in.
fn positive_quantity(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "x-kubernetes-validations": [{
            "rule": "isQuantity(self) && quantity(self).isGreaterThan(quantity('0'))",
            "message": "must be a positive quantity such as 256Mi or 1Gi",
        }],
    })
}

/// Observed state of an account.
///
/// Two writers share the status, each through server-side apply with its
/// own field manager and each only ever sending its own fields, so neither
/// overwrites the other:
///
/// - the operator (`pawang-operator`): `phase`, `observedGeneration` and
///   the `Ready`, `Progressing` and `Suspended` conditions;
/// - the tenant (`pawang-tenant`): `jid`, `pushName`, `pairedAt`,
///   `lastConnectedAt` and the `Paired` and `Connected` conditions.
///
/// Conditions are a map keyed by `type`, which is what lets each writer own
/// its conditions. The phase summarises both sides, so the operator derives
/// it from its own state and the tenant's conditions.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct WhatsAppAccountStatus {
    /// Where the account is in its lifecycle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<Phase>,

    /// Detailed conditions, one per type.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Vec<Condition>,

    /// The WhatsApp JID of the linked device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jid: Option<String>,

    /// The WhatsApp display name of the account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_name: Option<String>,

    /// When pairing completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paired_at: Option<Time>,

    /// When the session last connected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_connected_at: Option<Time>,

    /// The spec generation the operator last acted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}

/// Where an account is in its lifecycle.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum Phase {
    /// The tenant is being created.
    Provisioning,
    /// The tenant runs and waits for the owner to enter the pairing code.
    AwaitingPairing,
    /// The WhatsApp session is up.
    Connected,
    /// The session is paired but currently not connected.
    Disconnected,
    /// The account was logged out from the phone; pairing is needed again.
    LoggedOut,
    /// WhatsApp banned the account, temporarily or for good.
    Banned,
    /// `spec.suspend` is set; the tenant is scaled to zero.
    Suspended,
    /// The tenant cannot run; the conditions say why.
    Failed,
}

/// Condition types reported in `status.conditions`.
pub mod condition {
    /// The tenant is running and ready to serve its owner.
    pub const READY: &str = "Ready";
    /// The operator is rolling out a change to the tenant.
    pub const PROGRESSING: &str = "Progressing";
    /// The tenant is scaled to zero on request.
    pub const SUSPENDED: &str = "Suspended";
    /// A WhatsApp device is linked to the account. When false, the reason
    /// tells why: [`reason::LOGGED_OUT`], [`reason::BANNED`], or not yet.
    pub const PAIRED: &str = "Paired";
    /// The WhatsApp session is connected.
    pub const CONNECTED: &str = "Connected";

    /// Reasons with a meaning beyond their condition.
    pub mod reason {
        /// `Paired` is false because the account was logged out from the
        /// phone.
        pub const LOGGED_OUT: &str = "LoggedOut";
        /// `Paired` is false because WhatsApp banned the account.
        pub const BANNED: &str = "Banned";
        /// `Ready` is false because the install's account limit is reached.
        pub const QUOTA_EXCEEDED: &str = "QuotaExceeded";
    }
}

impl WhatsAppAccount {
    /// A new account for `phone`, owned by `owner`, named and labelled as
    /// the rest of the install expects.
    pub fn for_phone(phone: &PhoneNumber, owner: i64, language: Language) -> Self {
        let mut account = Self::new(
            &naming::account_name(phone),
            WhatsAppAccountSpec {
                phone_number: phone.as_str().to_owned(),
                owner: Owner {
                    telegram_user_id: owner,
                },
                language,
                suspend: false,
                storage: Storage::default(),
                resources: None,
            },
        );
        account.metadata.labels = Some(crate::labels::account(owner));
        account
    }

    /// The account's phone number, checked against the schema's rules.
    pub fn phone(&self) -> Result<PhoneNumber, naming::Error> {
        self.spec.phone_number.parse()
    }

    /// The owner's Telegram user id.
    pub fn owner_id(&self) -> i64 {
        self.spec.owner.telegram_user_id
    }
}
