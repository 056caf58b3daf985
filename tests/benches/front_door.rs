//! `make bench-front-door`: 1,000 users, each with an account, send
//! 50,000 updates through the front door's webhook to stub tenants as fast
//! as they can: updates per second, and every update arrived once and in
//! order per user. Then each user sends 5 more, each only once the one
//! before has arrived (as people do), 4 users at a time, through the front
//! door and straight to the tenant: the median and p99 latency the front door adds, and the
//! ratio. Last, the gateway's added latency per call against calling the
//! fake Telegram server directly. Writes the same figures as JSON.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use crds::secret::InstallKey;
use crds::{Language, WhatsAppAccount};
use futures::StreamExt;
use kube::api::{Api, PostParams};
use serde_json::{Value, json};
use tests::Cluster;
use tests::fake_telegram::FakeTelegram;
use tests::front_door::{self, BOT_TOKEN, FrontDoor};
use tests::operator::INSTALL_KEY;
use tests::process::free_address;

const USERS: i64 = 1_000;
const PER_USER: i64 = 50;
/// Updates per user in the latency phase.
const PACED: i64 = 5;
/// Users sending at once in the latency phase: few, so latency is the cost
/// of one update, not a queue behind the others (two cores serve the
/// senders, the front door and the stub tenants alike).
const PACED_SENDERS: usize = 4;
const SENDERS: usize = 64;
const GATEWAY_CALLS: usize = 2_000;
const WEBHOOK_SECRET: &str = "bench-webhook-secret-0123456789";

/// What the stub tenants received: per user, (sequence, arrival).
#[derive(Default)]
struct Received {
    by_user: Mutex<HashMap<i64, Vec<(i64, Instant)>>>,
    arrived: tokio::sync::Notify,
}

type Arrivals = Arc<Received>;

impl Received {
    fn clear(&self) {
        self.by_user.lock().unwrap().clear();
    }

    fn count(&self) -> usize {
        self.by_user.lock().unwrap().values().map(Vec::len).sum()
    }

    fn has(&self, user: i64, sequence: i64) -> Option<Instant> {
        let by_user = self.by_user.lock().unwrap();
        by_user
            .get(&user)?
            .iter()
            .find(|(s, _)| *s == sequence)
            .map(|(_, at)| *at)
    }

    /// Waits until `user`'s update `sequence` arrived.
    async fn arrival(&self, user: i64, sequence: i64) -> Instant {
        loop {
            let notified = self.arrived.notified();
            if let Some(at) = self.has(user, sequence) {
                return at;
            }
            notified.await;
        }
    }
}

