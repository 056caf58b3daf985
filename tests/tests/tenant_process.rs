//! The real `tenant-bot tenant` process with the fake WhatsApp backend
//! (driven through its secret-protected test controls) and the fake Bot
//! API server: it offers pairing, refuses forged and foreign updates,
//! serves its owner, pairs, times out, retries, explains rate limits,
//! cancels, tells a logout once, restarts without pairing, stops cleanly
//! and keeps its files under the established names; a group job reads an
//! uploaded file through the Bot API and survives a restart of the
//! process without repeating an item. Its log holds no secret and no
//! full number.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::json;
use tests::fake_telegram::{Call, FakeTelegram};
use tests::owner::callback_update;
use tests::process::{free_address, workspace_binary};
use tests::wait::wait_until;

const ACCOUNT: &str = "wa-447700900123";
const SECRET: &str = "3f1c9a0e5b7d2468ace013579bdf2468ace013579bdf2468ace013579bdf2468";
const OWNER: i64 = 555_000_111;

struct Tenant {
    child: Child,
    address: SocketAddr,
    log: PathBuf,
    http: reqwest::Client,
}

/// How the tenant process is started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Launch {
    /// As its pod would start it.
    Plain,
    /// So that its volume can be made full: SIGXFSZ ignored (a write past
    /// the file size limit then fails with EFBIG, as one on a full disk
    /// fails with ENOSPC) and its log through a pipe, which no limit
    /// touches.
    FullDiskReady,
}

impl Tenant {
    async fn start(dir: &Path, telegram: &FakeTelegram, extra: &[&str]) -> Self {
        Self::launch(dir, telegram, extra, Launch::Plain).await
    }

    async fn launch(dir: &Path, telegram: &FakeTelegram, extra: &[&str], how: Launch) -> Self {
        let secret_file = dir.join("tenant-secret");
        std::fs::write(&secret_file, format!("{SECRET}\n")).unwrap();
        let address = free_address();
        let log = dir.join(format!("tenant-{}.log", address.port()));
        let out = std::fs::File::create(&log).unwrap();
        let mut command = match how {
            Launch::Plain => Command::new(workspace_binary("tenant-bot")),
            Launch::FullDiskReady => {
                let mut command = Command::new("bash");
                command
                    .args(["-c", "trap '' XFSZ; exec \"$0\" \"$@\""])
                    .arg(workspace_binary("tenant-bot"));
                command
            }
        };
        let (stdout, stderr) = match how {
            Launch::Plain => (Stdio::from(out.try_clone().unwrap()), Stdio::from(out)),
            Launch::FullDiskReady => (Stdio::piped(), Stdio::piped()),
        };
        let mut child = command
            .arg("tenant")
            .args(["--account", ACCOUNT, "--namespace", "test"])
            .args(["--phone", "447700900123", "--owner", &OWNER.to_string()])
            .arg("--data-dir")
            .arg(dir.join("data"))
            .arg("--secret-file")
            .arg(&secret_file)
            .args(["--telegram-api-url", &telegram.url()])
            .args(["--listen", &address.to_string()])
            .args(["--whatsapp-backend", "fake", "--report-status", "false"])
            .args(extra)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .unwrap();
        if how == Launch::FullDiskReady {
            for mut pipe in [
                child
                    .stdout
                    .take()
                    .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
                child
                    .stderr
                    .take()
                    .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
            ]
            .into_iter()
            .flatten()
            {
                let mut file = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
                std::thread::spawn(move || std::io::copy(&mut pipe, &mut file));
            }
        }
        let tenant = Self {
            child,
            address,
            log,
            http: reqwest::Client::new(),
        };
        wait_until("tenant ready", || async {
            let r = tenant.get("/readyz").await?;
            (r.0 == 200).then_some(())
        })
        .await;
        tenant
    }

    /// A tenant whose owner entered the pairing code: linked and connected.
    async fn linked(dir: &Path, telegram: &FakeTelegram) -> Self {
        Self::linked_as(dir, telegram, Launch::Plain).await
    }

    async fn linked_as(dir: &Path, telegram: &FakeTelegram, how: Launch) -> Self {
        let tenant = Self::launch(dir, telegram, &[], how).await;
        telegram
            .wait_for("sendMessage", |c| text_of(c).contains("FAKE-"))
            .await;
        tenant.control("/fake/enter-code").await;
        telegram
            .wait_for("editMessageText", |c| text_of(c).contains("tersambung"))
            .await;
        tenant
    }

