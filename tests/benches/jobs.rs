//! Benchmark of the job runner through the tenant's runtime: invite links
//! for N groups at a 0 s pause against the fake WhatsApp answering every
//! call after 5 ms. Prints the total time against the ideal (N calls of
//! 5 ms, back to back) and the Telegram edits the progress cost; writes
//! JSON to `PAWANG_BENCH_OUT` when set.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use serde_json::json;
use tests::fake_telegram::FakeTelegram;
use tests::owner::{Owner, paired, text_of};

/// WhatsApp's answer time in the fake.
const LATENCY: Duration = Duration::from_millis(5);

struct Run {
    items: usize,
    elapsed: Duration,
    progress_edits: usize,
    all_edits: usize,
}

fn edits(telegram: &FakeTelegram, from: usize) -> (usize, usize) {
    let calls: Vec<_> = telegram
        .calls()
        .into_iter()
        .skip(from)
        .filter(|c| c.method == "editMessageText")
        .collect();
    let progress = calls
        .iter()
        .filter(|c| text_of(c).starts_with("⏳ Link undangan: "))
        .count();
    (progress, calls.len())
}

async fn run(items: usize) -> Run {
    let (_dir, telegram, fake, tenant) = paired().await;
    for n in 1..=items {
        fake.add_group(&format!("Grup {n}"), &[], true);
    }
    let mut owner = Owner::new(&telegram, &tenant);
    owner.presses("job:links").await;
    owner.types("all").await;
    owner.is_told(&format!("untuk {items} grup")).await;
    owner.presses("job:delay:0").await;
    owner.is_told("jeda 0 detik").await;
    fake.set_latency(LATENCY);
    let from = telegram.calls().len();
    let started = Instant::now();
    owner.presses("job:start").await;
    owner
        .is_told(&format!("Link undangan: ✅ {items} berhasil"))
        .await;
    let elapsed = started.elapsed();
    let (progress_edits, all_edits) = edits(&telegram, from);
    tenant.shut_down().await;
    Run {
        items,
        elapsed,
        progress_edits,
        all_edits,
    }
}

#[tokio::main]
async fn main() {
    let mut results = serde_json::Map::new();
    for items in [100, 1000] {
        let run = run(items).await;
        let ideal = LATENCY * run.items as u32;
        let ratio = run.elapsed.as_secs_f64() / ideal.as_secs_f64();
        let overhead = run.elapsed.saturating_sub(ideal) / run.items as u32;
        println!(
            "{} items at 0 s pause, {} ms per WhatsApp call: {:.2} s (ideal {:.2} s, ratio {ratio:.2}, \
             {:.2} ms per item on top); Telegram edits: {} progress, {} in all",
            run.items,
            LATENCY.as_millis(),
            run.elapsed.as_secs_f64(),
            ideal.as_secs_f64(),
            overhead.as_secs_f64() * 1000.0,
            run.progress_edits,
            run.all_edits,
        );
        results.insert(
            format!("items_{}", run.items),
            json!({
                "items": run.items,
                "latency_ms": LATENCY.as_millis() as u64,
                "seconds": run.elapsed.as_secs_f64(),
                "ideal_seconds": ideal.as_secs_f64(),
                "ratio": ratio,
                "overhead_ms_per_item": overhead.as_secs_f64() * 1000.0,
                "progress_edits": run.progress_edits,
                "telegram_edits": run.all_edits,
            }),
        );
    }
    if let Ok(path) = std::env::var("PAWANG_BENCH_OUT") {
        std::fs::write(&path, serde_json::to_string_pretty(&results).unwrap()).unwrap();
        println!("written to {path}");
    }
}
