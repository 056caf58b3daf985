//! Tenant footprint: the release binaries' sizes, and the resident memory
//! of an idle release tenant with the fake WhatsApp backend: started,
//! paired, its menu shown once, then left alone. Memory is sampled for a
//! few seconds after that and the largest sample is the figure. Writes
//! JSON to `PAWANG_BENCH_OUT` when set.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use tests::fake_telegram::FakeTelegram;
use tests::process::{free_address, workspace_binary};

const SECRET: &str = "9d0b5e3c1a7f2468ace013579bdf2468ace013579bdf2468ace013579bdf2468";
const OWNER: i64 = 555_000_222;
/// How long the idle tenant is watched.
const IDLE: Duration = Duration::from_secs(5);

fn rss_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

#[tokio::main]
async fn main() {
    // `make bench-footprint` keeps the shipped tenant-bot (no fake) as
    // tenant-bot-shipped, then builds the one this bench runs, with it.
    let size = |name: &str| std::fs::metadata(workspace_binary(name)).unwrap().len();
    let sizes: Vec<(&str, u64)> = [
        ("tenant-bot", "tenant-bot-shipped"),
        ("operator", "operator"),
    ]
    .into_iter()
    .map(|(name, file)| {
        let bytes = size(file);
        println!("{name} release binary: {:.1} MB", bytes as f64 / 1e6);
        (name, bytes)
    })
    .collect();
    let with_fake = size("tenant-bot");
    println!(
        "the fake WhatsApp backend adds {:.1} kB to tenant-bot (test builds only)",
        (with_fake as f64 - sizes[0].1 as f64) / 1e3
    );

    let credential = format!("wa-447700900124:{SECRET}");
    let telegram = FakeTelegram::start(&[&credential]).await;
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("tenant-secret");
    std::fs::write(&secret_file, SECRET).unwrap();
    let address = free_address();
    let mut child = Command::new(workspace_binary("tenant-bot"))
        .arg("tenant")
        .args(["--account", "wa-447700900124", "--namespace", "bench"])
        .args(["--phone", "447700900124", "--owner", &OWNER.to_string()])
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .arg("--secret-file")
        .arg(&secret_file)
        .args(["--telegram-api-url", &telegram.url()])
        .args(["--listen", &address.to_string()])
        .args(["--whatsapp-backend", "fake", "--report-status", "false"])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    tests::wait::ready("the tenant", address).await;
    let http = reqwest::Client::new();
    let started_kib = rss_kib(pid, "VmRSS:");

    // Paired, as most tenants are, and its menu shown once.
    telegram
        .wait_for("sendMessage", |c| c.params.to_string().contains("FAKE-"))
        .await;
    let post = |path: &'static str, body: String| {
        http.post(format!("http://{address}{path}"))
            .header(crds::secret::HEADER, SECRET)
            .body(body)
            .send()
    };
    assert!(
        post("/fake/enter-code", String::new())
            .await
            .unwrap()
            .status()
            .is_success()
    );
    let menu = json!({
        "update_id": 1,
        "message": {
            "message_id": 1, "date": 0,
            "chat": {"id": OWNER, "type": "private"},
            "from": {"id": OWNER, "is_bot": false, "first_name": "Budi"},
            "text": "/menu",
        }
    });
    let before = telegram.calls().len();
    assert!(
        post("/telegram/update", menu.to_string())
            .await
            .unwrap()
            .status()
            .is_success()
    );
    telegram
        .wait_for_call("the menu", before, |c| c.method == "sendMessage")
        .await;

    let started = Instant::now();
    let mut idle_kib = 0;
    let mut samples = 0;
    let mut ticks = tokio::time::interval(Duration::from_millis(100));
    while started.elapsed() < IDLE {
        ticks.tick().await;
        idle_kib = idle_kib.max(rss_kib(pid, "VmRSS:"));
        samples += 1;
    }
    let peak_kib = rss_kib(pid, "VmHWM:");
    let _ = child.kill();
    let _ = child.wait();
    println!(
        "idle tenant (release, fake backend, paired): {:.1} MiB resident at most over {} samples in {} s; \
         {:.1} MiB when ready; peak {:.1} MiB",
        mib(idle_kib),
        samples,
        IDLE.as_secs(),
        mib(started_kib),
        mib(peak_kib)
    );

    let results = json!({
        "tenant_bot_binary_bytes": sizes[0].1,
        "operator_binary_bytes": sizes[1].1,
        "tenant_bot_with_fake_binary_bytes": with_fake,
        "tenant_idle_rss_kib": idle_kib,
        "tenant_ready_rss_kib": started_kib,
        "tenant_peak_rss_kib": peak_kib,
    });
    if let Ok(path) = std::env::var("PAWANG_BENCH_OUT") {
        std::fs::write(&path, serde_json::to_string_pretty(&results).unwrap()).unwrap();
        println!("written to {path}");
    }
}
