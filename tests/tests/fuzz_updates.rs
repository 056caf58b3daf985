//! Fuzzing the forwarded-update path: a paired tenant's runtime takes
//! generated updates from its owner (texts of any characters, commands
//! with odd arguments, documents and photos with odd names and sizes,
//! button presses with known and unknown data, and JSON that is not an
//! update at all) and must keep serving: after every batch `/menu` is
//! still answered. The cases are drawn by proptest's strategies from a
//! seed printed at the start, so a failure can be drawn again with
//! `PAWANG_FUZZ_SEED`; cases that once broke something are kept in
//! `tests/fuzz/updates/*.json` and replayed first on every run.
//! `PAWANG_FUZZ_CASES` sets how many are drawn (300 by default; `make
//! fuzz` draws far more).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Value, json};
use tests::owner::{callback_update, owner_message, paired, send};

/// Buttons the tenant sends, so presses reach real handlers.
const PREFIXES: &[&str] = &[
    "groups:csv",
    "groups:page:",
    "groups:refresh",
    "groups:search",
    "groups:txt",
    "job:abort",
    "job:add",
    "job:broadcast",
    "job:cancel",
    "job:create",
    "job:delay:",
    "job:demote",
    "job:description",
    "job:done",
    "job:join",
    "job:leave",
    "job:links",
    "job:photo",
    "job:promote",
    "job:req",
    "job:requests",
    "job:reset",
    "job:set:",
    "job:settings",
    "job:start",
    "lang:en",
    "lang:id",
    "logout:no",
    "menu:accounts",
    "menu:activity",
    "menu:groups",
    "menu:help",
    "menu:lang",
    "pair:cancel",
    "pair:retry",
];

/// Commands the tenant knows, given odd arguments.
const COMMANDS: &[&str] = &[
    "/menu",
    "/groups",
    "/search",
    "/export",
    "/help",
    "/lang",
    "/activity",
    "/cancel",
    "/start",
];

/// Text from any characters, numbers and ranges, links and names.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9 ,\\-]{0,40}",
        "[a-zA-Z0-9 *x]{0,30}",
        "(https://chat\\.whatsapp\\.com/[A-Za-z0-9]{0,30}\n?){0,5}",
        "(\\+?[0-9 ()-]{0,20}\n){0,8}",
        Just(String::new()),
        Just("all".to_owned()),
        "[0-9]{1,19}",
    ]
}

fn update() -> impl Strategy<Value = Value> {
    let text = any_text().prop_map(|t| owner_message(json!({"text": t})));
    let command = (prop::sample::select(COMMANDS), any_text())
        .prop_map(|(c, a)| owner_message(json!({"text": format!("{c} {a}")})));
    let document = (
        any::<String>(),
        prop::option::of(any::<String>()),
        any::<i64>(),
        prop::option::of("[a-z]{1,10}/[a-z.+-]{1,20}"),
    )
        .prop_map(|(id, name, size, mime)| {
            owner_message(json!({"document": {
                "file_id": id, "file_unique_id": "u", "file_name": name,
                "file_size": size, "mime_type": mime,
            }}))
        });
    let photo = (any::<String>(), any::<i64>(), 0..100_000u32, 0..100_000u32).prop_map(
        |(id, size, width, height)| {
            owner_message(json!({"photo": [{
                "file_id": id, "file_unique_id": "u", "width": width,
                "height": height, "file_size": size,
            }]}))
        },
    );
    let press = (
        prop::sample::select(PREFIXES),
        any::<String>(),
        any::<i64>(),
    )
        .prop_map(|(prefix, suffix, message_id)| {
            callback_update(&format!("{prefix}{suffix}"), message_id)
        });
    let junk = prop_oneof![
        any::<String>().prop_map(Value::String),
        any::<i64>().prop_map(|n| json!({"update_id": n})),
        any::<String>().prop_map(|s| json!({"update_id": 3, "message": s})),
        any::<String>().prop_map(|s| owner_message(json!({"text": null, "caption": s}))),
        any::<String>().prop_map(|s| json!({"update_id": 4, "callback_query": {"data": s}})),
    ];
    prop_oneof![4 => text, 3 => command, 2 => document, 2 => photo, 4 => press, 1 => junk]
}

fn seed() -> [u8; 32] {
    let seed: u64 = std::env::var("PAWANG_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    println!("PAWANG_FUZZ_SEED={seed}");
    let mut bytes = [0; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes
}

/// The cases kept from earlier failures.
fn kept() -> Vec<Value> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/updates");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect()
}

/// `/menu` is still answered.
async fn still_serves(
    telegram: &tests::fake_telegram::FakeTelegram,
    tenant: &tests::owner::Tenant,
    last: &[Value],
) {
    let seen = telegram.calls().len();
    send(tenant, owner_message(json!({"text": "/menu"}))).await;
    let answered = tokio::time::timeout(
        tests::cluster::DEADLINE,
        telegram.wait_for_call("the menu", seen, |c| {
            // Either language: the cases may switch it.
            c.method == "sendMessage"
                && c.params["text"]
                    .as_str()
                    .is_some_and(|t| t.contains("📱 Dashboard") || t.contains("📱 Dasbor"))
        }),
    )
    .await;
    assert!(
        answered.is_ok(),
        "the tenant stopped answering after these updates:\n{}",
        last.iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        !tenant.task.is_finished(),
        "the runtime stopped after:\n{last:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runtime_survives_whatever_its_owner_sends() {
    let cases: usize = std::env::var("PAWANG_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let (_dir, telegram, _fake, tenant) = paired().await;

    let kept = kept();
    for case in &kept {
        send(&tenant, case.clone()).await;
        still_serves(&telegram, &tenant, std::slice::from_ref(case)).await;
    }

    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed()),
    );
    let strategy = update();
    let mut batch = Vec::new();
    for n in 0..cases {
        let case = strategy.new_tree(&mut runner).unwrap().current();
        send(&tenant, case.clone()).await;
        batch.push(case);
        if batch.len() == 25 || n + 1 == cases {
            still_serves(&telegram, &tenant, &batch).await;
            batch.clear();
        }
    }
    println!(
        "{} kept and {cases} drawn updates; the tenant answered after each batch",
        kept.len()
    );
}