async fn stub_tenants() -> (String, Arrivals) {
    let arrivals: Arrivals = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let router = Router::new()
        .route(
            "/{account}/telegram/update",
            post(|State(arrivals): State<Arrivals>, body: Bytes| async move {
                let at = Instant::now();
                let update: Value = serde_json::from_slice(&body).unwrap_or_default();
                let user = update["message"]["from"]["id"].as_i64().unwrap_or_default();
                let sequence = update["message"]["text"]
                    .as_str()
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(-1);
                arrivals
                    .by_user
                    .lock()
                    .unwrap()
                    .entry(user)
                    .or_default()
                    .push((sequence, at));
                arrivals.arrived.notify_waiters();
                "ok"
            }),
        )
        .with_state(arrivals.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (format!("http://{address}/{{name}}"), arrivals)
}

fn update(id: i64, user: i64, sequence: i64) -> Value {
    json!({"update_id": id, "message": {
        "message_id": id, "date": 1_700_000_000,
        "chat": {"id": user, "type": "private", "first_name": "U"},
        "from": {"id": user, "is_bot": false, "first_name": "U"},
        "text": sequence.to_string(),
    }})
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn phone(user: i64) -> String {
    format!("62813{user:08}")
}

/// Posts `user`'s update `sequence` to `url` (its `{name}` filled with
/// the user's account); returns when it was sent.
async fn send_update(
    http: &reqwest::Client,
    url: &str,
    secret: Option<&str>,
    user: i64,
    sequence: i64,
) -> Instant {
    let id = user * (PER_USER + PACED) + sequence;
    let target = url.replace("{name}", &format!("wa-{}", phone(user)));
    let mut request = http.post(&target).json(&update(id, user, sequence));
    if let Some(secret) = secret {
        request = request.header(crds::secret::HEADER, secret);
    }
    let at = Instant::now();
    let response = request.send().await.unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    at
}

/// Sends every user's updates, each user's one at a time, `SENDERS` users
/// at once; returns the send instants by (user, sequence).
async fn drive(url: String, secret: Option<&'static str>) -> HashMap<(i64, i64), Instant> {
    let http = reqwest::Client::new();
    let sent = Arc::new(Mutex::new(HashMap::new()));
    futures::stream::iter(1..=USERS)
        .for_each_concurrent(SENDERS, |user| {
            let (http, url, sent) = (http.clone(), url.clone(), sent.clone());
            async move {
                for sequence in 0..PER_USER {
                    let at = send_update(&http, &url, secret, user, sequence).await;
                    sent.lock().unwrap().insert((user, sequence), at);
                }
            }
        })
        .await;
    Arc::try_unwrap(sent).unwrap().into_inner().unwrap()
}

/// Each user sends `PACED` updates, each once the one before arrived;
/// returns the latencies, sorted.
async fn paced(url: String, secret: Option<&'static str>, arrivals: &Arrivals) -> Vec<Duration> {
    let http = reqwest::Client::new();
    let latencies = Arc::new(Mutex::new(Vec::new()));
    futures::stream::iter(1..=USERS)
        .for_each_concurrent(PACED_SENDERS, |user| {
            let (http, url, latencies) = (http.clone(), url.clone(), latencies.clone());
            async move {
                for sequence in PER_USER..PER_USER + PACED {
                    let at = send_update(&http, &url, secret, user, sequence).await;
                    let arrived = arrivals.arrival(user, sequence).await;
                    latencies.lock().unwrap().push(arrived.duration_since(at));
                }
            }
        })
        .await;
    let mut latencies = Arc::try_unwrap(latencies).unwrap().into_inner().unwrap();
    latencies.sort();
    latencies
}

/// Waits until every update arrived, checks each user's order, and
/// returns the time from the first send to the last arrival.
async fn collect(arrivals: &Arrivals, sent: &HashMap<(i64, i64), Instant>) -> Duration {
    let total = (USERS * PER_USER) as usize;
    tests::wait::wait_until_for(
        "every update delivered",
        Duration::from_secs(600),
        || async { (arrivals.count() >= total).then_some(()) },
    )
    .await;
    let arrivals = arrivals.by_user.lock().unwrap();
    let first = sent.values().min().copied().unwrap();
    let mut last = first;
    for (user, seen) in arrivals.iter() {
        let sequences: Vec<i64> = seen.iter().map(|(s, _)| *s).collect();
        assert_eq!(
            sequences,
            (0..PER_USER).collect::<Vec<_>>(),
            "user {user}: every update once, in order"
        );
        for (_, at) in seen {
            last = last.max(*at);
        }
    }
    last.duration_since(first)
}

async fn timed_calls(url: &str) -> Vec<Duration> {
    let http = reqwest::Client::new();
    let mut times = Vec::with_capacity(GATEWAY_CALLS);
    for _ in 0..GATEWAY_CALLS {
        let at = Instant::now();
        let response = http.post(url).json(&json!({})).send().await.unwrap();
        assert!(response.status().is_success());
        let _ = response.bytes().await.unwrap();
        times.push(at.elapsed());
    }
    times.sort();
    times
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

#[tokio::main]
async fn main() {
    let cluster = Cluster::control_plane();
    let client = cluster.client().await.unwrap();
    cluster.install_crd(&client).await.unwrap();
    let ns = cluster
        .namespace(&client, "bench-front-door")
        .await
        .unwrap();
    let accounts: Api<WhatsAppAccount> = Api::namespaced(client.clone(), &ns);
    futures::stream::iter(1..=USERS)
        .for_each_concurrent(32, |user| {
            let accounts = accounts.clone();
            async move {
                let account =
                    WhatsAppAccount::for_phone(&phone(user).parse().unwrap(), user, Language::En);
                accounts
                    .create(&PostParams::default(), &account)
                    .await
                    .unwrap();
            }
        })
        .await;

    let telegram = FakeTelegram::start(&[BOT_TOKEN]).await;
    let (template, arrivals) = stub_tenants().await;
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("webhook-secret");
    std::fs::write(&secret_file, WEBHOOK_SECRET).unwrap();
    let kubeconfig = front_door::identity_in(cluster, &client, &ns).await;
    let door = FrontDoor::start(front_door::Options {
        namespace: ns.clone(),
        kubeconfig,
        telegram_url: telegram.url(),
        tenant_url_template: template.clone(),
        gateway: free_address(),
        extra: vec![
            "--intake=webhook".into(),
            "--webhook-url=https://bench.example.org/telegram/webhook".into(),
            format!("--webhook-secret-file={}", secret_file.display()),
            "--user-rate-per-minute=1000000".into(),
        ],
        token: None,
    })
    .await;

    // Throughput: through the front door as fast as the senders go.
    let webhook = format!("http://{}/telegram/webhook", door.address);
    let sent = drive(webhook.clone(), Some(WEBHOOK_SECRET)).await;
    let elapsed = collect(&arrivals, &sent).await;
    let total = (USERS * PER_USER) as f64;
    let rate = total / elapsed.as_secs_f64();

    // Latency: each update once the one before arrived, straight to the
    // tenants and through the front door.
    arrivals.clear();
    let direct = paced(format!("{template}/telegram/update"), None, &arrivals).await;
    arrivals.clear();
    let routed = paced(webhook, Some(WEBHOOK_SECRET), &arrivals).await;

    // The gateway against the fake Telegram server directly.
    let account = format!("wa-{}", phone(1));
    let credential = format!(
        "{account}:{}",
        InstallKey::new(INSTALL_KEY.as_bytes())
            .unwrap()
            .tenant_secret(&account)
    );
    let direct_calls = timed_calls(&format!("{}/bot{BOT_TOKEN}/getMe", telegram.url())).await;
    let gateway_calls = timed_calls(&format!(
        "http://{}/bot{credential}/getMe",
        door.options.gateway
    ))
    .await;
    let rss = door.peak_rss_kib();

    let (d50, d99) = (percentile(&direct, 0.5), percentile(&direct, 0.99));
    let (r50, r99) = (percentile(&routed, 0.5), percentile(&routed, 0.99));
    let (g50, g99) = (
        percentile(&direct_calls, 0.5),
        percentile(&direct_calls, 0.99),
    );
    let (w50, w99) = (
        percentile(&gateway_calls, 0.5),
        percentile(&gateway_calls, 0.99),
    );
    println!(
        "updates: {} from {USERS} users, every one delivered once and in order per user",
        total as u64
    );
    println!(
        "throughput: {rate:.0} updates/s through the front door ({:.1} s)",
        elapsed.as_secs_f64()
    );
    println!(
        "routing latency: median {:.2} ms (direct {:.2} ms, added {:.2} ms, ratio {:.2}), p99 {:.2} ms (direct {:.2} ms, ratio {:.2})",
        ms(r50),
        ms(d50),
        ms(r50.saturating_sub(d50)),
        ms(r50) / ms(d50).max(1e-9),
        ms(r99),
        ms(d99),
        ms(r99) / ms(d99).max(1e-9),
    );
    println!(
        "gateway call: median {:.2} ms (direct {:.2} ms, added {:.2} ms), p99 {:.2} ms (direct {:.2} ms)",
        ms(w50),
        ms(g50),
        ms(w50.saturating_sub(g50)),
        ms(w99),
        ms(g99),
    );
    if let Some(rss) = rss {
        println!("front door peak RSS: {:.1} MiB", rss as f64 / 1024.0);
    }
    let result = json!({
        "users": USERS, "updates": total as u64, "updates_per_second": rate,
        "route_median_ms": ms(r50), "route_p99_ms": ms(r99),
        "direct_median_ms": ms(d50), "direct_p99_ms": ms(d99),
        "route_median_ratio": ms(r50) / ms(d50).max(1e-9),
        "gateway_median_ms": ms(w50), "gateway_p99_ms": ms(w99),
        "telegram_direct_median_ms": ms(g50), "telegram_direct_p99_ms": ms(g99),
        "front_door_peak_rss_kib": rss,
    });
    if let Ok(path) = std::env::var("PAWANG_BENCH_OUT") {
        std::fs::write(&path, serde_json::to_string_pretty(&result).unwrap()).unwrap();
        println!("written to {path}");
    }
}
