//! What the chart's alerts and Grafana dashboard watch is real: every
//! metric they name is exported by the running operator, front door or
//! tenant, and the label values the alerts select exist from the start.

use std::collections::BTreeSet;

use kube::ResourceExt;
use tests::wait::wait_until;

use tests::chat::text;

use crate::operator::{OWNER, create};
use tests::stack::stack;

/// The metric names in a scrape, histograms with their series' suffixes.
fn exported(scrape: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in scrape.lines() {
        let mut words = line.split_whitespace();
        if let (Some("#"), Some("TYPE"), Some(name), Some(kind)) =
            (words.next(), words.next(), words.next(), words.next())
        {
            names.insert(name.to_owned());
            if kind == "histogram" {
                for suffix in ["_bucket", "_sum", "_count"] {
                    names.insert(format!("{name}{suffix}"));
                }
            }
        }
    }
    names
}

/// Every `pawang_…` name in a text.
fn named_in(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("pawang_") {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        names.insert(tail[..end].to_owned());
        rest = &tail[end..];
    }
    names
}

async fn scrape(url: String) -> Option<String> {
    let response = reqwest::get(url).await.ok()?;
    if !response.status().is_success() {
        return None;
    }
    response.text().await.ok()
}

#[tokio::test]
async fn every_metric_the_alerts_and_the_dashboard_name_is_exported() {
    let stack = stack("monitoring", &[]).await;
    let account = create(&stack.env, 901).await.name_any();
    let tenant = wait_until("the tenant's metrics", || {
        scrape(format!("{}/metrics", stack.tenants.url(&account)))
    })
    .await;
    let operator = wait_until("the operator's metrics", || {
        scrape(format!("http://{}/metrics", stack.operator.address))
    })
    .await;
    // A newcomer's /start (answered through the gateway) and a message
    // routed to the owner's tenant fill in the front door's histograms.
    stack.telegram.push_update(text(9_001, "/start"));
    stack.telegram.push_update(text(OWNER, "/menu"));
    let door = wait_until("the front door's metrics", || async {
        let scrape = scrape(format!("http://{}/metrics", stack.door.address)).await?;
        let filled = [
            "pawang_front_door_route_seconds_count",
            "pawang_gateway_call_seconds_count",
        ]
        .iter()
        .all(|m| scrape.contains(m));
        filled.then_some(scrape)
    })
    .await;
    let all = [&operator, &door, &tenant].map(|s| exported(s));
    let available: BTreeSet<&String> = all.iter().flatten().collect();

    let chart = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../charts/pawang/files");
    for file in ["alerts.yaml", "dashboard.json"] {
        let text = std::fs::read_to_string(chart.join(file)).unwrap();
        let used = named_in(&text);
        assert!(used.len() >= 5, "{file}: {used:?}");
        for metric in used {
            assert!(
                available.contains(&metric),
                "{file} names {metric}, which no binary exports"
            );
        }
    }
    // The series the alerts select exist before anything happened.
    for (scrape, series) in [
        (&operator, "pawang_operator_accounts{phase=\"LoggedOut\"}"),
        (&operator, "pawang_operator_accounts{phase=\"Banned\"}"),
        (
            &operator,
            "pawang_operator_reconciles_total{result=\"error\"}",
        ),
        (
            &door,
            "pawang_front_door_telegram_errors_total{kind=\"rate_limited\"}",
        ),
        (&tenant, "pawang_tenant_pairings_total{outcome=\"failed\"}"),
        (&tenant, "pawang_tenant_pairings_total{outcome=\"paired\"}"),
        (&tenant, "pawang_tenant_start_time_seconds"),
        (&tenant, "pawang_tenant_job_items_total{result=\"failed\"}"),
    ] {
        assert!(
            scrape.lines().any(|l| l.starts_with(series)),
            "{series} is not exported"
        );
    }
}
