//! What keeps a tenant's pod from running, read from the pod's status, so
//! that the account says it rather than "Provisioning" forever.
//!
//! Only states that last until someone acts are reported (an image that
//! is not there, a container that cannot be made, a crash loop, no node to
//! run on); passing states such as ContainerCreating are not, so a pod
//! starting normally causes no status write.

use crds::naming::Redacted;
use k8s_openapi::api::core::v1::{ContainerStatus, Pod};

/// The tenant's container in its pod.
pub const CONTAINER: &str = "tenant";

/// Longest message put on the account.
const MESSAGE_LIMIT: usize = 512;

/// Why the tenant's pod does not run, for the account's Ready condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trouble {
    /// The condition's reason.
    pub reason: &'static str,
    /// What the kubelet or the tenant said, phone numbers masked.
    pub message: String,
    /// Whether it needs an admin (the account's phase becomes Failed);
    /// a pod waiting for room on a node may still get it.
    pub needs_action: bool,
}

/// Reasons of the Ready condition for a tenant's pod in trouble.
pub mod reason {
    /// The image cannot be pulled or is not on the node.
    pub const IMAGE_UNAVAILABLE: &str = "ImageUnavailable";
    /// The container cannot be created or started.
    pub const CONTAINER_NOT_CREATED: &str = "ContainerNotCreated";
    /// The tenant stops again and again.
    pub const CRASH_LOOPING: &str = "TenantCrashLooping";
    /// No node can take the pod.
    pub const UNSCHEDULABLE: &str = "Unschedulable";
}

/// The trouble `pod` is in, if any.
pub fn of(pod: &Pod) -> Option<Trouble> {
    let status = pod.status.as_ref()?;
    let container = status
        .container_statuses
        .iter()
        .flatten()
        .find(|c| c.name == CONTAINER);
    if let Some(trouble) = container.and_then(container_trouble) {
        return Some(trouble);
    }
    let unscheduled = status
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == "PodScheduled" && c.status == "False")?;
    (unscheduled.reason.as_deref() == Some("Unschedulable")).then(|| Trouble {
        reason: reason::UNSCHEDULABLE,
        message: tidy(
            unscheduled
                .message
                .as_deref()
                .unwrap_or("no node can run it"),
        ),
        needs_action: false,
    })
}

fn container_trouble(container: &ContainerStatus) -> Option<Trouble> {
    let waiting = container.state.as_ref()?.waiting.as_ref()?;
    let said = waiting.message.as_deref().unwrap_or_default();
    let (reason, message) = match waiting.reason.as_deref()? {
        "ErrImagePull" | "ImagePullBackOff" | "ErrImageNeverPull" | "InvalidImageName" => (
            reason::IMAGE_UNAVAILABLE,
            format!("image {} cannot be used: {said}", container.image),
        ),
        "CreateContainerConfigError" | "CreateContainerError" | "RunContainerError" => {
            (reason::CONTAINER_NOT_CREATED, said.to_owned())
        }
        "CrashLoopBackOff" => (reason::CRASH_LOOPING, last_words(container)),
        _ => return None,
    };
    Some(Trouble {
        reason,
        message: tidy(&message),
        needs_action: true,
    })
}

/// Why the tenant's last run ended: its termination message (or the end of
/// its log), else its exit code.
fn last_words(container: &ContainerStatus) -> String {
    let Some(ended) = container
        .last_state
        .as_ref()
        .and_then(|s| s.terminated.as_ref())
    else {
        return "the tenant keeps stopping".to_owned();
    };
    let told = ended
        .message
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty());
    match told {
        Some(message) => format!(
            "the tenant stopped (exit code {}): {message}",
            ended.exit_code
        ),
        None => format!(
            "the tenant stopped (exit code {}, {})",
            ended.exit_code,
            ended.reason.as_deref().unwrap_or("no reason given")
        ),
    }
}

