//! The tenant's part of its account's status: pairing and connection.
//!
//! Applied with server-side apply under its own field manager and holding
//! only the tenant's fields, so it never touches what the operator owns
//! (phase, observedGeneration, Ready, Progressing, Suspended); the
//! operator derives the phase from the conditions written here.

use crds::condition::{self, reason};
use crds::{WhatsAppAccount, WhatsAppAccountStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, Patch, PatchParams};
use serde_json::{Value, json};

/// Field manager of everything the tenant writes.
pub const FIELD_MANAGER: &str = "pawang-tenant";

/// Where the WhatsApp session is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum Session {
    /// No device linked yet; pairing is offered.
    AwaitingPairing,
    /// Linked and connected.
    Connected {
        /// The linked device's JID.
        jid: String,
        /// The account's WhatsApp name.
        push_name: String,
    },
    /// Linked, connection lost.
    Disconnected,
    /// Unlinked from the phone.
    LoggedOut,
    /// Banned by WhatsApp.
    Banned,
}

/// The tenant's status fields as a server-side apply body, given what the
/// status says now (to keep transition times and first-seen times).
pub fn desired(session: &Session, current: Option<&WhatsAppAccountStatus>, now: &Time) -> Value {
    let (paired, paired_reason, connected, connected_reason) = match session {
        Session::AwaitingPairing => (false, "NotPaired", false, "NotPaired"),
        Session::Connected { .. } => (true, "Paired", true, "Connected"),
        Session::Disconnected => (true, "Paired", false, "Disconnected"),
        Session::LoggedOut => (false, reason::LOGGED_OUT, false, reason::LOGGED_OUT),
        Session::Banned => (false, reason::BANNED, false, reason::BANNED),
    };
    let previous = |type_: &str| {
        current
            .into_iter()
            .flat_map(|s| &s.conditions)
            .find(|c| c.type_ == type_)
    };
    let make = |type_: &str, status: bool, why: &str| {
        let status = if status { "True" } else { "False" };
        let last_transition_time = previous(type_)
            .filter(|c| c.status == status)
            .map_or_else(|| now.clone(), |c| c.last_transition_time.clone());
        Condition {
            type_: type_.into(),
            status: status.into(),
            reason: why.into(),
            message: String::new(),
            observed_generation: None,
            last_transition_time,
        }
    };
    let conditions = [
        make(condition::PAIRED, paired, paired_reason),
        make(condition::CONNECTED, connected, connected_reason),
    ];

    let was_paired = previous(condition::PAIRED).is_some_and(|c| c.status == "True");
    let paired_at = match (paired, was_paired) {
        (true, true) => current.and_then(|s| s.paired_at.clone()),
        (true, false) => Some(now.clone()),
        (false, _) => None,
    };
    let last_connected_at = if connected {
        let was_connected = previous(condition::CONNECTED).is_some_and(|c| c.status == "True");
        if was_connected {
            current.and_then(|s| s.last_connected_at.clone())
        } else {
            Some(now.clone())
        }
    } else {
        current.and_then(|s| s.last_connected_at.clone())
    };
    // A session that reconnects from its store may not know its JID and
    // name yet: what the status says stays.
    let known = |value: &str, current: Option<String>| {
        if value.is_empty() {
            current
        } else {
            Some(value.to_owned())
        }
    };
    let (jid, push_name) = match session {
        Session::Connected { jid, push_name } => (
            known(jid, current.and_then(|s| s.jid.clone())),
            known(push_name, current.and_then(|s| s.push_name.clone())),
        ),
        Session::Disconnected => (
            current.and_then(|s| s.jid.clone()),
            current.and_then(|s| s.push_name.clone()),
        ),
        _ => (None, None),
    };

    let mut status = json!({ "conditions": conditions });
    for (key, value) in [
        ("jid", jid.map(Value::String)),
        ("pushName", push_name.map(Value::String)),
        ("pairedAt", paired_at.map(|t| json!(t))),
        ("lastConnectedAt", last_connected_at.map(|t| json!(t))),
    ] {
        if let Some(value) = value {
            status[key] = value;
        }
    }
    json!({
        "apiVersion": "pawang.dev/v1alpha1",
        "kind": "WhatsAppAccount",
        "status": status,
    })
}

