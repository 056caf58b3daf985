//! The tenant's StatefulSet: one replica, so at most one live WhatsApp
//! client per session, ever (a StatefulSet never runs two pods of the same
//! ordinal, unlike a Deployment during a rollout).

use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetSpec};
use k8s_openapi::api::core::v1::{
    Capabilities, Container, ContainerPort, EmptyDirVolumeSource, HTTPGetAction,
    PersistentVolumeClaimVolumeSource, PodSecurityContext, PodSpec, PodTemplateSpec, Probe,
    ResourceRequirements, SeccompProfile, SecretVolumeSource, SecurityContext, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{
    ADMIN_PORT, DATA_DIR, HTTP_PORT, METRICS_PORT, SECRET_DIR, SECRET_KEY, SEED_DIR, TENANT_UID,
    Tenant,
};

/// Builds the StatefulSet; `spec.suspend` scales it to zero.
pub fn build(tenant: &Tenant<'_>) -> StatefulSet {
    let spec = &tenant.account.spec;
    StatefulSet {
        metadata: tenant.metadata(),
        spec: StatefulSetSpec {
            replicas: Some(if spec.suspend { 0 } else { 1 }),
            service_name: Some(tenant.name.clone()),
            selector: LabelSelector {
                match_labels: Some(tenant.selector()),
                ..LabelSelector::default()
            },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(tenant.labels()),
                    ..ObjectMeta::default()
                }),
                spec: Some(pod_spec(tenant)),
            },
            ..StatefulSetSpec::default()
        },
        ..StatefulSet::default()
    }
}

fn pod_spec(tenant: &Tenant<'_>) -> PodSpec {
    PodSpec {
        service_account_name: Some(tenant.name.clone()),
        // The tenant patches its own status, so it needs its token.
        automount_service_account_token: Some(true),
        enable_service_links: Some(false),
        security_context: Some(PodSecurityContext {
            run_as_non_root: Some(true),
            run_as_user: Some(TENANT_UID),
            run_as_group: Some(TENANT_UID),
            fs_group: Some(TENANT_UID),
            seccomp_profile: Some(SeccompProfile {
                type_: "RuntimeDefault".into(),
                ..SeccompProfile::default()
            }),
            ..PodSecurityContext::default()
        }),
        containers: vec![container(tenant)],
        volumes: Some(vec![
            Volume {
                name: "data".into(),
                persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                    claim_name: tenant.name.clone(),
                    ..PersistentVolumeClaimVolumeSource::default()
                }),
                ..Volume::default()
            },
            Volume {
                name: "secret".into(),
                secret: Some(SecretVolumeSource {
                    secret_name: Some(tenant.name.clone()),
                    default_mode: Some(0o440),
                    ..SecretVolumeSource::default()
                }),
                ..Volume::default()
            },
            // An imported account's files, while the import's Secret is
            // there; optional, so the pod's spec is the same before and
            // after the operator deletes it.
            Volume {
                name: "seed".into(),
                secret: Some(SecretVolumeSource {
                    secret_name: Some(crds::naming::seed_secret(&tenant.name)),
                    optional: Some(true),
                    default_mode: Some(0o440),
                    ..SecretVolumeSource::default()
                }),
                ..Volume::default()
            },
            // The root filesystem is read-only; SQLite and TLS want a /tmp.
            Volume {
                name: "tmp".into(),
                empty_dir: Some(EmptyDirVolumeSource::default()),
                ..Volume::default()
            },
        ]),
        ..PodSpec::default()
    }
}

