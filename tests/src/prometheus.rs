//! A real Prometheus server (built by `controlplane/build-monitoring.sh`)
//! scraping what an install's ServiceMonitors and PodMonitors select, the
//! way the Prometheus Operator turns them into scrape configurations:
//! Kubernetes service discovery against the API server (EndpointSlices of
//! the selected Services, or the selected pods), kept by the monitors'
//! labels and port names. The install's PrometheusRule groups are loaded
//! as its rules. Scrape intervals are shortened to a second, so that a
//! short scenario fills rate windows.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use kube::api::{ApiResource, DynamicObject, GroupVersionKind, ListParams};
use kube::{Api, Client, ResourceExt};
use serde_json::{Value, json};

use crate::process::free_address;
use crate::wait::wait_until;

/// A running Prometheus server; killed when dropped.
#[derive(Debug)]
pub struct Prometheus {
    child: Child,
    address: SocketAddr,
    dir: tempfile::TempDir,
    http: reqwest::Client,
}

fn monitoring_api(client: &Client, namespace: &str, kind: &str) -> Api<DynamicObject> {
    let gvk = GroupVersionKind::gvk("monitoring.coreos.com", "v1", kind);
    Api::namespaced_with(client.clone(), namespace, &ApiResource::from_gvk(&gvk))
}

/// A Prometheus meta label for a Kubernetes label `name` of `object`
/// (`service` or `pod`).
fn meta_label(object: &str, name: &str) -> String {
    let name: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("__meta_kubernetes_{object}_label_{name}")
}

/// Keeps targets whose `object` carries every label of `selector`.
fn keep_selected(object: &str, selector: &Value) -> Vec<Value> {
    selector["matchLabels"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, value)| {
            json!({
                "action": "keep",
                "source_labels": [meta_label(object, name)],
                "regex": value,
            })
        })
        .collect()
}

/// The target labels the Prometheus Operator sets.
fn target_labels() -> Vec<Value> {
    [
        ("__meta_kubernetes_namespace", "namespace"),
        ("__meta_kubernetes_pod_name", "pod"),
        ("__meta_kubernetes_pod_container_name", "container"),
    ]
    .into_iter()
    .map(|(from, to)| json!({"source_labels": [from], "target_label": to}))
    .collect()
}

/// One scrape job per endpoint of every ServiceMonitor and PodMonitor in
/// `namespace`.
async fn scrape_configs(client: &Client, namespace: &str, kubeconfig: &Path) -> Vec<Value> {
    let discovery = |role: &str| {
        json!([{
            "role": role,
            "kubeconfig_file": kubeconfig,
            "namespaces": {"names": [namespace]},
        }])
    };
    let mut jobs = Vec::new();
    let services = monitoring_api(client, namespace, "ServiceMonitor")
        .list(&ListParams::default())
        .await
        .expect("list ServiceMonitors");
    for monitor in services {
        let name = monitor.name_any();
        for (i, endpoint) in monitor.data["spec"]["endpoints"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let mut relabel = keep_selected("service", &monitor.data["spec"]["selector"]);
            relabel.push(json!({
                "action": "keep",
                "source_labels": ["__meta_kubernetes_endpointslice_port_name"],
                "regex": endpoint["port"],
            }));
            relabel.extend(target_labels());
            relabel.push(json!({
                "source_labels": ["__meta_kubernetes_service_name"],
                "target_label": "job",
            }));
            jobs.push(json!({
                "job_name": format!("serviceMonitor/{namespace}/{name}/{i}"),
                "kubernetes_sd_configs": discovery("endpointslice"),
                "metrics_path": endpoint["path"].as_str().unwrap_or("/metrics"),
                "relabel_configs": relabel,
            }));
        }
    }
    let pods = monitoring_api(client, namespace, "PodMonitor")
        .list(&ListParams::default())
        .await
        .expect("list PodMonitors");
    for monitor in pods {
        let name = monitor.name_any();
        for (i, endpoint) in monitor.data["spec"]["podMetricsEndpoints"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let mut relabel = vec![json!({
                "action": "drop",
                "source_labels": ["__meta_kubernetes_pod_phase"],
                "regex": "(Failed|Succeeded)",
            })];
            relabel.extend(keep_selected("pod", &monitor.data["spec"]["selector"]));
            relabel.push(json!({
                "action": "keep",
                "source_labels": ["__meta_kubernetes_pod_container_port_name"],
                "regex": endpoint["port"],
            }));
            relabel.extend(target_labels());
            relabel.push(json!({
                "target_label": "job",
                "replacement": format!("{namespace}/{name}"),
            }));
            jobs.push(json!({
                "job_name": format!("podMonitor/{namespace}/{name}/{i}"),
                "kubernetes_sd_configs": discovery("pod"),
                "metrics_path": endpoint["path"].as_str().unwrap_or("/metrics"),
                "relabel_configs": relabel,
            }));
        }
    }
    jobs
}