/// Writes the tenant's status to its own resource.
#[derive(Debug, Clone)]
pub struct Reporter {
    api: Api<WhatsAppAccount>,
    name: String,
}

impl Reporter {
    /// A reporter for account `name` through `api` (namespaced).
    pub fn new(api: Api<WhatsAppAccount>, name: &str) -> Self {
        Self {
            api,
            name: name.to_owned(),
        }
    }

    /// Reports `session`, writing only when the status would change.
    pub async fn report(&self, session: &Session) -> kube::Result<bool> {
        let account = self.api.get(&self.name).await?;
        let current = account.status.as_ref();
        let now = Time(Timestamp::now());
        let body = desired(session, current, &now);
        let unchanged = serde_json::to_value(current)
            .ok()
            .is_some_and(|live| contains(&live, &body["status"]));
        if unchanged {
            return Ok(false);
        }
        self.api
            .patch_status(
                &self.name,
                &PatchParams::apply(FIELD_MANAGER).force(),
                &Patch::Apply(body),
            )
            .await?;
        Ok(true)
    }
}

impl Reporter {
    /// Reports every session `sessions` takes, the latest first, until
    /// `stop` is cancelled. A report that fails (the API server
    /// restarting, the tenant's permissions not bound yet) is tried again
    /// as [`Peer::Kubernetes`]'s policy says, with whatever the session is
    /// by then, so the status never stays behind.
    ///
    /// [`Peer::Kubernetes`]: crate::retry::Peer::Kubernetes
    pub async fn follow(
        self,
        mut sessions: tokio::sync::watch::Receiver<Session>,
        stop: tokio_util::sync::CancellationToken,
    ) {
        use backon::Retryable as _;
        // `sessions` was cloned before the runtime said anything, so every
        // session it sets is a change here, even one set before this task
        // first runs; the placeholder it starts with is not reported.
        loop {
            tokio::select! {
                changed = sessions.changed() => if changed.is_err() { return },
                () = stop.cancelled() => {
                    // One last try for a change the stop overtook.
                    if sessions.has_changed().unwrap_or(false) {
                        let session = sessions.borrow_and_update().clone();
                        if let Err(error) = self.report(&session).await {
                            tracing::warn!(error = %crds::naming::why(&error), "cannot report the last session status");
                        }
                    }
                    return;
                }
            }
            sessions.mark_unchanged();
            // Each try reports the session as it is by then; a change
            // that came meanwhile is reported once more, which is a no-op.
            let this = &self;
            let latest = || {
                let session = sessions.borrow().clone();
                async move { this.report(&session).await }
            };
            let reported = latest
                .retry(crate::retry::Peer::Kubernetes.policy())
                .notify(|error, wait| {
                    tracing::warn!(error = %crds::naming::why(error), retry_in = ?wait, "cannot report the session status");
                });
            if crate::retry::until_cancelled(&stop, reported)
                .await
                .is_none()
            {
                return;
            }
        }
    }
}

/// Every field of `want` is in `have` with the same value. Unlike the
/// operator's positional comparison of its own children, lists match as
/// sets here: `conditions` is a list-map keyed by type that the operator
/// and the tenant both write, so the tenant's entries may sit anywhere.
fn contains(have: &Value, want: &Value) -> bool {
    match (have, want) {
        (Value::Object(h), Value::Object(w)) => w
            .iter()
            .all(|(k, v)| h.get(k).is_some_and(|hv| contains(hv, v))),
        (Value::Array(h), Value::Array(w)) => {
            w.iter().all(|wv| h.iter().any(|hv| contains(hv, wv)))
        }
        _ => have == want,
    }
}

#[cfg(test)]
mod tests;