fn container(tenant: &Tenant<'_>) -> Container {
    let defaults = tenant.defaults;
    let mut args = vec![
        "tenant".to_owned(),
        format!("--account={}", tenant.name),
        format!("--namespace={}", tenant.namespace),
        format!("--phone={}", tenant.phone.as_str()),
        format!("--owner={}", tenant.owner),
        format!("--language={}", tenant.account.spec.language.code()),
        format!("--data-dir={DATA_DIR}"),
        format!("--secret-file={SECRET_DIR}/{SECRET_KEY}"),
        format!("--seed-dir={SEED_DIR}"),
        format!("--telegram-api-url={}", defaults.telegram_gateway_url),
        format!("--listen=0.0.0.0:{HTTP_PORT}"),
        format!("--admin-listen=0.0.0.0:{ADMIN_PORT}"),
        format!("--metrics-listen=0.0.0.0:{METRICS_PORT}"),
    ];
    if let Some(backend) = &defaults.whatsapp_backend {
        args.push(format!("--whatsapp-backend={backend}"));
    }
    if let Some(version) = &defaults.whatsapp_version {
        args.push(format!("--whatsapp-version={version}"));
    }
    let mount = |name: &str, path: &str, read_only: bool| VolumeMount {
        name: name.into(),
        mount_path: path.into(),
        // A plain bool upstream: `false` is dropped on the way in, and
        // sending it would make the object look changed forever.
        read_only: read_only.then_some(true),
        ..VolumeMount::default()
    };
    Container {
        name: "tenant".into(),
        image: Some(defaults.image.clone()),
        image_pull_policy: Some(defaults.image_pull_policy.clone()),
        command: Some(vec!["tenant-bot".into()]),
        args: Some(args),
        ports: Some(vec![
            ContainerPort {
                name: Some("http".into()),
                container_port: HTTP_PORT,
                protocol: Some("TCP".into()),
                ..ContainerPort::default()
            },
            ContainerPort {
                name: Some("admin".into()),
                container_port: ADMIN_PORT,
                protocol: Some("TCP".into()),
                ..ContainerPort::default()
            },
            ContainerPort {
                name: Some("metrics".into()),
                container_port: METRICS_PORT,
                protocol: Some("TCP".into()),
                ..ContainerPort::default()
            },
        ]),
        volume_mounts: Some(vec![
            mount("data", DATA_DIR, false),
            mount("secret", SECRET_DIR, true),
            mount("seed", SEED_DIR, true),
            mount("tmp", "/tmp", false),
        ]),
        // Liveness and readiness are asked only once the startup probe
        // passes: without it, the first readiness probe came before the
        // tenant listened and failed at every start.
        startup_probe: Some(Probe {
            failure_threshold: Some(STARTUP_SECONDS),
            ..probe("/healthz", 1)
        }),
        liveness_probe: Some(probe("/healthz", 10)),
        // Asked first a period after the startup probe passed: a short
        // one lets a new account show Ready (and its owner's pairing go
        // on) seconds sooner; the endpoint answers from memory.
        readiness_probe: Some(probe("/readyz", 2)),
        // The tenant writes why it stopped to the termination message
        // (`/dev/termination-log`); a crash that could not is told by the
        // end of its log. The operator shows either on the account.
        termination_message_policy: Some("FallbackToLogsOnError".into()),
        resources: Some(resources(tenant)),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            read_only_root_filesystem: Some(true),
            run_as_non_root: Some(true),
            capabilities: Some(Capabilities {
                drop: Some(vec!["ALL".into()]),
                ..Capabilities::default()
            }),
            ..SecurityContext::default()
        }),
        ..Container::default()
    }
}

/// How long a tenant may take to start listening before its container is
/// restarted: opening a large session store on a slow volume takes time.
const STARTUP_SECONDS: i32 = 120;

fn probe(path: &str, period_seconds: i32) -> Probe {
    Probe {
        http_get: Some(HTTPGetAction {
            path: Some(path.into()),
            port: IntOrString::String("http".into()),
            ..HTTPGetAction::default()
        }),
        period_seconds: Some(period_seconds),
        failure_threshold: Some(3),
        ..Probe::default()
    }
}

