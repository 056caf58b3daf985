//! The control plane itself is real: the version we built, RBAC and Pod
//! Security admission enforced, controllers running.

use k8s_openapi::api::core::v1::{Container, Pod, PodSpec, ServiceAccount};
use kube::api::{Api, ObjectMeta, PostParams};
use kube::runtime::wait::await_condition;
use tests::Cluster;
use tests::cluster::DEADLINE;

#[tokio::test]
async fn serves_the_version_it_was_built_from() {
    let cluster = Cluster::shared();
    let client = cluster.client().await.unwrap();
    let version = client.apiserver_version().await.unwrap();
    assert_eq!(version.git_version, "v1.37.2");
    assert_eq!(
        (version.major.as_str(), version.minor.as_str()),
        ("1", "37")
    );
}

#[tokio::test]
async fn rbac_denies_a_service_account_without_a_role() {
    let cluster = Cluster::shared();
    let client = cluster.client().await.unwrap();
    let ns = cluster.namespace(&client, "rbac").await.unwrap();

    let can_i = |verb: &str, resource: &str, who: &str| {
        let output = cluster
            .command("kubectl")
            .args([
                "auth",
                "can-i",
                verb,
                resource,
                "--namespace",
                &ns,
                "--as",
                who,
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    };
    let nobody = format!("system:serviceaccount:{ns}:default");
    assert_eq!(can_i("list", "secrets", &nobody), "no");
    assert_eq!(can_i("create", "pods", &nobody), "no");
    // The admin of the test cluster can, so "no" above is RBAC's answer,
    // not a broken command.
    let admin = cluster
        .command("kubectl")
        .args(["auth", "can-i", "list", "secrets", "--namespace", &ns])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&admin.stdout).trim(), "yes");
}

#[tokio::test]
async fn pod_security_restricted_is_enforced() {
    let cluster = Cluster::shared();
    let client = cluster.client().await.unwrap();
    let ns = cluster.namespace(&client, "pod-security").await.unwrap();

    // Pods need the namespace's default service account; the controller
    // manager makes it.
    let accounts = Api::<ServiceAccount>::namespaced(client.clone(), &ns);
    tokio::time::timeout(
        DEADLINE,
        await_condition(accounts, "default", |sa: Option<&ServiceAccount>| {
            sa.is_some()
        }),
    )
    .await
    .expect("the controller manager creates the default service account")
    .unwrap();

    let pod = Pod {
        metadata: ObjectMeta {
            name: Some("no-security-context".into()),
            ..ObjectMeta::default()
        },
        spec: Some(PodSpec {
            containers: vec![Container {
                name: "main".into(),
                image: Some("example.invalid/image:1".into()),
                ..Container::default()
            }],
            ..PodSpec::default()
        }),
        ..Pod::default()
    };
    let err = Api::<Pod>::namespaced(client, &ns)
        .create(&PostParams::default(), &pod)
        .await
        .expect_err("a pod without a security context violates restricted");
    let kube::Error::Api(status) = err else {
        panic!("unexpected error {err:?}");
    };
    assert_eq!(status.code, 403, "{status:?}");
    assert!(
        status.message.contains("violates PodSecurity \"restricted"),
        "{}",
        status.message
    );
}
