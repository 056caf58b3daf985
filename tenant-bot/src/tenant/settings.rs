//! What a tenant is told at start: flags with environment fallbacks. The
//! operator passes them as arguments of `tenant-bot tenant`.

use std::net::SocketAddr;
use std::path::PathBuf;

use crds::Language;
use crds::naming::{self, PhoneNumber};
use crds::whatsapp_version::{self, WhatsAppVersion};

/// Which WhatsApp implementation serves the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    /// The real client (whatsapp-rust), the production default.
    #[value(name = "whatsapp-rust")]
    WhatsappRust,
    /// A deterministic stand-in for tests.
    Fake,
}

/// One tenant's settings.
#[derive(Debug, Clone, clap::Args)]
pub struct Settings {
    /// Name of the WhatsAppAccount this tenant serves.
    #[arg(long, env = "PAWANG_ACCOUNT")]
    pub account: String,

    /// Namespace of the WhatsAppAccount.
    #[arg(long, env = "PAWANG_NAMESPACE")]
    pub namespace: String,

    /// The account's number: E.164 digits without '+'.
    #[arg(long, env = "PAWANG_PHONE", value_parser = parse_phone)]
    pub phone: PhoneNumber,

    /// Telegram user id of the owner, the only user this tenant serves.
    #[arg(long, env = "PAWANG_OWNER", value_parser = clap::value_parser!(i64).range(1..))]
    pub owner: i64,

    /// Language of messages until the owner picks one.
    #[arg(long, env = "PAWANG_LANGUAGE", default_value = "id", value_parser = parse_language)]
    pub language: Language,

    /// Directory holding the account's two SQLite files.
    #[arg(long, env = "PAWANG_DATA_DIR", default_value = "/data")]
    pub data_dir: PathBuf,

    /// File holding the tenant secret.
    #[arg(long, env = "PAWANG_SECRET_FILE")]
    pub secret_file: PathBuf,

    /// Base URL of the Telegram Bot API: the front door's gateway.
    #[arg(long, env = "PAWANG_TELEGRAM_API_URL")]
    pub telegram_api_url: String,

    /// Address of the tenant's HTTP endpoint.
    #[arg(long, env = "PAWANG_LISTEN", default_value = "0.0.0.0:8080")]
    pub listen: SocketAddr,

    /// Address of an endpoint of its own for the admin calls (logout, the
    /// session's state), which the main one then does not serve: in a
    /// cluster the front door calls the main one and only the operator
    /// this one, and NetworkPolicies tell them apart by port.
    #[arg(long, env = "PAWANG_ADMIN_LISTEN")]
    pub admin_listen: Option<SocketAddr>,

    /// Address of a second endpoint serving only the metrics, for
    /// Prometheus, whom the NetworkPolicy admits to that port alone.
    #[arg(long, env = "PAWANG_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// WhatsApp implementation.
    #[arg(
        long,
        env = "PAWANG_WHATSAPP_BACKEND",
        value_enum,
        default_value = "whatsapp-rust"
    )]
    pub whatsapp_backend: Backend,

    /// The WhatsApp Web version the session presents, `2.3000.1023000000`.
    /// Unset, the current one is fetched from WhatsApp's web site over
    /// HTTPS at a connect, at most once a day; set it where only the chat
    /// endpoint is reachable.
    #[arg(long, env = "PAWANG_WHATSAPP_VERSION", value_parser = parse_version)]
    pub whatsapp_version: Option<(u32, u32, u32)>,

    /// Report pairing and connection on the account's status (needs the
    /// in-cluster service account).
    #[arg(long, env = "PAWANG_REPORT_STATUS", default_value_t = true, action = clap::ArgAction::Set)]
    pub report_status: bool,

    /// Seconds the owner has to enter a pairing code.
    #[arg(long, env = "PAWANG_PAIRING_TIMEOUT", default_value_t = 180, value_parser = clap::value_parser!(u64).range(5..=600))]
    pub pairing_timeout: u64,

    /// Minutes between refreshes of the group list from WhatsApp (0: only
    /// when the owner asks).
    #[arg(long, env = "PAWANG_GROUPS_REFRESH", default_value_t = 60, value_parser = clap::value_parser!(u64).range(0..=10_080))]
    pub groups_refresh: u64,

    /// Stop when the process that started this one goes away (a
    /// standalone install's supervisor, killed), instead of running on
    /// unsupervised.
    #[arg(long, env = "PAWANG_EXIT_WITH_PARENT", default_value_t = false)]
    pub exit_with_parent: bool,

    /// An imported account's files (see `tenant-bot import --kubernetes`),
    /// unpacked into an empty data directory at start; absent or empty
    /// means nothing to unpack.
    #[arg(long, env = "PAWANG_SEED_DIR")]
    pub seed_dir: Option<PathBuf>,
}

