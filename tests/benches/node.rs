//! The node at rest under ten tenants: the resident memory of each of the
//! node's parts (containerd, kubelet, kube-proxy, the scheduler, CoreDNS,
//! the volume provisioner), of the control plane's, and of each tenant
//! pod's processes (its containerd shim, its pause and its tenant), once
//! ten accounts are paired through the front door and left alone. Memory
//! is sampled for a few seconds and the largest sample of each is the
//! figure. Runs in a sandbox (`make bench-node`); writes JSON to
//! `PAWANG_BENCH_OUT` when set.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::json;
use tests::stack::{link, stack};

/// Tenants on the node.
const TENANTS: i64 = 10;
/// How long the node is watched at rest.
const IDLE: Duration = Duration::from_secs(5);

/// What a process is, by the name of its executable. A tenant runs the
/// image's binary; the front door, the test's own process, does not.
fn part(exe: &str) -> Option<&'static str> {
    if exe == "/usr/local/bin/tenant-bot" {
        return Some("tenant");
    }
    let name = exe.rsplit('/').next()?;
    Some(match name {
        "containerd" => "containerd",
        "kubelet" => "kubelet",
        "kube-proxy" => "kube_proxy",
        "kube-scheduler" => "kube_scheduler",
        "kube-apiserver" => "kube_apiserver",
        "kube-controller-manager" => "kube_controller_manager",
        "etcd" => "etcd",
        "local-path-provisioner" => "local_path_provisioner",
        "coredns" => "coredns",
        "containerd-shim-runc-v2" => "shim",
        "pause" => "pause",
        _ => return None,
    })
}

/// The resident memory of every process, by part, in KiB, summed per part.
fn sample() -> BTreeMap<&'static str, Vec<u64>> {
    let mut parts: BTreeMap<&'static str, Vec<u64>> = BTreeMap::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(exe) = std::fs::read_link(format!("/proc/{pid}/exe")) else {
            continue;
        };
        let Some(part) = part(&exe.to_string_lossy()) else {
            continue;
        };
        let Some(rss) = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("VmRSS:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            })
        else {
            continue;
        };
        parts.entry(part).or_default().push(rss);
    }
    parts
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

#[tokio::main]
async fn main() {
    let stack = stack("bench-node", &[]).await;
    for n in 0..TENANTS {
        let owner = 9_100 + n;
        let account = format!("wa-62812000091{n:02}");
        link(&stack, owner, &format!("0812-0000-91{n:02}"), &account).await;
    }

    // At rest: the largest sample of each part's total over the window.
    let started = Instant::now();
    let mut peak: BTreeMap<&'static str, (u64, usize)> = BTreeMap::new();
    let mut ticks = tokio::time::interval(Duration::from_millis(250));
    while started.elapsed() < IDLE {
        ticks.tick().await;
        for (part, values) in sample() {
            let total: u64 = values.iter().sum();
            let entry = peak.entry(part).or_default();
            *entry = (entry.0.max(total), values.len());
        }
    }
    let total = |part: &str| peak.get(part).map_or(0, |p| p.0);
    let count = |part: &str| peak.get(part).map_or(0, |p| p.1);
    assert_eq!(count("tenant"), TENANTS as usize, "{peak:?}");

    let node_kib = total("containerd") + total("kubelet") + total("kube_proxy");
    // CoreDNS's pod has a shim and a pause too: an average of all pods.
    let per_pod = |part: &str| total(part) / count(part).max(1) as u64;
    let pods = count("pause");
    println!(
        "node at rest with {TENANTS} tenant pods: {:.1} MiB for containerd, kubelet and kube-proxy",
        mib(node_kib)
    );
    for part in [
        "containerd",
        "kubelet",
        "kube_proxy",
        "kube_scheduler",
        "coredns",
        "local_path_provisioner",
        "kube_apiserver",
        "etcd",
        "kube_controller_manager",
    ] {
        println!("  {part}: {:.1} MiB", mib(total(part)));
    }
    println!(
        "  per pod ({pods} pods, CoreDNS's included): shim {:.1} MiB, pause {} KiB; \
         per tenant: {:.1} MiB (debug build)",
        mib(per_pod("shim")),
        per_pod("pause"),
        mib(per_pod("tenant"))
    );

    let mut results = serde_json::Map::new();
    results.insert("tenants".into(), json!(TENANTS));
    results.insert("node_rss_kib".into(), json!(node_kib));
    for (part, (kib, _)) in &peak {
        results.insert(format!("{part}_rss_kib"), json!(kib));
    }
    for part in ["shim", "pause", "tenant"] {
        results.insert(format!("{part}_rss_kib_per_pod"), json!(per_pod(part)));
    }
    if let Ok(path) = std::env::var("PAWANG_BENCH_OUT") {
        std::fs::write(&path, serde_json::to_string_pretty(&results).unwrap()).unwrap();
    }
    drop(stack);
}
