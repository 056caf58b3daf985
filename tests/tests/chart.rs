//! The Helm chart against a real control plane of its own (this binary's):
//! it lints; several value sets render and the API server accepts every
//! object (Pod Security "restricted" warnings included as failures, the
//! Prometheus Operator's real CRDs checking the monitoring objects); an
//! install creates what it should, with ServiceAccounts that may do
//! exactly what they need, enough for the operator to converge an account
//! under the chart's own identity; an upgrade updates the CRD and keeps the
//! install key; an uninstall keeps the CRD, the accounts and their volumes;
//! the plain manifests are what the chart renders.
//!
//! Its control plane has no node: the chart's pods are admitted but not
//! run, so that the test's own operator process is the only one serving
//! its namespace. Installing the chart onto a node, its pods running, is
//! the next step.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_yaml::Value;
use tests::Cluster;
use tests::cli::{ok, run};
use tests::operator::Operator;
use tests::wait::wait_until;

const TOKEN: &str = "123456:test-token";

fn root() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
        .join("..")
}

fn chart() -> PathBuf {
    root().join("charts/pawang")
}

fn helm(args: &[&str]) -> Output {
    let mut command = Cluster::control_plane().command("helm");
    command.args(args);
    run(command, None)
}

fn kubectl(args: &[&str], stdin: Option<&str>) -> Output {
    let mut command = Cluster::control_plane().command("kubectl");
    command.args(args);
    run(command, stdin)
}

/// A namespace that enforces and warns about Pod Security "restricted".
async fn namespace(test: &str) -> String {
    let cluster = Cluster::control_plane();
    let client = cluster.client().await.unwrap();
    let ns = cluster.namespace(&client, test).await.unwrap();
    ok(
        kubectl(
            &[
                "label",
                "namespace",
                &ns,
                "pod-security.kubernetes.io/warn=restricted",
            ],
            None,
        ),
        "label the namespace",
    );
    ns
}

fn documents(yaml: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(yaml)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .filter(|v: &Value| !v.is_null())
        .collect()
}

fn of_kind<'a>(docs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    docs.iter().filter(|d| d["kind"] == kind).collect()
}