impl Settings {
    /// The WhatsApp session store, under its established name.
    pub fn whatsmeow_db(&self) -> PathBuf {
        self.data_dir
            .join(naming::whatsmeow_db_file(self.owner, &self.phone))
    }

    /// The bot's own data, under its established name.
    pub fn bot_data_db(&self) -> PathBuf {
        self.data_dir
            .join(naming::bot_data_db_file(self.owner, &self.phone))
    }
}

fn parse_phone(s: &str) -> Result<PhoneNumber, String> {
    s.parse().map_err(|e: naming::Error| e.to_string())
}

/// The version as the session presents it, read the way the operator
/// reads the one it passes on.
fn parse_version(s: &str) -> Result<(u32, u32, u32), whatsapp_version::Error> {
    s.parse::<WhatsAppVersion>().map(Into::into)
}

fn parse_language(s: &str) -> Result<Language, String> {
    match s {
        "id" => Ok(Language::Id),
        "en" => Ok(Language::En),
        other => Err(format!("{other:?} is not a language; use id or en")),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        settings: Settings,
    }

    fn parse(extra: &[&str]) -> Result<Settings, clap::Error> {
        let base = [
            "tenant",
            "--account=wa-447700900123",
            "--namespace=pawang",
            "--secret-file=/var/run/pawang/tenant-secret",
            "--telegram-api-url=http://pawang-front-door:8081",
        ];
        Cli::try_parse_from(base.iter().chain(extra)).map(|c| c.settings)
    }

    #[test]
    fn defaults_and_file_names() {
        let s = parse(&["--phone=447700900123", "--owner=42"]).unwrap();
        assert_eq!(s.language, Language::Id);
        assert_eq!(s.whatsapp_backend, Backend::WhatsappRust);
        assert_eq!(
            s.whatsmeow_db(),
            PathBuf::from("/data/whatsmeow-42-447700900123.db")
        );
        assert_eq!(
            s.bot_data_db(),
            PathBuf::from("/data/bot_data-42-447700900123.db")
        );
    }

    #[test]
    fn bad_values_are_refused_with_reasons() {
        let err = |args: &[&str]| parse(args).unwrap_err().to_string();
        let e = err(&["--phone=0812", "--owner=42"]);
        assert!(e.contains("does not start with 0"), "{e}");
        let e = err(&["--phone=447700900123", "--owner=42", "--language=fr"]);
        assert!(e.contains("not a language"), "{e}");
        let e = err(&["--phone=447700900123", "--owner=0"]);
        assert!(e.contains("--owner"), "{e}");
        let e = err(&["--phone=447700900123", "--owner=-3"]);
        assert!(e.contains("--owner"), "{e}");
        let e = err(&[
            "--phone=447700900123",
            "--owner=42",
            "--whatsapp-backend=other",
        ]);
        assert!(e.contains("--whatsapp-backend"), "{e}");
        // Which texts are versions is `crds::whatsapp_version`'s to test.
        let e = err(&[
            "--phone=447700900123",
            "--owner=42",
            "--whatsapp-version=2.3000",
        ]);
        assert!(e.contains("not a version"), "{e}");
    }

    #[test]
    fn a_whatsapp_version_is_three_numbers() {
        let s = parse(&["--phone=447700900123", "--owner=42"]).unwrap();
        assert_eq!(s.whatsapp_version, None, "fetched by default");
        let flag = "--whatsapp-version=2.3000.1023000000";
        let s = parse(&["--phone=447700900123", "--owner=42", flag]).unwrap();
        assert_eq!(s.whatsapp_version, Some((2, 3000, 1_023_000_000)));
    }
}
