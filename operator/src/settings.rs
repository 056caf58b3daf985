//! Operator-wide settings: flags with environment fallbacks (the chart sets
//! the environment).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crds::WhatsAppVersion;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

/// Everything the operator is told at start.
#[derive(Debug, Clone, clap::Args)]
pub struct Settings {
    /// Namespace whose WhatsAppAccounts this operator serves.
    #[arg(long, env = "PAWANG_NAMESPACE")]
    pub namespace: String,

    /// File holding the install key that tenant secrets are derived from.
    #[arg(long, env = "PAWANG_INSTALL_KEY_FILE")]
    pub install_key_file: PathBuf,

    /// Most accounts the install serves; accounts beyond it get phase
    /// Failed with reason QuotaExceeded.
    #[arg(long, env = "PAWANG_MAX_ACCOUNTS", default_value_t = 500)]
    pub max_accounts: usize,

    /// Address of `/metrics`, `/healthz` and `/readyz`.
    #[arg(long, env = "PAWANG_LISTEN", default_value = "0.0.0.0:8080")]
    pub listen: SocketAddr,

    /// Accounts reconciled at the same time.
    #[arg(long, env = "PAWANG_CONCURRENCY", default_value_t = 16)]
    pub concurrency: u16,

    /// URL of a tenant's admin endpoint, used to ask it to log out before
    /// its account is deleted; `{name}` and `{namespace}` are replaced.
    #[arg(
        long,
        env = "PAWANG_TENANT_ADMIN_URL_TEMPLATE",
        default_value = "http://{name}.{namespace}.svc:8082"
    )]
    pub tenant_admin_url_template: String,

    /// How long the logout request before deletion may take.
    #[arg(long, env = "PAWANG_LOGOUT_TIMEOUT", default_value = "5s", value_parser = parse_duration)]
    pub logout_timeout: Duration,

    #[command(flatten)]
    pub tenant: TenantDefaults,

    #[command(flatten)]
    pub leader: LeaderSettings,
}

/// What every tenant pod gets unless its account says otherwise.
#[derive(Debug, Clone, clap::Args)]
pub struct TenantDefaults {
    /// Container image holding `tenant-bot`. Fully qualified: a bare
    /// `pawang:<version>` would be looked up on a public registry. The
    /// default is the name `make image` gives the image it builds.
    #[arg(long = "tenant-image", env = "PAWANG_TENANT_IMAGE", default_value = concat!("localhost/pawang:", env!("CARGO_PKG_VERSION")))]
    pub image: String,

