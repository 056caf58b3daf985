//! The tenant reports its session on its own resource, with the
//! permissions the operator gave it and nothing more.

use crds::Phase;
use k8s_openapi::api::rbac::v1::RoleBinding;
use kube::api::Api;
use kube::config::{AuthInfo, KubeConfigOptions, Kubeconfig};
use kube::{Client, Config, ResourceExt};
use serde_json::json;
use tenant_bot::tenant::status::{Reporter, Session};
use tests::operator::INSTALL_KEY;
use tests::tenants::Tenants;
use tests::{Cluster, Operator, audit};

use crate::operator::{create, env, exists, phase_is, phone, status_where};

/// A client that authenticates as the tenant's ServiceAccount, with a
/// token from the TokenRequest API, as the tenant pod would.
async fn as_tenant(ns: &str, account: &str) -> Client {
    let cluster = Cluster::shared();
    let output = cluster
        .command("kubectl")
        .args(["create", "token", account, "--namespace", ns])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    let mut kubeconfig = Kubeconfig::read_from(cluster.kubeconfig()).unwrap();
    let auth: AuthInfo = serde_json::from_value(json!({ "token": token })).unwrap();
    kubeconfig.auth_infos[0].auth_info = Some(auth);
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap();
    Client::try_from(config).unwrap()
}

#[tokio::test]
async fn the_tenant_reports_its_session_with_its_own_permissions() {
    let env = env("tenant-status").await;
    let _operator = Operator::start(
        Cluster::shared(),
        &env.ns,
        &["--tenant-whatsapp-backend", "fake"],
    );
    let mine = create(&env, 1).await.name_any();
    let other = create(&env, 2).await.name_any();
    exists::<RoleBinding>(&env, &mine).await;
    let tenants = Tenants::new(env.client.clone(), &env.ns, INSTALL_KEY);

    // The tenant in its pod, with its pod's token, reports the pairing;
    // the operator reads its conditions into the phase.
    tenants.enter_code(&mine).await;
    let account = status_where(&env, &mine, "Connected", phase_is(Phase::Connected)).await;
    let status = account.status.unwrap();
    let jid = format!("{}:1@s.whatsapp.net", phone(1));
    assert_eq!(status.jid.as_deref(), Some(jid.as_str()));
    assert_eq!(status.push_name.as_deref(), Some("Fake account"));
    assert!(status.paired_at.is_some());
    // Both writers' conditions are there, neither overwrote the other.
    let mut types: Vec<_> = status.conditions.iter().map(|c| c.type_.as_str()).collect();
    types.sort_unstable();
    assert_eq!(
        types,
        ["Connected", "Paired", "Progressing", "Ready", "Suspended"]
    );
    // What the tenant wrote came as its own ServiceAccount, to its own
    // status and nothing else.
    let user = format!("system:serviceaccount:{}:{mine}", env.ns);
    let writes: Vec<_> = audit::requests(&Cluster::shared().audit_log())
        .into_iter()
        .filter(|r| r.user == user && r.is_write())
        .collect();
    assert!(!writes.is_empty());
    for write in &writes {
        assert_eq!(
            (
                write.resource.as_str(),
                write.subresource.as_str(),
                write.name.as_str()
            ),
            ("whatsappaccounts", "status", mine.as_str()),
            "{write:?}"
        );
    }

    // The same session reported again writes nothing.
    let client = as_tenant(&env.ns, &mine).await;
    let reporter = Reporter::new(Api::namespaced(client.clone(), &env.ns), &mine);
    let connected = Session::Connected {
        jid: jid.clone(),
        push_name: "Fake account".into(),
    };
    assert!(
        !reporter.report(&connected).await.unwrap(),
        "an unchanged session writes nothing"
    );

    // Logged out from the phone: the tenant says so.
    tenants.log_out_from_phone(&mine).await;
    status_where(&env, &mine, "LoggedOut", phase_is(Phase::LoggedOut)).await;

    // The same credentials cannot touch another account.
    let intruder = Reporter::new(Api::namespaced(client, &env.ns), &other);
    match intruder.report(&connected).await {
        Err(kube::Error::Api(status)) => assert_eq!(status.code, 403, "{status:?}"),
        other => panic!("expected 403, got {other:?}"),
    }
}
