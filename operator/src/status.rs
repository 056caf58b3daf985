//! The operator's part of an account's status, computed purely from what
//! it observes. The tenant owns the rest (see `WhatsAppAccountStatus`).
//!
//! Nothing here reads a clock except through `now`, and a condition keeps
//! its `lastTransitionTime` unless its status changes, so observing the
//! same state twice yields the same status and no write.

use crds::condition::{self, reason};
use crds::{Phase, WhatsAppAccount};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use serde_json::{Value, json};

use crate::trouble::{self, Trouble};

/// What the operator knows about one account.
#[derive(Debug, Clone, Copy)]
pub struct Observed<'a> {
    /// The account.
    pub account: &'a WhatsAppAccount,
    /// Its StatefulSet as last seen, if it exists.
    pub stateful_set: Option<&'a StatefulSet>,
    /// Its tenant's pod as last seen, if it exists.
    pub pod: Option<&'a Pod>,
    /// The install's account limit keeps this account from running.
    pub quota_exceeded: bool,
}

/// The fields of the status the operator writes.
#[derive(Debug, Clone, PartialEq)]
pub struct OperatorStatus {
    /// Summary of operator and tenant state.
    pub phase: Phase,
    /// The generation these were computed from.
    pub observed_generation: Option<i64>,
    /// Ready, Progressing and Suspended.
    pub conditions: Vec<Condition>,
}

impl OperatorStatus {
    /// The server-side apply body for the status subresource.
    pub fn apply_patch(&self) -> Value {
        json!({
            "apiVersion": "pawang.dev/v1alpha1",
            "kind": "WhatsAppAccount",
            "status": {
                "phase": self.phase,
                "observedGeneration": self.observed_generation,
                "conditions": self.conditions,
            },
        })
    }

    /// True when the account's status already says all of this.
    pub fn is_current(&self, account: &WhatsAppAccount) -> bool {
        let Some(status) = &account.status else {
            return false;
        };
        status.phase == Some(self.phase)
            && status.observed_generation == self.observed_generation
            && self.conditions.iter().all(|want| {
                status.conditions.iter().any(|have| {
                    have.type_ == want.type_
                        && have.status == want.status
                        && have.reason == want.reason
                        && have.message == want.message
                        && have.observed_generation == want.observed_generation
                })
            })
    }
}

/// Computes the operator's status for an account.
pub fn desired(observed: Observed<'_>, now: &Time) -> OperatorStatus {
    let account = observed.account;
    let generation = account.metadata.generation;
    let suspended = account.spec.suspend;
    let ready = observed
        .stateful_set
        .and_then(|s| s.status.as_ref())
        .and_then(|s| s.ready_replicas)
        .unwrap_or(0)
        >= 1;
    // A pod left from before a suspension is not the account's trouble.
    let trouble = (!ready && !suspended)
        .then(|| observed.pod.and_then(trouble::of))
        .flatten();

    let (ready_status, ready_reason, ready_message) = if observed.quota_exceeded {
        (
            false,
            reason::QUOTA_EXCEEDED,
            "the install serves no more accounts".to_owned(),
        )
    } else if suspended {
        (false, "Suspended", "the account is suspended".to_owned())
    } else if observed.stateful_set.is_none() {
        (false, "Creating", "the tenant is being created".to_owned())
    } else if ready {
        (true, "TenantReady", "the tenant is running".to_owned())
    } else if let Some(Trouble {
        reason, message, ..
    }) = &trouble
    {
        (false, *reason, message.clone())
    } else {
        (
            false,
            "TenantNotReady",
            "waiting for the tenant to become ready".to_owned(),
        )
    };
    let (progressing, progressing_reason) = if observed.quota_exceeded {
        (false, reason::QUOTA_EXCEEDED)
    } else {
        match observed.stateful_set {
            None => (true, "Creating"),
            Some(sts) if rolling(sts) => (true, "RollingOut"),
            Some(_) => (false, "Stable"),
        }
    };

    let make = |type_: &str, status: bool, reason: &str, message: &str| {
        let status = if status { "True" } else { "False" };
        let previous = account
            .status
            .iter()
            .flat_map(|s| &s.conditions)
            .find(|c| c.type_ == type_);
        let last_transition_time = previous
            .filter(|c| c.status == status)
            .map_or_else(|| now.clone(), |c| c.last_transition_time.clone());
        Condition {
            type_: type_.into(),
            status: status.into(),
            reason: reason.into(),
            message: message.into(),
            observed_generation: generation,
            last_transition_time,
        }
    };
    let conditions = vec![
        make(condition::READY, ready_status, ready_reason, &ready_message),
        make(
            condition::PROGRESSING,
            progressing,
            progressing_reason,
            if progressing {
                "the tenant is being rolled out"
            } else {
                "the tenant matches its account"
            },
        ),
        make(
            condition::SUSPENDED,
            suspended,
            if suspended { "Suspended" } else { "Running" },
            if suspended {
                "scaled to zero; data kept"
            } else {
                "the tenant is scheduled to run"
            },
        ),
    ];

    let needs_action = trouble.is_some_and(|t| t.needs_action);
    OperatorStatus {
        phase: phase(observed, ready, needs_action),
        observed_generation: generation,
        conditions,
    }
}

/// A StatefulSet still working towards its spec.
fn rolling(sts: &StatefulSet) -> bool {
    let Some(status) = &sts.status else {
        return true;
    };
    let wanted = sts.spec.replicas.unwrap_or(1);
    status.observed_generation < sts.metadata.generation
        || status.replicas != wanted
        || status.updated_replicas.unwrap_or(0) != wanted
        || (status.update_revision.is_some() && status.current_revision != status.update_revision)
}

/// The phase, from the operator's state, the tenant's pod and the
/// tenant's conditions.
fn phase(observed: Observed<'_>, ready: bool, pod_needs_action: bool) -> Phase {
    let account = observed.account;
    if observed.quota_exceeded || pod_needs_action {
        return Phase::Failed;
    }
    if account.spec.suspend {
        return Phase::Suspended;
    }
    let tenant_condition = |type_: &str| {
        account
            .status
            .iter()
            .flat_map(|s| &s.conditions)
            .find(|c| c.type_ == type_)
    };
    let paired = tenant_condition(condition::PAIRED);
    match paired.map(|c| (c.status.as_str(), c.reason.as_str())) {
        Some(("False", reason::LOGGED_OUT)) => return Phase::LoggedOut,
        Some(("False", reason::BANNED)) => return Phase::Banned,
        _ => {}
    }
    let paired = paired.is_some_and(|c| c.status == "True");
    let connected = tenant_condition(condition::CONNECTED).is_some_and(|c| c.status == "True");
    match (ready, paired, connected) {
        (false, false, _) => Phase::Provisioning,
        (false, true, _) | (true, true, false) => Phase::Disconnected,
        (true, false, _) => Phase::AwaitingPairing,
        (true, true, true) => Phase::Connected,
    }
}

#[cfg(test)]
mod tests;
