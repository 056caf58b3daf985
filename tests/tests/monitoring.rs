//! The chart's alerts, checked by Prometheus's own tool: the rules the
//! chart renders into its PrometheusRule pass `promtool check rules`, and
//! `promtool test rules` runs tests/monitoring/alerts.test.yaml against
//! them, where every alert fires on series that should fire it and stays
//! silent on those that should not. An alert without a test there fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use serde_yaml::Value;
use tests::cli::{ok, run};

fn root() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
        .join("..")
}

/// The rule groups of the chart's PrometheusRule, as a Prometheus rules
/// file.
fn rendered_rules() -> Value {
    let mut helm = Command::new(tests::cluster::controlplane_bin().join("helm"));
    helm.args(["template", "pawang"])
        .arg(root().join("charts/pawang"))
        .args([
            "--namespace",
            "pawang",
            "--kube-version",
            "1.37.2",
            "--api-versions",
            "monitoring.coreos.com/v1",
        ])
        .args([
            "--set",
            &format!("telegram.botToken={}", tests::front_door::BOT_TOKEN),
        ])
        .args(["--show-only", "templates/monitoring.yaml"]);
    let yaml = ok(run(helm, None), "helm template");
    let rule = serde_yaml::Deserializer::from_str(&yaml)
        .map(|d| <Value as serde::Deserialize>::deserialize(d).unwrap())
        .find(|d| d["kind"] == "PrometheusRule")
        .expect("the chart renders a PrometheusRule");
    let mut file = serde_yaml::Mapping::new();
    file.insert("groups".into(), rule["spec"]["groups"].clone());
    Value::Mapping(file)
}

fn alerts_in(rules: &Value) -> BTreeSet<String> {
    rules["groups"]
        .as_sequence()
        .unwrap()
        .iter()
        .flat_map(|g| g["rules"].as_sequence().unwrap())
        .filter_map(|r| r["alert"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn every_alert_is_valid_and_fires_when_it_should_and_only_then() {
    let rules = rendered_rules();
    let alerts = alerts_in(&rules);
    assert!(!alerts.is_empty());

    let dir = tempfile::tempdir().unwrap();
    let rules_file = dir.path().join("rules.yaml");
    std::fs::write(&rules_file, serde_yaml::to_string(&rules).unwrap()).unwrap();
    let tests_file = dir.path().join("alerts.test.yaml");
    let unit_tests = std::fs::read_to_string(root().join("tests/monitoring/alerts.test.yaml"))
        .expect("the alerts' unit tests");
    std::fs::write(&tests_file, &unit_tests).unwrap();

    // Every alert has a test that expects it to fire.
    let tests: Value = serde_yaml::from_str(&unit_tests).unwrap();
    let fired: BTreeSet<String> = tests["tests"]
        .as_sequence()
        .unwrap()
        .iter()
        .flat_map(|t| t["alert_rule_test"].as_sequence().unwrap())
        .filter(|c| c["exp_alerts"].as_sequence().is_some_and(|a| !a.is_empty()))
        .filter_map(|c| c["alertname"].as_str().map(str::to_owned))
        .collect();
    let untested: Vec<_> = alerts.difference(&fired).collect();
    assert!(
        untested.is_empty(),
        "alerts never seen firing in a test: {untested:?}"
    );

    let promtool = tests::cluster::monitoring_bin().join("promtool");
    let mut check = Command::new(&promtool);
    check.args(["check", "rules"]).arg(&rules_file);
    let checked = ok(run(check, None), "promtool check rules");
    assert!(
        checked.contains(&format!("SUCCESS: {} rules found", alerts.len())),
        "{checked}"
    );
    let mut test = Command::new(&promtool);
    test.args(["test", "rules"]).arg(&tests_file);
    let tested = ok(run(test, None), "promtool test rules");
    assert!(tested.contains("SUCCESS"), "{tested}");
}
