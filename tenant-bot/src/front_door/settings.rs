//! What the front door is told at start: flags with environment fallbacks.

use std::net::SocketAddr;
use std::path::PathBuf;

/// How updates arrive from Telegram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Intake {
    /// `getUpdates` long polling: no public endpoint, one replica.
    Polling,
    /// Telegram posts to `/telegram/webhook`; several replicas may serve.
    Webhook,
}

/// Who may use the bot and how much: the flags the front door and the
/// standalone install share.
#[derive(Debug, Clone, clap::Args)]
pub struct Access {
    /// Telegram user ids allowed to use /admin (comma separated).
    #[arg(long = "admins", env = "PAWANG_ADMINS", value_delimiter = ',')]
    pub admins: Vec<i64>,

    /// Telegram user ids allowed to register; empty means open
    /// registration. Admins are always allowed.
    #[arg(
        long = "allowed-users",
        env = "PAWANG_ALLOWED_USERS",
        value_delimiter = ','
    )]
    pub allowed_users: Vec<i64>,

    /// Accounts one user may link.
    #[arg(long, env = "PAWANG_MAX_ACCOUNTS_PER_USER", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_accounts_per_user: u32,

    /// Accounts the whole install may hold.
    #[arg(long, env = "PAWANG_MAX_ACCOUNTS", default_value_t = 500,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_accounts: u32,

    /// Updates a user may send per minute before being slowed down
    /// (bursts of a third of that); other users are never slowed.
    #[arg(long, env = "PAWANG_USER_RATE", default_value_t = 30,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub user_rate_per_minute: u32,
}

/// The front door's settings.
#[derive(Debug, Clone, clap::Args)]
pub struct Settings {
    /// File holding the Telegram bot token (a mounted Secret).
    #[arg(long, env = "PAWANG_BOT_TOKEN_FILE")]
    pub bot_token_file: PathBuf,

    /// File holding the install key tenant secrets are derived from.
    #[arg(long, env = "PAWANG_INSTALL_KEY_FILE")]
    pub install_key_file: PathBuf,

    /// Namespace of the WhatsAppAccounts.
    #[arg(long, env = "PAWANG_NAMESPACE")]
    pub namespace: String,

    /// Who may use the bot and how much.
    #[command(flatten)]
    pub access: Access,

    /// Where a tenant's endpoint is, `{name}` and `{namespace}` filled in.
    #[arg(
        long,
        env = "PAWANG_TENANT_URL_TEMPLATE",
        default_value = "http://{name}.{namespace}.svc:8080"
    )]
    pub tenant_url_template: String,

    /// The Telegram Bot API.
    #[arg(
        long,
        env = "PAWANG_TELEGRAM_API_URL",
        default_value = "https://api.telegram.org"
    )]
    pub telegram_api_url: String,

    /// How updates arrive.
    #[arg(long, env = "PAWANG_INTAKE", value_enum, default_value = "polling")]
    pub intake: Intake,

    /// Public HTTPS URL of `/telegram/webhook` (webhook intake only).
    #[arg(long, env = "PAWANG_WEBHOOK_URL", required_if_eq("intake", "webhook"))]
    pub webhook_url: Option<String>,

    /// File holding the secret Telegram sends with each webhook call
    /// (webhook intake only).
    #[arg(
        long,
        env = "PAWANG_WEBHOOK_SECRET_FILE",
        required_if_eq("intake", "webhook")
    )]
    pub webhook_secret_file: Option<PathBuf>,

    /// Address of the webhook, health and metrics endpoint.
    #[arg(long, env = "PAWANG_LISTEN", default_value = "0.0.0.0:8080")]
    pub listen: SocketAddr,

    /// Address of the Telegram gateway tenants call.
    #[arg(long, env = "PAWANG_GATEWAY_LISTEN", default_value = "0.0.0.0:8081")]
    pub gateway_listen: SocketAddr,

    /// Accounts made by `/pair` keep their volume when deleted
    /// (`spec.storage.retainOnDelete`), so a removed account can come back
    /// without pairing again.
    #[arg(long, env = "PAWANG_RETAIN_VOLUMES", default_value_t = false, action = clap::ArgAction::Set)]
    pub retain_volumes: bool,
}

impl Settings {
    /// Whether `user` may register accounts.
    pub fn allowed(&self, user: i64) -> bool {
        let access = &self.access;
        access.allowed_users.is_empty()
            || access.allowed_users.contains(&user)
            || access.admins.contains(&user)
    }

    /// Whether `user` is an admin.
    pub fn is_admin(&self, user: i64) -> bool {
        self.access.admins.contains(&user)
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
            "front-door",
            "--bot-token-file=/var/run/pawang/token",
            "--install-key-file=/var/run/pawang/install-key",
            "--namespace=pawang",
        ];
        Cli::try_parse_from(base.iter().chain(extra)).map(|c| c.settings)
    }

    #[test]
    fn defaults() {
        let s = parse(&[]).unwrap();
        assert_eq!(s.access.max_accounts_per_user, 5);
        assert_eq!(s.access.max_accounts, 500);
        assert_eq!(s.intake, Intake::Polling);
        assert_eq!(s.tenant_url_template, "http://{name}.{namespace}.svc:8080");
        assert!(s.allowed(42), "open registration by default");
        assert!(!s.is_admin(42));
    }

    #[test]
    fn allow_list_and_admins() {
        let s = parse(&["--allowed-users=1,2", "--admins=9"]).unwrap();
        assert!(s.allowed(1) && s.allowed(2) && s.allowed(9));
        assert!(!s.allowed(3));
        assert!(s.is_admin(9) && !s.is_admin(1));
    }

    #[test]
    fn webhook_needs_its_url_and_secret() {
        let e = parse(&["--intake=webhook"]).unwrap_err().to_string();
        assert!(e.contains("--webhook-url"), "{e}");
        let s = parse(&[
            "--intake=webhook",
            "--webhook-url=https://bot.example.org/telegram/webhook",
            "--webhook-secret-file=/var/run/pawang/webhook-secret",
        ])
        .unwrap();
        assert_eq!(s.intake, Intake::Webhook);
    }

    #[test]
    fn bad_values_are_refused() {
        assert!(parse(&["--max-accounts-per-user=0"]).is_err());
        assert!(parse(&["--admins=abc"]).is_err());
        assert!(parse(&["--intake=carrier-pigeon"]).is_err());
    }
}