    async fn get(&self, path: &str) -> Option<(u16, String)> {
        let r = self
            .http
            .get(format!("http://{}{path}", self.address))
            .send()
            .await
            .ok()?;
        Some((r.status().as_u16(), r.text().await.ok()?))
    }

    async fn post(&self, path: &str, secret: Option<&str>, body: String) -> u16 {
        let mut request = self
            .http
            .post(format!("http://{}{path}", self.address))
            .body(body);
        if let Some(secret) = secret {
            request = request.header(crds::secret::HEADER, secret);
        }
        request.send().await.unwrap().status().as_u16()
    }

    async fn update(&self, body: String) {
        assert_eq!(self.post("/telegram/update", Some(SECRET), body).await, 200);
    }

    async fn fake_groups(&self) -> Vec<serde_json::Value> {
        let response = self
            .http
            .get(format!("http://{}/fake/groups", self.address))
            .header(crds::secret::HEADER, SECRET)
            .send()
            .await
            .unwrap();
        response.json().await.unwrap()
    }

    async fn control(&self, path: &str) {
        assert_eq!(
            self.post(path, Some(SECRET), String::new()).await,
            200,
            "{path}"
        );
    }

    /// SIGTERM, and the exit must be clean.
    fn stop(&mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = self.child.wait().unwrap();
        assert!(exit.success(), "{exit:?}");
    }

    /// SIGKILL, as a crash or an evicted pod would end it.
    fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Caps the size any file the process writes may reach, as a full
    /// volume would (`None` lifts the cap). Only the soft limit changes,
    /// so the cap can be lifted again.
    fn file_size_limit(&self, bytes: Option<u64>) {
        let soft = bytes.map_or_else(|| "unlimited".to_owned(), |b| b.to_string());
        let status = Command::new("prlimit")
            .args(["--pid", &self.child.id().to_string()])
            .arg(format!("--fsize={soft}:unlimited"))
            .status();
        assert!(
            status.as_ref().is_ok_and(std::process::ExitStatus::success),
            "prlimit (util-linux) is needed to fill a volume: {status:?}"
        );
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap()
    }
}

impl Drop for Tenant {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- the tenant's log\n{}", self.log());
        }
        tests::hygiene::assert_clean("the tenant", &self.log(), &[SECRET]);
    }
}

fn text_of(call: &Call) -> String {
    call.params["text"].as_str().unwrap_or_default().to_owned()
}

/// A message update with an id of its own (the tenant takes an id once).
fn message(from: i64, text: &str) -> String {
    json!({
        "update_id": tests::owner::next_update_id(),
        "message": {
            "message_id": 1, "date": 1_700_000_000, "text": text,
            "chat": {"id": from, "type": "private", "first_name": "U"},
            "from": {"id": from, "is_bot": false, "first_name": "U"},
        }
    })
    .to_string()
}

fn count(telegram: &FakeTelegram, method: &str, fragment: &str) -> usize {
    telegram
        .calls_of(method)
        .iter()
        .filter(|c| text_of(c).contains(fragment))
        .count()
}

