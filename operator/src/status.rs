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
mod tests {
    use k8s_openapi::api::apps::v1::{StatefulSetSpec, StatefulSetStatus};
    use k8s_openapi::jiff::Timestamp;

    use super::*;
    use crate::children::fixture;

    fn at(seconds: i64) -> Time {
        Time(Timestamp::from_second(seconds).unwrap())
    }

    fn sts(ready: i32) -> StatefulSet {
        let mut sts = StatefulSet {
            spec: StatefulSetSpec {
                replicas: Some(1),
                ..StatefulSetSpec::default()
            },
            status: Some(StatefulSetStatus {
                observed_generation: Some(1),
                replicas: 1,
                updated_replicas: Some(1),
                ready_replicas: Some(ready),
                ..StatefulSetStatus::default()
            }),
            ..StatefulSet::default()
        };
        sts.metadata.generation = Some(1);
        sts
    }

    fn tenant_condition(type_: &str, status: &str, reason: &str) -> Condition {
        Condition {
            type_: type_.into(),
            status: status.into(),
            reason: reason.into(),
            message: String::new(),
            observed_generation: None,
            last_transition_time: at(0),
        }
    }

    fn with_tenant(conditions: Vec<Condition>) -> WhatsAppAccount {
        let mut account = fixture::account();
        account.status = Some(crds::WhatsAppAccountStatus {
            conditions,
            ..Default::default()
        });
        account
    }

    fn phase_of(account: &WhatsAppAccount, sts: Option<&StatefulSet>) -> Phase {
        let observed = Observed {
            account,
            stateful_set: sts,
            pod: None,
            quota_exceeded: false,
        };
        desired(observed, &at(1)).phase
    }

    #[test]
    fn phases_follow_tenant_and_pod() {
        let up = sts(1);
        let down = sts(0);
        let fresh = fixture::account();
        assert_eq!(phase_of(&fresh, None), Phase::Provisioning);
        assert_eq!(phase_of(&fresh, Some(&down)), Phase::Provisioning);
        assert_eq!(phase_of(&fresh, Some(&up)), Phase::AwaitingPairing);

        let paired = tenant_condition(condition::PAIRED, "True", "Paired");
        let connected = with_tenant(vec![
            paired.clone(),
            tenant_condition(condition::CONNECTED, "True", "Connected"),
        ]);
        assert_eq!(phase_of(&connected, Some(&up)), Phase::Connected);
        assert_eq!(phase_of(&connected, Some(&down)), Phase::Disconnected);
        let offline = with_tenant(vec![
            paired,
            tenant_condition(condition::CONNECTED, "False", "Offline"),
        ]);
        assert_eq!(phase_of(&offline, Some(&up)), Phase::Disconnected);

        let logged_out = with_tenant(vec![tenant_condition(
            condition::PAIRED,
            "False",
            reason::LOGGED_OUT,
        )]);
        assert_eq!(phase_of(&logged_out, Some(&up)), Phase::LoggedOut);
        let banned = with_tenant(vec![tenant_condition(
            condition::PAIRED,
            "False",
            reason::BANNED,
        )]);
        assert_eq!(phase_of(&banned, Some(&down)), Phase::Banned);
    }

    #[test]
    fn suspend_and_quota_win() {
        let mut account = fixture::account();
        account.spec.suspend = true;
        assert_eq!(phase_of(&account, Some(&sts(1))), Phase::Suspended);
        let observed = Observed {
            account: &account,
            stateful_set: None,
            pod: None,
            quota_exceeded: true,
        };
        let status = desired(observed, &at(1));
        assert_eq!(status.phase, Phase::Failed);
        assert_eq!(status.conditions[0].reason, reason::QUOTA_EXCEEDED);
    }

    #[test]
    fn ready_and_progressing_come_from_the_stateful_set() {
        let account = fixture::account();
        let status = |sts: &StatefulSet| {
            let observed = Observed {
                account: &account,
                stateful_set: Some(sts),
                pod: None,
                quota_exceeded: false,
            };
            let s = desired(observed, &at(1));
            (
                s.conditions[0].status.clone(),
                s.conditions[1].status.clone(),
            )
        };
        assert_eq!(status(&sts(1)), ("True".into(), "False".into()));
        assert_eq!(status(&sts(0)), ("False".into(), "False".into()));
        let mut newer = sts(1);
        newer.metadata.generation = Some(2);
        assert_eq!(status(&newer), ("True".into(), "True".into()));
    }

    #[test]
    fn same_observation_same_status_and_stable_times() {
        let mut account = fixture::account();
        let up = sts(1);
        let first = desired(
            Observed {
                account: &account,
                stateful_set: Some(&up),
                pod: None,
                quota_exceeded: false,
            },
            &at(100),
        );
        assert!(!first.is_current(&account));
        account.status = Some(crds::WhatsAppAccountStatus {
            phase: Some(first.phase),
            observed_generation: first.observed_generation,
            conditions: first.conditions.clone(),
            ..Default::default()
        });
        // Later, nothing changed: same status, old transition times.
        let again = desired(
            Observed {
                account: &account,
                stateful_set: Some(&up),
                pod: None,
                quota_exceeded: false,
            },
            &at(200),
        );
        assert_eq!(again, first);
        assert!(again.is_current(&account));
        // The pod goes away: Ready flips and only Ready gets a new time.
        let down = sts(0);
        let changed = desired(
            Observed {
                account: &account,
                stateful_set: Some(&down),
                pod: None,
                quota_exceeded: false,
            },
            &at(300),
        );
        assert_eq!(changed.conditions[0].last_transition_time, at(300));
        assert_eq!(changed.conditions[2].last_transition_time, at(100));
        assert!(!changed.is_current(&account));
    }

    #[test]
    fn a_pod_in_trouble_is_told_on_the_account() {
        use k8s_openapi::api::core::v1::{
            ContainerState, ContainerStateWaiting, ContainerStatus, PodStatus,
        };
        let pod = Pod {
            status: Some(PodStatus {
                container_statuses: Some(vec![ContainerStatus {
                    name: trouble::CONTAINER.into(),
                    image: "localhost/pawang:0.0.0".into(),
                    state: Some(ContainerState {
                        waiting: Some(ContainerStateWaiting {
                            reason: Some("ErrImageNeverPull".into()),
                            message: Some("not present".into()),
                        }),
                        ..ContainerState::default()
                    }),
                    ..ContainerStatus::default()
                }]),
                ..PodStatus::default()
            }),
            ..Pod::default()
        };
        let account = fixture::account();
        let down = sts(0);
        let status = desired(
            Observed {
                account: &account,
                stateful_set: Some(&down),
                pod: Some(&pod),
                quota_exceeded: false,
            },
            &at(1),
        );
        assert_eq!(status.phase, Phase::Failed);
        assert_eq!(
            status.conditions[0].reason,
            trouble::reason::IMAGE_UNAVAILABLE
        );
        assert!(
            status.conditions[0]
                .message
                .contains("localhost/pawang:0.0.0")
        );
        // The same pod behind a ready StatefulSet (an old pod's status) or
        // a suspended account is no trouble.
        let up = sts(1);
        let fine = desired(
            Observed {
                account: &account,
                stateful_set: Some(&up),
                pod: Some(&pod),
                quota_exceeded: false,
            },
            &at(1),
        );
        assert_eq!(fine.phase, Phase::AwaitingPairing);
    }
}