fn named<'a>(docs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    of_kind(docs, kind)
        .into_iter()
        .find(|d| d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

fn args(deployment: &Value) -> Vec<String> {
    deployment["spec"]["template"]["spec"]["containers"][0]["args"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect()
}

fn secret_volumes(deployment: &Value) -> Vec<String> {
    deployment["spec"]["template"]["spec"]["volumes"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|v| v["secret"]["secretName"].as_str().map(str::to_owned))
        .collect()
}

/// Every pod of the chart is one Pod Security "restricted" admits.
fn assert_restricted(deployment: &Value) {
    let pod = &deployment["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(
        pod["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    for container in pod["containers"].as_sequence().unwrap() {
        let security = &container["securityContext"];
        assert_eq!(security["allowPrivilegeEscalation"], false);
        assert_eq!(security["readOnlyRootFilesystem"], true);
        assert_eq!(security["capabilities"]["drop"][0], "ALL");
    }
}

fn render(ns: &str, values: &[&str], monitoring: bool) -> String {
    let chart = chart();
    let mut command = vec![
        "template",
        "pawang",
        chart.to_str().unwrap(),
        "--namespace",
        ns,
        "--kube-version",
        "1.37.2",
    ];
    if monitoring {
        command.extend(["--api-versions", "monitoring.coreos.com/v1"]);
    }
    command.extend(values);
    ok(helm(&command), "helm template")
}

#[tokio::test]
async fn the_chart_lints() {
    let chart = chart();
    let chart = chart.to_str().unwrap();
    ok(
        helm(&[
            "lint",
            chart,
            "--strict",
            "--set",
            &format!("telegram.botToken={TOKEN}"),
        ]),
        "helm lint",
    );
    // Bad values are refused with a reason, not rendered.
    for (values, reason) in [
        (vec![], "telegram.botToken"),
        (
            vec![
                "--set",
                &*format!("telegram.botToken={TOKEN}"),
                "--set",
                "frontDoor.intake=both",
            ],
            "intake",
        ),
        (
            vec![
                "--set",
                &*format!("telegram.botToken={TOKEN}"),
                "--set",
                "frontDoor.intake=webhook",
            ],
            "frontDoor.webhook.url",
        ),
        (vec!["--set", "telegram.botToken=not a token"], "botToken"),
    ] {
        let mut command = vec!["template", "pawang", chart, "--kube-version", "1.37.2"];
        command.extend(values.iter().copied());
        let output = helm(&command);
        assert!(!output.status.success(), "{values:?} rendered");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(reason), "{values:?}: {stderr}");
    }
}

#[tokio::test]
async fn every_value_set_renders_objects_the_api_server_accepts() {
    Cluster::control_plane().install_monitoring_crds();
    let token = format!("telegram.botToken={TOKEN}");
    let sets: [(&str, Vec<&str>, bool); 4] = [
        ("defaults", vec!["--set", &token], false),
        (
            "webhook",
            vec![
                "--set",
                &token,
                "--set",
                "frontDoor.intake=webhook",
                "--set",
                "frontDoor.webhook.url=https://bot.example.org/telegram/webhook",
                "--set",
                "frontDoor.replicas=3",
                "--set",
                "frontDoor.ingress.enabled=true",
                "--set",
                "frontDoor.ingress.host=bot.example.org",
                "--set",
                "frontDoor.ingress.className=nginx",
            ],
            false,
        ),
        (
            "existing",
            vec![
                "--set",
                "telegram.existingSecret=my-token",
                "--set",
                "installKey.existingSecret=my-key",
                "--set",
                "networkPolicies.apiServerCidrs={10.0.0.1/32}",
                "--set",
                "tenant.storageClass=fast",
                "--set",
                "frontDoor.admins={11,12}",
                "--set",
                "frontDoor.allowedUsers={13}",
                "--set",
                "operator.replicas=1",
            ],
            true,
        ),
        (
            "bare",
            vec![
                "--set",
                &token,
                "--set",
                "networkPolicies.enabled=false",
                "--set",
                "monitoring.enabled=false",
            ],
            true,
        ),
    ];
    for (name, values, monitoring) in sets {
        let ns = namespace(&format!("values-{name}")).await;
        let yaml = render(&ns, &values, monitoring);
        let docs = documents(&yaml);
        let output = kubectl(&["apply", "--dry-run=server", "-f", "-"], Some(&yaml));
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        ok(output, &format!("server dry run of {name}"));
        assert!(!stderr.contains("PodSecurity"), "{name}: {stderr}");

        let operator = named(&docs, "Deployment", "pawang-operator");
        let door = named(&docs, "Deployment", "pawang-front-door");
        assert_restricted(operator);
        assert_restricted(door);
        let crd = named(
            &docs,
            "CustomResourceDefinition",
            "whatsappaccounts.pawang.dev",
        );
        assert_eq!(
            crd["metadata"]["annotations"]["helm.sh/resource-policy"],
            "keep"
        );
        // The bot token is mounted into the front door and nowhere else.
        let token_secret = if name == "existing" {
            "my-token"
        } else {
            "pawang-bot-token"
        };
        assert!(
            secret_volumes(door).contains(&token_secret.to_owned()),
            "{name}"
        );
        assert!(
            !secret_volumes(operator).contains(&token_secret.to_owned()),
            "{name}"
        );
        let monitors = of_kind(&docs, "ServiceMonitor").len();
        let policies = of_kind(&docs, "NetworkPolicy").len();
        let pdbs = of_kind(&docs, "PodDisruptionBudget").len();
        match name {
            "defaults" => {
                assert_eq!(door["spec"]["replicas"], 1);
                assert_eq!(door["spec"]["strategy"]["type"], "Recreate");
                assert!(args(door).contains(&"--intake=polling".to_owned()));
                assert_eq!((monitors, policies, pdbs), (0, 2, 1));
                let key = named(&docs, "Secret", "pawang-install-key");
                assert_eq!(
                    key["metadata"]["annotations"]["helm.sh/resource-policy"],
                    "keep"
                );
                assert!(of_kind(&docs, "Ingress").is_empty());
            }
            "webhook" => {
                assert_eq!(door["spec"]["replicas"], 3);
                assert!(
                    args(door)
                        .contains(&"--webhook-url=https://bot.example.org/telegram/webhook".into())
                );
                assert_eq!(pdbs, 2);
                named(&docs, "Secret", "pawang-webhook");
                let ingress = named(&docs, "Ingress", "pawang-front-door");
                let path = &ingress["spec"]["rules"][0]["http"]["paths"][0];
                assert_eq!(path["path"], "/telegram/webhook");
                assert_eq!(path["pathType"], "Exact");
            }
            "existing" => {
                assert!(of_kind(&docs, "Secret").is_empty());
                assert!(secret_volumes(operator).contains(&"my-key".to_owned()));
                assert!(args(operator).contains(&"--storage-class=fast".to_owned()));
                assert!(args(door).contains(&"--admins=11,12".to_owned()));
                assert!(args(door).contains(&"--allowed-users=13".to_owned()));
                assert_eq!((monitors, pdbs), (2, 0));
                named(&docs, "PodMonitor", "pawang-tenants");
                named(&docs, "PrometheusRule", "pawang");
                named(&docs, "ConfigMap", "pawang-dashboard");
                let egress = serde_yaml::to_string(
                    &named(&docs, "NetworkPolicy", "pawang-operator")["spec"]["egress"],
                )
                .unwrap();
                assert!(egress.contains("10.0.0.1/32"), "{egress}");
            }
            _ => assert_eq!((monitors, policies), (0, 0)),
        }
    }
}

fn can_i(ns: &str, who: &str, args: &[&str]) -> String {
    let mut command = vec!["auth", "can-i", "--namespace", ns, "--as", who];
    command.extend(args);
    String::from_utf8_lossy(&kubectl(&command, None).stdout)
        .trim()
        .to_owned()
}

fn exists(ns: &str, object: &str) -> bool {
    kubectl(&["get", "--namespace", ns, object], None)
        .status
        .success()
}

#[tokio::test]
async fn install_upgrade_and_uninstall() {
    Cluster::control_plane().install_monitoring_crds();
    let ns = namespace("install").await;
    let chart_dir = chart();
    let chart = chart_dir.to_str().unwrap();
    let token = format!("telegram.botToken={TOKEN}");
    let install = [
        "install",
        "pawang",
        chart,
        "--namespace",
        &ns,
        "--set",
        &token,
    ];
    ok(helm(&install), "helm install");

    for object in [
        "deployment/pawang-operator",
        "deployment/pawang-front-door",
        "service/pawang-front-door",
        "serviceaccount/pawang-operator",
        "serviceaccount/pawang-front-door",
        "role/pawang-operator",
        "role/pawang-front-door",
        "rolebinding/pawang-operator",
        "rolebinding/pawang-front-door",
        "secret/pawang-install-key",
        "secret/pawang-bot-token",
        "networkpolicy/pawang-operator",
        "networkpolicy/pawang-front-door",
        "poddisruptionbudget/pawang-operator",
        // The cluster serves monitoring.coreos.com/v1, so these came too.
        "servicemonitor/pawang-operator",
        "servicemonitor/pawang-front-door",
        "podmonitor/pawang-tenants",
        "prometheusrule/pawang",
        "configmap/pawang-dashboard",
    ] {
        assert!(exists(&ns, object), "{object} missing");
    }
    let cluster_role = format!("clusterrole/pawang-operator-{ns}");
    assert!(exists(&ns, &cluster_role));
    // The controllers made the pods (there is no kubelet to run them), and
    // Pod Security "restricted", enforced here, admitted every one.
    wait_until("the chart's pods admitted", || async {
        let names = ok(
            kubectl(
                &[
                    "get",
                    "pods",
                    "-n",
                    &ns,
                    "-l",
                    "app.kubernetes.io/part-of=pawang",
                    "-o",
                    "name",
                ],
                None,
            ),
            "list pods",
        );
        (names.lines().count() == 3).then_some(())
    })
    .await;

    // Each identity may do what it needs and nothing more.
    let operator = format!("system:serviceaccount:{ns}:pawang-operator");
    let door = format!("system:serviceaccount:{ns}:pawang-front-door");
    let accounts = "whatsappaccounts.pawang.dev";
    let table: &[(&str, &[&str], &str)] = &[
        (&operator, &["watch", accounts], "yes"),
        (
            &operator,
            &["patch", accounts, "--subresource=status"],
            "yes",
        ),
        (&operator, &["create", accounts], "no"),
        (&operator, &["delete", accounts], "no"),
        (&operator, &["create", "statefulsets.apps"], "yes"),
        (&operator, &["patch", "persistentvolumeclaims"], "yes"),
        (&operator, &["delete", "persistentvolumeclaims"], "no"),
        (&operator, &["create", "secrets"], "yes"),
        // Seeds of imported accounts, once unpacked.
        (&operator, &["delete", "secrets"], "yes"),
        (&operator, &["delete", "statefulsets.apps"], "no"),
        (
            &operator,
            &["create", "roles.rbac.authorization.k8s.io"],
            "yes",
        ),
        (&operator, &["create", "pods"], "no"),
        // Tenants' pods: read for their troubles, a stuck one deleted.
        (&operator, &["list", "pods"], "yes"),
        (&operator, &["delete", "pods"], "yes"),
        (&operator, &["patch", "pods"], "no"),
        (&operator, &["update", "leases.coordination.k8s.io"], "yes"),
        (&operator, &["list", accounts, "--all-namespaces"], "no"),
        (
            &operator,
            &[
                "get",
                "customresourcedefinitions.apiextensions.k8s.io/whatsappaccounts.pawang.dev",
            ],
            "yes",
        ),
        (
            &operator,
            &[
                "get",
                "customresourcedefinitions.apiextensions.k8s.io/servicemonitors.monitoring.coreos.com",
            ],
            "no",
        ),
        (&door, &["create", accounts], "yes"),
        (&door, &["patch", accounts], "yes"),
        (&door, &["delete", accounts], "yes"),
        (&door, &["patch", accounts, "--subresource=status"], "no"),
        (&door, &["get", "secrets"], "no"),
        (&door, &["list", "pods"], "no"),
        (&door, &["create", "statefulsets.apps"], "no"),
        (&door, &["list", accounts, "--all-namespaces"], "no"),
    ];
    for (who, args, want) in table {
        assert_eq!(&can_i(&ns, who, args), want, "{who} can-i {args:?}");
    }

    // The operator converges an account as the chart's ServiceAccount.
    let token = ok(
        kubectl(
            &[
                "create",
                "token",
                "pawang-operator",
                "--namespace",
                &ns,
                "--duration",
                "1h",
            ],
            None,
        ),
        "create token",
    );
    let kubeconfig = tests::cluster::kubeconfig_with_token(
        Cluster::control_plane().kubeconfig(),
        token.trim(),
        std::env::temp_dir().join(format!("pawang-chart-operator-{ns}.kubeconfig")),
    );
    let mut running = Operator::start_as(&kubeconfig, &ns, &[]);
    running.ready().await;
    let account =
        std::fs::read_to_string(root().join("deploy/examples/whatsappaccount.yaml")).unwrap();
    ok(
        kubectl(&["apply", "--namespace", &ns, "-f", "-"], Some(&account)),
        "create an account",
    );
    for child in [
        "statefulset/wa-447700900123",
        "persistentvolumeclaim/wa-447700900123",
        "secret/wa-447700900123",
        "role/wa-447700900123",
        "rolebinding/wa-447700900123",
        "networkpolicy/wa-447700900123",
    ] {
        wait_until(child, || async { exists(&ns, child).then_some(()) }).await;
    }
    let log = running.log();
    assert!(
        !log.contains("forbidden"),
        "the operator was refused:\n{log}"
    );
    running.kill();

    // An upgrade with a changed CRD updates it and keeps the install key.
    let key = |ns: &str| {
        ok(
            kubectl(
                &[
                    "get",
                    "secret",
                    "pawang-install-key",
                    "-n",
                    ns,
                    "-o",
                    "jsonpath={.data.key}",
                ],
                None,
            ),
            "read the install key",
        )
    };
    let first_key = key(&ns);
    let changed = tempfile::tempdir().unwrap();
    copy_dir(&chart_dir, changed.path());
    let crd_file = changed
        .path()
        .join("files/whatsappaccounts.pawang.dev.yaml");
    let crd = std::fs::read_to_string(&crd_file).unwrap();
    let marker = "Telegram user id of the owner";
    assert!(crd.contains(marker));
    std::fs::write(
        &crd_file,
        crd.replacen(marker, "Telegram user id of the account's owner", 1),
    )
    .unwrap();
    let changed_chart = changed.path().to_str().unwrap();
    ok(
        helm(&[
            "upgrade",
            "pawang",
            changed_chart,
            "--namespace",
            &ns,
            "--set",
            &format!("telegram.botToken={TOKEN}"),
        ]),
        "helm upgrade",
    );
    let columns = ok(
        kubectl(
            &[
                "get",
                "crd",
                "whatsappaccounts.pawang.dev",
                "-o",
                "jsonpath={.spec.versions[0].additionalPrinterColumns[*].description}",
            ],
            None,
        ),
        "read the CRD",
    );
    assert!(
        columns.contains("Telegram user id of the account's owner"),
        "{columns}"
    );
    assert_eq!(key(&ns), first_key, "the install key changed on upgrade");

    // Uninstall keeps the CRD, the accounts, their volumes and the key.
    ok(
        helm(&["uninstall", "pawang", "--namespace", &ns]),
        "helm uninstall",
    );
    for kept in [
        "crd/whatsappaccounts.pawang.dev",
        "whatsappaccount/wa-447700900123",
        "persistentvolumeclaim/wa-447700900123",
        "secret/pawang-install-key",
    ] {
        assert!(exists(&ns, kept), "{kept} was removed");
    }
    for gone in [
        "deployment/pawang-operator",
        "role/pawang-operator",
        &cluster_role,
    ] {
        wait_until(gone, || async { (!exists(&ns, gone)).then_some(()) }).await;
    }
    // Installing again takes up what was kept.
    ok(helm(&install), "helm install again");
    assert_eq!(key(&ns), first_key, "a new install key after reinstalling");
    ok(
        helm(&["uninstall", "pawang", "--namespace", &ns]),
        "helm uninstall",
    );
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[tokio::test]
async fn the_plain_manifests_are_what_the_chart_renders() {
    let helm = Cluster::control_plane().bin_dir().join("helm");
    let mut command = Command::new(root().join("charts/render-manifests.sh"));
    command.env("HELM", helm);
    let rendered = ok(run(command, None), "render-manifests.sh");
    let committed = std::fs::read_to_string(root().join("deploy/manifests/pawang.yaml")).unwrap();
    assert!(
        rendered == committed,
        "deploy/manifests/pawang.yaml is out of date with the chart; run `make manifests`"
    );
}