// Several threads: the test blocks on the child while the fake Bot API
// server goes on answering its last requests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tenant_process_serves_only_its_owner() {
    let dir = tempfile::tempdir().unwrap();
    let credential = format!("{ACCOUNT}:{SECRET}");
    let telegram = FakeTelegram::start(&[&credential]).await;
    let mut tenant = Tenant::start(dir.path(), &telegram, &[]).await;

    // Not paired yet: the code goes to the owner through the credential.
    let code = telegram
        .wait_for("sendMessage", |c| text_of(c).contains("FAKE-"))
        .await;
    assert_eq!(code.token, credential);
    assert_eq!(code.params["chat_id"], OWNER);

    assert_eq!(
        tenant
            .post("/telegram/update", None, message(OWNER, "/menu"))
            .await,
        401
    );
    let wrong = tenant
        .post("/telegram/update", Some("wrong"), message(OWNER, "/menu"))
        .await;
    assert_eq!(wrong, 401);
    let foreign = tenant
        .post("/telegram/update", Some(SECRET), message(42, "/menu"))
        .await;
    assert_eq!(foreign, 403);
    assert_eq!(
        tenant.post("/fake/enter-code", None, String::new()).await,
        401
    );
    tenant.update(message(OWNER, "/menu")).await;

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

    let (_, metrics) = tenant.get("/metrics").await.unwrap();
    for line in [
        "pawang_tenant_whatsapp_connected 0",
        "pawang_tenant_whatsapp_operation_seconds_count{operation=\"request_pairing_code\",result=\"ok\"} 1",
    ] {
        assert!(metrics.contains(line), "{line} missing in\n{metrics}");
    }

    tenant.stop();
    let data = dir.path().join("data");
    assert!(
        data.join(format!("bot_data-{OWNER}-447700900123.db"))
            .exists()
    );
    let log = tenant.log();
    assert!(log.contains("serving"), "{log}");
    assert!(!log.contains(SECRET), "secret in the log:\n{log}");
    assert!(
        !log.contains("447700900123"),
        "full number in the log:\n{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pairing_logout_notice_and_restart_without_pairing() {
    let dir = tempfile::tempdir().unwrap();
    let credential = format!("{ACCOUNT}:{SECRET}");
    let telegram = FakeTelegram::start(&[&credential]).await;
    let mut tenant = Tenant::linked(dir.path(), &telegram).await;
    wait_until("connected in the metrics", || async {
        let (_, m) = tenant.get("/metrics").await?;
        m.contains("pawang_tenant_whatsapp_connected 1")
            .then_some(())
    })
    .await;

    // A restart logs in from the data directory: no new code.
    tenant.stop();
    let mut tenant = Tenant::start(dir.path(), &telegram, &[]).await;
    tenant.update(message(OWNER, "/menu")).await;
    telegram
        .wait_for("sendMessage", |c| {
            text_of(c).contains("Dasbor") && text_of(c).contains("tersambung")
        })
        .await;
    assert_eq!(count(&telegram, "sendMessage", "FAKE-"), 1);

    // Logged out from the phone: the owner is told once.
    tenant.control("/fake/log-out").await;
    tenant.control("/fake/log-out").await;
    telegram
        .wait_for("sendMessage", |c| {
            text_of(c).contains("dikeluarkan dari ponsel")
        })
        .await;
    tenant.update(message(OWNER, "/help")).await;
    telegram
        .wait_for("sendMessage", |c| text_of(c).contains("/logout"))
        .await;
    assert_eq!(
        count(&telegram, "sendMessage", "dikeluarkan dari ponsel"),
        1
    );
    tenant.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_retry_rate_limit_and_cancel() {
    let dir = tempfile::tempdir().unwrap();
    let credential = format!("{ACCOUNT}:{SECRET}");
    let telegram = FakeTelegram::start(&[&credential]).await;
    let mut tenant = Tenant::start(dir.path(), &telegram, &["--pairing-timeout", "5"]).await;

    // Nobody enters the code: it times out with a retry button.
    let timed_out = telegram
        .wait_for("editMessageText", |c| {
            text_of(c).contains("Waktu pairing habis")
        })
        .await;
    assert_eq!(
        timed_out.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"],
        "pair:retry"
    );
    assert_eq!(
        tenant
            .post("/fake/enter-code", Some(SECRET), String::new())
            .await,
        409
    );

    // Retry while WhatsApp limits code requests: explained, not hidden.
    tenant
        .control("/fake/fail/request_pairing_code/rate-limited/1")
        .await;
    tenant
        .update(callback_update("pair:retry", 1).to_string())
        .await;
    telegram
        .wait_for("sendMessage", |c| text_of(c).contains("membatasi"))
        .await;

    // Retry again; this time cancel: the code stops working.
    tenant
        .update(callback_update("pair:retry", 1).to_string())
        .await;
    wait_until("a second code", || async {
        (count(&telegram, "sendMessage", "FAKE-") == 2).then_some(())
    })
    .await;
    tenant
        .update(callback_update("pair:cancel", 1).to_string())
        .await;
    telegram
        .wait_for("editMessageText", |c| text_of(c).contains("dibatalkan"))
        .await;
    assert_eq!(
        tenant
            .post("/fake/enter-code", Some(SECRET), String::new())
            .await,
        409
    );
    tenant.stop();
}

/// Waits for a `method` call whose text holds `needle`.
async fn told(telegram: &FakeTelegram, method: &str, needle: &str) -> Call {
    telegram
        .wait_for(method, |c| text_of(c).contains(needle))
        .await
}

/// Starts the tenant again in `dir` and waits until the group creation
/// it was stopped in has made `names`, each once; returns its groups.
async fn resumed(
    dir: &Path,
    telegram: &FakeTelegram,
    names: &[&str],
) -> (Tenant, Vec<serde_json::Value>) {
    let tenant = Tenant::start(dir, telegram, &[]).await;
    let done = format!("Buat grup: ✅ {} berhasil, ❌ 0 gagal.", names.len());
    let summary = telegram
        .wait_for("editMessageText", |c| text_of(c).starts_with(&done))
        .await;
    // It says it went on after the restart.
    assert!(
        text_of(&summary).ends_with("\n🔄 Dilanjutkan setelah bot akun ini dimulai ulang; tidak ada grup yang dikerjakan dua kali."),
        "{}",
        text_of(&summary)
    );
    let groups = tenant.fake_groups().await;
    let mut made: Vec<&str> = groups.iter().filter_map(|g| g["name"].as_str()).collect();
    made.sort_unstable();
    assert_eq!(made, names, "each group made once");
    (tenant, groups)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_job_reads_an_upload_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let credential = format!("{ACCOUNT}:{SECRET}");
    let telegram = FakeTelegram::start(&[&credential]).await;
    let mut tenant = Tenant::linked(dir.path(), &telegram).await;

    // Members for the new groups come from a vCard the owner uploads.
    let card = "BEGIN:VCARD\nVERSION:3.0\nFN:Ani\nTEL:+62 812-0000-0002\nEND:VCARD\n";
    telegram.add_file("kontak", card.as_bytes().to_vec());
    let upload = json!({
        "update_id": tests::owner::next_update_id(),
        "message": {
            "message_id": 2, "date": 1_700_000_000,
            "chat": {"id": OWNER, "type": "private", "first_name": "U"},
            "from": {"id": OWNER, "is_bot": false, "first_name": "U"},
            "document": {"file_id": "kontak", "file_unique_id": "kontak",
                         "file_name": "kontak.vcf", "file_size": card.len()},
        }
    });
    tenant
        .update(callback_update("job:create", 1).to_string())
        .await;
    tenant.update(message(OWNER, "Kue x 3")).await;
    told(&telegram, "sendMessage", "ke setiap grup baru").await;
    tenant.update(upload.to_string()).await;
    told(&telegram, "sendMessage", "Pengaturan untuk grup baru").await;
    tenant
        .update(callback_update("job:set:ok", 1).to_string())
        .await;
    let confirm = told(&telegram, "sendMessage", "Buat grup untuk 3 grup").await;
    assert!(
        text_of(&confirm).contains("Nomor: 1"),
        "{}",
        text_of(&confirm)
    );
    tenant
        .update(callback_update("job:start", 1).to_string())
        .await;
    // The first group is made at once; the stop comes in the 2 s pause.
    told(&telegram, "editMessageText", "Buat grup: 1/3").await;
    tenant.stop();

    let (mut tenant, groups) = resumed(dir.path(), &telegram, &["Kue 1", "Kue 2", "Kue 3"]).await;
    for group in &groups {
        let members = group["members"].as_array().unwrap();
        assert!(members.contains(&json!("6281200000002")), "{group}");
    }
    // The file went through the tenant's own credential.
    let fetch = telegram.calls_of("getFile");
    assert_eq!(fetch.len(), 1);
    assert_eq!(fetch[0].token, credential);
    tenant.stop();
    let log = tenant.log();
    assert!(
        !log.contains("6281200000002"),
        "full number in the log:\n{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_killed_mid_job_resumes_it_without_repeating_an_item() {
    let dir = tempfile::tempdir().unwrap();
    let credential = format!("{ACCOUNT}:{SECRET}");
    let telegram = FakeTelegram::start(&[&credential]).await;
    let mut tenant = Tenant::linked(dir.path(), &telegram).await;

    tenant
        .update(callback_update("job:create", 1).to_string())
        .await;
    tenant.update(message(OWNER, "Roti x 3")).await;
    told(&telegram, "sendMessage", "ke setiap grup baru").await;
    tenant.update(message(OWNER, "/skip")).await;
    told(&telegram, "sendMessage", "Pengaturan untuk grup baru").await;
    tenant
        .update(callback_update("job:set:ok", 1).to_string())
        .await;
    told(&telegram, "sendMessage", "Buat grup untuk 3 grup").await;
    tenant
        .update(callback_update("job:start", 1).to_string())
        .await;
    told(&telegram, "editMessageText", "Buat grup: 1/3").await;
    // No goodbye: the process is gone between two items.
    tenant.kill();

    let (mut tenant, _) = resumed(dir.path(), &telegram, &["Roti 1", "Roti 2", "Roti 3"]).await;
    tenant.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_killed_mid_pairing_offers_a_new_code_that_links() {
    let dir = tempfile::tempdir().unwrap();
    let credential = format!("{ACCOUNT}:{SECRET}");
    let telegram = FakeTelegram::start(&[&credential]).await;
    let mut tenant = Tenant::start(dir.path(), &telegram, &[]).await;
    let first = telegram
        .wait_for("sendMessage", |c| text_of(c).contains("FAKE"))
        .await;
    tenant.kill();

    // The new process has no session, so it offers a new code, and that
    // one links.
    let seen = telegram.calls().len();
    let tenant = Tenant::start(dir.path(), &telegram, &[]).await;
    let second = telegram
        .wait_for_call("a new pairing code", seen, |c| {
            c.method == "sendMessage" && text_of(c).contains("FAKE")
        })
        .await;
    assert_ne!(
        text_of(&first),
        text_of(&second),
        "a new code, not the old one"
    );
    tenant.control("/fake/enter-code").await;
    telegram
        .wait_for_call("connected", seen, |c| text_of(c).contains("tersambung"))
        .await;
}

/// A call after the first `skip` whose text contains `needle`.
async fn told_after(telegram: &FakeTelegram, skip: usize, method: &str, needle: &str) -> Call {
    telegram
        .wait_for_call(needle, skip, |c| {
            c.method == method && text_of(c).contains(needle)
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_volume_pauses_work_tells_the_owner_and_spoils_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let credential = format!("{ACCOUNT}:{SECRET}");
    let telegram = FakeTelegram::start(&[&credential]).await;
    let mut tenant = Tenant::linked_as(dir.path(), &telegram, Launch::FullDiskReady).await;
    for name in ["Arisan A", "Arisan B", "Arisan C"] {
        let added = tenant
            .http
            .post(format!("http://{}/fake/groups", tenant.address))
            .header(crds::secret::HEADER, SECRET)
            .body(json!({"name": name, "admin": true}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(added.status(), 200);
    }
    let before = telegram.calls().len();
    tenant.update(message(OWNER, "/groups")).await;
    told_after(&telegram, before, "sendMessage", "1. Arisan A").await;

    // Full: reading still works, but a job cannot be saved, so it is not
    // started, and the owner hears why.
    tenant.file_size_limit(Some(0));
    let start_links = async |tenant: &Tenant| {
        let before = telegram.calls().len();
        tenant
            .update(callback_update("job:links", 1).to_string())
            .await;
        told_after(&telegram, before, "sendMessage", "Grup yang mana?").await;
        tenant.update(message(OWNER, "all")).await;
        told_after(
            &telegram,
            before,
            "sendMessage",
            "Link undangan untuk 3 grup",
        )
        .await;
        tenant
            .update(callback_update("job:start", 1).to_string())
            .await;
    };
    let before = telegram.calls().len();
    start_links(&tenant).await;
    told_after(
        &telegram,
        before,
        "sendMessage",
        "Link undangan tidak dimulai",
    )
    .await;
    let before = telegram.calls().len();
    tenant.update(message(OWNER, "/menu")).await;
    told_after(&telegram, before, "sendMessage", "Akun: ").await;
    let (status, metrics) = tenant.get("/metrics").await.unwrap();
    assert_eq!(status, 200);
    let failed: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("pawang_tenant_store_errors_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_default();
    assert!(failed >= 1.0, "store errors not counted:\n{metrics}");

    // Room again: the job starts. The volume fills after its first
    // group: it pauses and says so, then goes on once there is room,
    // without repeating a group.
    tenant.file_size_limit(None);
    let before = telegram.calls().len();
    start_links(&tenant).await;
    told_after(&telegram, before, "editMessageText", "Link undangan: 1/3").await;
    tenant.file_size_limit(Some(0));
    told_after(&telegram, before, "sendMessage", "Link undangan dijeda").await;
    tenant.file_size_limit(None);
    told_after(
        &telegram,
        before,
        "editMessageText",
        "Link undangan: ✅ 3 berhasil, ❌ 0 gagal.",
    )
    .await;
    tenant.stop();

    // Nothing was spoilt: the bot data is whole and holds the job once,
    // each of its groups decided once.
    let data = dir.path().join("data");
    let db = std::fs::read_dir(&data)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("bot_data-") && n.ends_with(".db"))
        })
        .unwrap();
    let connection = rusqlite::Connection::open(&db).unwrap();
    let check: String = connection
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let jobs: i64 = connection
        .query_row("SELECT count(*) FROM jobs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(jobs, 1, "the job that was not saved left nothing behind");
    let done: i64 = connection
        .query_row(
            "SELECT count(*) FROM job_items WHERE state = 'done' AND result IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let items: i64 = connection
        .query_row("SELECT count(*) FROM job_items", [], |r| r.get(0))
        .unwrap();
    assert_eq!((done, items), (3, 3));
}
