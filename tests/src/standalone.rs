//! `tenant-bot standalone` as a real process: the front door and its
//! supervised tenants on one machine, with the fake WhatsApp backend,
//! against a fake Bot API server.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::fake_telegram::FakeTelegram;
use crate::front_door::BOT_TOKEN;
use crate::process::{free_address, workspace_binary};

/// A running install; killed when dropped.
#[derive(Debug)]
pub struct Standalone {
    child: Child,
    data: PathBuf,
}

impl Standalone {
    /// Starts an install keeping its files in `data`, its log beside it.
    pub async fn start(data: &Path, telegram: &FakeTelegram) -> Self {
        Self::start_with(data, telegram, &[]).await
    }

    /// [`Standalone::start`] with `env` set as well.
    pub async fn start_with(data: &Path, telegram: &FakeTelegram, env: &[(&str, &str)]) -> Self {
        let address = free_address();
        let log = std::fs::File::create(data.with_extension("log")).expect("standalone install");
        let child = Command::new(workspace_binary("tenant-bot"))
            .arg("standalone")
            .env("PAWANG_BOT_TOKEN", BOT_TOKEN)
            .env_remove("RUST_LOG")
            .arg("--data-dir")
            .arg(data)
            .args(["--telegram-api-url", &telegram.url()])
            .args(["--listen", &address.to_string()])
            .args(["--gateway-listen", &free_address().to_string()])
            .args(["--whatsapp-backend", "fake"])
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("standalone install"))
            .stderr(log)
            .spawn()
            .expect("standalone install");
        crate::wait::ready("the standalone install", address).await;
        Self {
            child,
            data: data.to_owned(),
        }
    }

    /// The install's own log so far (its tenants log beside their files).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data.with_extension("log")).unwrap_or_default()
    }

    /// The process id of the install.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// An account's file beside its session.
    pub fn file(&self, owner: i64, account: &str, extension: &str) -> PathBuf {
        self.data
            .join("DB USER TELEGRAM")
            .join(owner.to_string())
            .join(format!("{account}.{extension}"))
    }

    /// Enters the pairing code on the "phone" of `account`.
    pub async fn enter_code(&self, owner: i64, account: &str) {
        let url = std::fs::read_to_string(self.file(owner, account, "endpoint"))
            .expect("standalone install");
        let secret = std::fs::read_to_string(self.file(owner, account, "secret"))
            .expect("standalone install");
        let status = reqwest::Client::new()
            .post(format!("{url}/fake/enter-code"))
            .header(crds::secret::HEADER, secret)
            .send()
            .await
            .expect("standalone install")
            .status();
        assert_eq!(status, 200);
    }

    /// SIGKILL, and waits for the exit.
    pub fn kill(&mut self) {
        self.child.kill().expect("kill the install");
        self.child.wait().expect("the install's exit");
    }

    /// SIGTERM; the exit must be clean.
    pub fn stop(&mut self) {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .expect("standalone install")
                .success()
        );
        let exit = self.child.wait().expect("standalone install");
        assert!(exit.success(), "{exit:?}");
    }
}

impl Drop for Standalone {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        crate::hygiene::assert_clean("the standalone install", &self.log(), &[]);
        let users = self.data.join("DB USER TELEGRAM");
        for folder in std::fs::read_dir(users).into_iter().flatten().flatten() {
            for entry in std::fs::read_dir(folder.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                let path = entry.path();
                if path.extension().is_some_and(|e| e == "log") {
                    let log = std::fs::read_to_string(&path).unwrap_or_default();
                    crate::hygiene::assert_clean(&path.display().to_string(), &log, &[]);
                }
            }
        }
    }
}
