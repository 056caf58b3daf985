//! The real `tenant-bot tenant` process with the fake WhatsApp backend and
//! the fake Bot API server: it offers pairing, refuses forged and foreign
//! updates, serves its owner, stops cleanly and keeps its files under the
//! established names. Its log holds no secret and no full number.
#![allow(clippy::unwrap_used)]

use std::process::{Child, Command, Stdio};

use serde_json::json;
use tests::fake_telegram::{Call, FakeTelegram};
use tests::operator::{free_address, workspace_binary};
use tests::wait::wait_until;

const ACCOUNT: &str = "wa-447700900123";
const SECRET: &str = "3f1c9a0e5b7d2468ace013579bdf2468ace013579bdf2468ace013579bdf2468";
const OWNER: i64 = 555_000_111;

struct Tenant(Child);

impl Drop for Tenant {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn text_of(call: &Call) -> String {
    call.params["text"].as_str().unwrap_or_default().to_owned()
}

fn update(from: i64, text: &str) -> String {
    json!({
        "update_id": 10,
        "message": {
            "message_id": 1, "date": 1_700_000_000, "text": text,
            "chat": {"id": from, "type": "private", "first_name": "U"},
            "from": {"id": from, "is_bot": false, "first_name": "U"},
        }
    })
    .to_string()
}

// Several threads: the test blocks on the child while the fake Bot API
// server goes on answering its last requests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tenant_process_serves_only_its_owner() {
    let dir = tempfile::tempdir().unwrap();
    let credential = format!("{ACCOUNT}:{SECRET}");
    let telegram = FakeTelegram::start(&[&credential]).await;
    let secret_file = dir.path().join("tenant-secret");
    std::fs::write(&secret_file, format!("{SECRET}\n")).unwrap();
    let data = dir.path().join("data");
    let address = free_address();
    let log_path = dir.path().join("tenant.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut tenant = Tenant(
        Command::new(workspace_binary("tenant-bot"))
            .arg("tenant")
            .args(["--account", ACCOUNT, "--namespace", "test"])
            .args(["--phone", "447700900123", "--owner", &OWNER.to_string()])
            .arg("--data-dir")
            .arg(&data)
            .arg("--secret-file")
            .arg(&secret_file)
            .args(["--telegram-api-url", &telegram.url()])
            .args(["--listen", &address.to_string()])
            .args(["--whatsapp-backend", "fake", "--report-status", "false"])
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap(),
    );

    let http = reqwest::Client::new();
    let base = format!("http://{address}");
    wait_until("tenant ready", || async {
        let r = http.get(format!("{base}/readyz")).send().await.ok()?;
        (r.status() == 200).then_some(())
    })
    .await;

    // Not paired yet: the code goes to the owner through the credential.
    let code = telegram
        .wait_for("sendMessage", |c| text_of(c).contains("FAKE-"))
        .await;
    assert_eq!(code.token, credential);
    assert_eq!(code.params["chat_id"], OWNER);

    let post = |secret: Option<&str>, body: String| {
        let mut request = http.post(format!("{base}/telegram/update")).body(body);
        if let Some(secret) = secret {
            request = request.header(crds::secret::HEADER, secret);
        }
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(post(None, update(OWNER, "/menu")).await, 401);
    assert_eq!(post(Some("wrong"), update(OWNER, "/menu")).await, 401);
    assert_eq!(post(Some(SECRET), update(42, "/menu")).await, 403);
    assert_eq!(post(Some(SECRET), update(OWNER, "/menu")).await, 200);

    let menu = telegram
        .wait_for("sendMessage", |c| text_of(c).contains("Dasbor"))
        .await;
    assert!(
        text_of(&menu).contains("menunggu pairing"),
        "{}",
        text_of(&menu)
    );
    // Only the owner's chat was ever written to.
    assert!(
        telegram
            .calls()
            .iter()
            .all(|c| c.params["chat_id"] == OWNER)
    );

    let metrics = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "pawang_tenant_whatsapp_connected 0",
        "pawang_tenant_whatsapp_operation_seconds_count{operation=\"request_pairing_code\",result=\"ok\"} 1",
    ] {
        assert!(metrics.contains(line), "{line} missing in\n{metrics}");
    }

    // SIGTERM: a clean stop.
    let status = Command::new("kill")
        .args(["-TERM", &tenant.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tenant.0.wait().unwrap();
    assert!(exit.success(), "{exit:?}");

    assert!(
        data.join(format!("bot_data-{OWNER}-447700900123.db"))
            .exists()
    );
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(log.contains("serving"), "{log}");
    assert!(!log.contains(SECRET), "secret in the log:\n{log}");
    assert!(
        !log.contains("447700900123"),
        "full number in the log:\n{log}"
    );
}