    /// Pull policy of the tenant image.
    #[arg(
        long = "tenant-image-pull-policy",
        env = "PAWANG_TENANT_IMAGE_PULL_POLICY",
        default_value = "IfNotPresent"
    )]
    pub image_pull_policy: String,

    /// URL of the front door's Telegram gateway, the only way tenants
    /// reach Telegram.
    #[arg(
        long,
        env = "PAWANG_TELEGRAM_GATEWAY_URL",
        default_value = "http://pawang-front-door:8081"
    )]
    pub telegram_gateway_url: String,

    /// Port of the front door's Telegram gateway, opened to tenants by
    /// their NetworkPolicy.
    #[arg(long, env = "PAWANG_TELEGRAM_GATEWAY_PORT", default_value_t = 8081)]
    pub telegram_gateway_port: u16,

    /// Where the Kubernetes API server is (CIDRs, comma-separated), for
    /// the tenants' NetworkPolicy: they report their own status. Empty:
    /// TCP 443 and 6443 to any address.
    #[arg(long, env = "PAWANG_API_SERVER_CIDRS", value_delimiter = ',')]
    pub api_server_cidrs: Vec<String>,

    /// Volume size when the account does not set one.
    #[arg(long, env = "PAWANG_STORAGE_SIZE", default_value = "256Mi", value_parser = parse_quantity)]
    pub storage_size: Quantity,

    /// Storage class when the account does not set one; the cluster
    /// default when neither does.
    #[arg(long, env = "PAWANG_STORAGE_CLASS")]
    pub storage_class: Option<String>,

    /// CPU request of a tenant.
    #[arg(long = "tenant-cpu-request", env = "PAWANG_TENANT_CPU_REQUEST", default_value = "10m", value_parser = parse_quantity)]
    pub cpu_request: Quantity,

    /// Memory request of a tenant.
    #[arg(long = "tenant-memory-request", env = "PAWANG_TENANT_MEMORY_REQUEST", default_value = "32Mi", value_parser = parse_quantity)]
    pub memory_request: Quantity,

    /// Memory limit of a tenant.
    #[arg(long = "tenant-memory-limit", env = "PAWANG_TENANT_MEMORY_LIMIT", default_value = "256Mi", value_parser = parse_quantity)]
    pub memory_limit: Quantity,

    /// The tenants' WhatsApp implementation: `fake` is a stand-in for
    /// tests on a cluster that cannot reach WhatsApp; unset, tenants use
    /// the real client.
    #[arg(
        long = "tenant-whatsapp-backend",
        env = "PAWANG_TENANT_WHATSAPP_BACKEND",
        value_parser = ["whatsapp-rust", "fake"]
    )]
    pub whatsapp_backend: Option<String>,

    /// The WhatsApp Web version tenants present (`2.3000.1023000000`);
    /// unset, each fetches the current one from WhatsApp's web site.
    #[arg(
        long = "tenant-whatsapp-version",
        env = "PAWANG_TENANT_WHATSAPP_VERSION"
    )]
    pub whatsapp_version: Option<WhatsAppVersion>,
}

/// Leader election on a `coordination.k8s.io` Lease.
#[derive(Debug, Clone, clap::Args)]
pub struct LeaderSettings {
    /// Name of the Lease that elects the active replica.
    #[arg(long, env = "PAWANG_LEASE_NAME", default_value = "pawang-operator")]
    pub lease_name: String,

    /// This replica's identity in the Lease; the pod name in a cluster.
    #[arg(long, env = "POD_NAME")]
    pub identity: Option<String>,

    /// How long a Lease holds without renewal.
    #[arg(long, env = "PAWANG_LEASE_DURATION", default_value = "15s", value_parser = parse_duration)]
    pub lease_duration: Duration,
}

/// Parses `500ms`, `5s`, `2m`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let (digits, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like 5s"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        _ => Err(format!("{s:?}: use ms, s or m")),
    }
}

/// Accepts quantities such as `10m`, `32Mi`, `1Gi`, `2`.
pub fn parse_quantity(s: &str) -> Result<Quantity, String> {
    const SUFFIXES: [&str; 13] = [
        "", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi",
    ];
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, suffix) = s.split_at(split);
    if digits.is_empty() || !SUFFIXES.contains(&suffix) {
        return Err(format!("{s:?} is not a quantity like 256Mi"));
    }
    Ok(Quantity(s.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("1h").is_err());
    }

    #[test]
    fn a_pinned_whatsapp_version_is_read_as_one() {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            tenant: TenantDefaults,
        }
        let parse = |flag: &str| {
            <Cli as clap::Parser>::try_parse_from(["operator", flag]).map(|c| c.tenant)
        };
        let pinned = parse("--tenant-whatsapp-version=2.3000.1023000000").unwrap();
        assert_eq!(
            pinned.whatsapp_version.map(|v| v.to_string()).as_deref(),
            Some("2.3000.1023000000")
        );
        let error = parse("--tenant-whatsapp-version=2.3000").unwrap_err();
        assert!(error.to_string().contains("not a version"), "{error}");
    }

    #[test]
    fn quantities() {
        for ok in ["10m", "32Mi", "1Gi", "2"] {
            assert_eq!(parse_quantity(ok).map(|q| q.0), Ok(ok.to_owned()));
        }
        for bad in ["", "Mi", "1.5Gi", "12 Mi", "1Xi", "-1"] {
            assert!(parse_quantity(bad).is_err(), "{bad}");
        }
    }
}
