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