/// The account's own resources when it sets them, the defaults otherwise
/// (claims are never passed on: tenants have no resource claims).
fn resources(tenant: &Tenant<'_>) -> ResourceRequirements {
    let defaults = tenant.defaults;
    let own = tenant.account.spec.resources.as_ref();
    ResourceRequirements {
        requests: own.and_then(|r| r.requests.clone()).or_else(|| {
            Some(
                [
                    ("cpu".to_owned(), defaults.cpu_request.clone()),
                    ("memory".to_owned(), defaults.memory_request.clone()),
                ]
                .into(),
            )
        }),
        limits: own
            .and_then(|r| r.limits.clone())
            .or_else(|| Some([("memory".to_owned(), defaults.memory_limit.clone())].into())),
        ..ResourceRequirements::default()
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

    use super::*;
    use crate::children::fixture;

    fn build_for(account: &crds::WhatsAppAccount) -> StatefulSet {
        let defaults = fixture::defaults();
        build(&Tenant::new(account, &defaults).unwrap())
    }

    #[test]
    fn one_replica_selected_by_stable_labels() {
        let sts = build_for(&fixture::account());
        let spec = sts.spec;
        assert_eq!(spec.replicas, Some(1));
        assert_eq!(spec.service_name.as_deref(), Some("wa-447700900123"));
        let selector = spec.selector.match_labels.unwrap();
        let pod_labels = spec.template.metadata.unwrap().labels.unwrap();
        for (k, v) in &selector {
            assert_eq!(pod_labels.get(k), Some(v));
        }
    }

    #[test]
    fn suspend_scales_to_zero() {
        let mut account = fixture::account();
        account.spec.suspend = true;
        assert_eq!(build_for(&account).spec.replicas, Some(0));
    }

    #[test]
    fn runs_the_tenant_without_a_bot_token() {
        let sts = build_for(&fixture::account());
        let pod = sts.spec.template.spec.unwrap();
        let c = &pod.containers[0];
        let args = c.args.clone().unwrap();
        assert_eq!(args[0], "tenant");
        for want in [
            "--account=wa-447700900123",
            "--phone=447700900123",
            "--owner=42",
            "--data-dir=/data",
            "--secret-file=/var/run/pawang/tenant-secret",
            "--telegram-api-url=http://pawang-front-door:8081",
        ] {
            assert!(args.iter().any(|a| a == want), "{want} in {args:?}");
        }
        assert!(!args.iter().any(|a| a.to_lowercase().contains("token")));
        assert!(c.env.is_none());
        let mounts: Vec<_> = c
            .volume_mounts
            .iter()
            .flatten()
            .map(|m| (m.mount_path.as_str(), m.read_only))
            .collect();
        assert!(mounts.contains(&("/data", None)));
        assert!(mounts.contains(&("/var/run/pawang", Some(true))));
        assert!(mounts.contains(&("/var/run/pawang-seed", Some(true))));
        assert!(args.iter().any(|a| a == "--seed-dir=/var/run/pawang-seed"));
        let seed = pod
            .volumes
            .iter()
            .flatten()
            .find(|v| v.name == "seed")
            .and_then(|v| v.secret.clone())
            .unwrap();
        assert_eq!(seed.secret_name.as_deref(), Some("wa-447700900123-seed"));
        assert_eq!(seed.optional, Some(true));
        assert_eq!(pod.service_account_name.as_deref(), Some("wa-447700900123"));
    }

    #[test]
    fn probes_hit_health_endpoints() {
        let sts = build_for(&fixture::account());
        let c = &sts.spec.template.spec.unwrap().containers[0];
        let path = |p: &Option<Probe>| p.as_ref().unwrap().http_get.as_ref().unwrap().path.clone();
        assert_eq!(path(&c.liveness_probe).as_deref(), Some("/healthz"));
        assert_eq!(path(&c.readiness_probe).as_deref(), Some("/readyz"));
        assert_eq!(path(&c.startup_probe).as_deref(), Some("/healthz"));
        let startup = c.startup_probe.as_ref().unwrap();
        assert_eq!(startup.period_seconds, Some(1));
        assert!(startup.failure_threshold.unwrap() >= 60);
        assert_eq!(
            c.termination_message_policy.as_deref(),
            Some("FallbackToLogsOnError")
        );
    }

    #[test]
    fn the_whatsapp_backend_and_version_are_passed_only_when_set() {
        let args = |defaults: &crate::settings::TenantDefaults| {
            let account = fixture::account();
            let sts = build(&Tenant::new(&account, defaults).unwrap());
            sts.spec.template.spec.unwrap().containers[0]
                .args
                .clone()
                .unwrap()
        };
        let mut defaults = fixture::defaults();
        assert!(
            !args(&defaults)
                .iter()
                .any(|a| a.starts_with("--whatsapp-backend"))
        );
        defaults.whatsapp_backend = Some("fake".into());
        assert!(args(&defaults).contains(&"--whatsapp-backend=fake".to_owned()));
        assert!(
            !args(&defaults)
                .iter()
                .any(|a| a.starts_with("--whatsapp-version"))
        );
        defaults.whatsapp_version = Some("2.3000.1023000000".parse().unwrap());
        assert!(args(&defaults).contains(&"--whatsapp-version=2.3000.1023000000".to_owned()));
    }

    #[test]
    fn restricted_pod_security() {
        let sts = build_for(&fixture::account());
        let pod = sts.spec.template.spec.unwrap();
        let psc = pod.security_context.unwrap();
        assert_eq!(psc.run_as_non_root, Some(true));
        assert_eq!(psc.seccomp_profile.unwrap().type_, "RuntimeDefault");
        let sc = pod.containers[0].security_context.clone().unwrap();
        assert_eq!(sc.allow_privilege_escalation, Some(false));
        assert_eq!(sc.read_only_root_filesystem, Some(true));
        assert_eq!(sc.capabilities.unwrap().drop, Some(vec!["ALL".into()]));
    }

    #[test]
    fn resources_default_or_come_from_the_account() {
        let sts = build_for(&fixture::account());
        let r = sts.spec.template.spec.unwrap().containers[0]
            .resources
            .clone()
            .unwrap();
        assert_eq!(r.requests.unwrap()["memory"], Quantity("32Mi".into()));
        assert_eq!(r.limits.unwrap()["memory"], Quantity("256Mi".into()));

        let mut account = fixture::account();
        account.spec.resources = Some(ResourceRequirements {
            limits: Some([("memory".to_owned(), Quantity("1Gi".into()))].into()),
            claims: Some(vec![]),
            ..ResourceRequirements::default()
        });
        let sts = build_for(&account);
        let r = sts.spec.template.spec.unwrap().containers[0]
            .resources
            .clone()
            .unwrap();
        assert_eq!(r.limits.unwrap()["memory"], Quantity("1Gi".into()));
        assert_eq!(r.requests.unwrap()["cpu"], Quantity("10m".into()));
        assert_eq!(r.claims, None);
    }
}