/// The rule groups of every PrometheusRule in `namespace`.
async fn rule_groups(client: &Client, namespace: &str) -> Vec<Value> {
    monitoring_api(client, namespace, "PrometheusRule")
        .list(&ListParams::default())
        .await
        .expect("list PrometheusRules")
        .into_iter()
        .flat_map(|rule| {
            rule.data["spec"]["groups"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .collect()
}

impl Prometheus {
    /// Starts Prometheus on what the monitors in `namespace` select,
    /// discovering through the API server with `kubeconfig`.
    pub async fn start(client: &Client, namespace: &str, kubeconfig: &Path) -> Self {
        let dir = tempfile::tempdir().expect("a folder for Prometheus");
        let jobs = scrape_configs(client, namespace, kubeconfig).await;
        assert!(!jobs.is_empty(), "no monitors in {namespace}");
        let groups = rule_groups(client, namespace).await;
        let rules = dir.path().join("rules.yaml");
        std::fs::write(
            &rules,
            serde_yaml::to_string(&json!({"groups": groups})).expect("rules"),
        )
        .expect("write the rules");
        let config = json!({
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [rules],
            "scrape_configs": jobs,
        });
        let config_file = dir.path().join("prometheus.yaml");
        std::fs::write(
            &config_file,
            serde_yaml::to_string(&config).expect("config"),
        )
        .expect("write the configuration");
        let address = free_address();
        let log = std::fs::File::create(dir.path().join("prometheus.log")).expect("a log");
        let child = Command::new(crate::cluster::monitoring_bin().join("prometheus"))
            .arg(format!("--config.file={}", config_file.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address={address}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("a log"))
            .stderr(log)
            .spawn()
            .expect("start Prometheus");
        let prometheus = Self {
            child,
            address,
            dir,
            http: reqwest::Client::new(),
        };
        let http = prometheus.http.clone();
        wait_until("Prometheus ready", || async {
            let response = http
                .get(format!("http://{address}/-/ready"))
                .send()
                .await
                .ok()?;
            response.status().is_success().then_some(())
        })
        .await;
        prometheus
    }

    /// Its own log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("prometheus.log")).unwrap_or_default()
    }

    async fn api(&self, path: &str, query: &[(&str, &str)]) -> Option<Value> {
        let response = self
            .http
            .get(format!("http://{}/api/v1/{path}", self.address))
            .query(query)
            .send()
            .await
            .ok()?;
        let body: Value = response.json().await.ok()?;
        (body["status"] == "success").then(|| body["data"].clone())
    }

    /// The active targets, as `(job, health)` pairs.
    pub async fn targets(&self) -> Vec<(String, String)> {
        let data = self.api("targets", &[("state", "active")]).await;
        data.iter()
            .flat_map(|d| d["activeTargets"].as_array().cloned().unwrap_or_default())
            .map(|t| {
                (
                    t["labels"]["job"].as_str().unwrap_or_default().to_owned(),
                    t["health"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    /// The series an instant query returns now (`None` when it fails).
    pub async fn query(&self, promql: &str) -> Option<Vec<Value>> {
        let data = self.api("query", &[("query", promql)]).await?;
        data["result"].as_array().cloned()
    }

    /// The loaded alerting rules, as `(name, health)` pairs.
    pub async fn alerting_rules(&self) -> Vec<(String, String)> {
        let data = self.api("rules", &[("type", "alert")]).await;
        data.iter()
            .flat_map(|d| d["groups"].as_array().cloned().unwrap_or_default())
            .flat_map(|g| g["rules"].as_array().cloned().unwrap_or_default())
            .map(|r| {
                (
                    r["name"].as_str().unwrap_or_default().to_owned(),
                    r["health"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    /// Where its data and configuration are.
    pub fn dir(&self) -> PathBuf {
        self.dir.path().to_owned()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