/// One line, bounded, with phone-number-like runs masked.
fn tidy(message: &str) -> String {
    let line = message.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut masked = Redacted(line).to_string();
    if masked.len() > MESSAGE_LIMIT {
        let mut end = MESSAGE_LIMIT;
        while !masked.is_char_boundary(end) {
            end -= 1;
        }
        masked.truncate(end);
        masked.push('…');
    }
    masked
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::{
        ContainerState, ContainerStateTerminated, ContainerStateWaiting, PodCondition, PodStatus,
    };

    use super::*;

    fn waiting(reason: &str, message: &str) -> Pod {
        pod(ContainerStatus {
            name: CONTAINER.into(),
            image: "localhost/pawang:9.9.9".into(),
            state: Some(ContainerState {
                waiting: Some(ContainerStateWaiting {
                    reason: Some(reason.into()),
                    message: Some(message.into()),
                }),
                ..ContainerState::default()
            }),
            ..ContainerStatus::default()
        })
    }

    fn pod(container: ContainerStatus) -> Pod {
        Pod {
            status: Some(PodStatus {
                container_statuses: Some(vec![container]),
                ..PodStatus::default()
            }),
            ..Pod::default()
        }
    }

    #[test]
    fn a_missing_image_names_the_image() {
        let trouble = of(&waiting(
            "ErrImageNeverPull",
            "Container image \"localhost/pawang:9.9.9\" is not present with pull policy of Never",
        ))
        .unwrap();
        assert_eq!(trouble.reason, reason::IMAGE_UNAVAILABLE);
        assert!(trouble.message.contains("localhost/pawang:9.9.9"));
        assert!(trouble.needs_action);
        assert_eq!(
            of(&waiting("ImagePullBackOff", "Back-off")).unwrap().reason,
            reason::IMAGE_UNAVAILABLE
        );
    }

    #[test]
    fn a_crash_loop_tells_the_tenants_last_words_masked() {
        let mut pod = waiting(
            "CrashLoopBackOff",
            "back-off 10s restarting failed container",
        );
        let status = &mut pod
            .status
            .as_mut()
            .unwrap()
            .container_statuses
            .as_mut()
            .unwrap()[0];
        status.last_state = Some(ContainerState {
            terminated: Some(ContainerStateTerminated {
                exit_code: 1,
                message: Some(
                    "the data directory /data is not writable\n for /data/bot_data-42-447700900123.db\n"
                        .into(),
                ),
                ..ContainerStateTerminated::default()
            }),
            ..ContainerState::default()
        });
        let trouble = of(&pod).unwrap();
        assert_eq!(trouble.reason, reason::CRASH_LOOPING);
        assert!(
            trouble.message.contains("exit code 1"),
            "{}",
            trouble.message
        );
        assert!(trouble.message.contains("not writable"));
        assert!(
            !trouble.message.contains("447700900123"),
            "{}",
            trouble.message
        );
        assert!(!trouble.message.contains('\n'));
    }

    #[test]
    fn passing_states_are_no_trouble() {
        assert_eq!(of(&waiting("ContainerCreating", "")), None);
        assert_eq!(of(&waiting("PodInitializing", "")), None);
        assert_eq!(of(&Pod::default()), None);
    }

    #[test]
    fn an_unschedulable_pod_waits_for_room() {
        let pod = Pod {
            status: Some(PodStatus {
                conditions: Some(vec![PodCondition {
                    type_: "PodScheduled".into(),
                    status: "False".into(),
                    reason: Some("Unschedulable".into()),
                    message: Some("0/1 nodes are available: 1 Insufficient memory.".into()),
                    ..PodCondition::default()
                }]),
                ..PodStatus::default()
            }),
            ..Pod::default()
        };
        let trouble = of(&pod).unwrap();
        assert_eq!(trouble.reason, reason::UNSCHEDULABLE);
        assert!(!trouble.needs_action);
        assert!(trouble.message.contains("Insufficient memory"));
    }

    #[test]
    fn long_messages_are_cut() {
        let trouble = of(&waiting("CreateContainerError", &"é".repeat(2000))).unwrap();
        assert!(trouble.message.len() <= MESSAGE_LIMIT + '…'.len_utf8());
    }
}
