//! The operator and the tenant agree: what the operator puts in a tenant
//! pod is what `tenant-bot tenant` accepts. No cluster needed.

use clap::Parser;
use crds::{Language, WhatsAppAccount};
use operator::children::{Tenant, stateful_set};
use operator::settings::TenantDefaults;

#[derive(Parser)]
struct OperatorFlags {
    #[command(flatten)]
    tenant: TenantDefaults,
}

#[derive(Parser)]
struct TenantFlags {
    #[command(flatten)]
    settings: tenant_bot::tenant::Settings,
}

#[test]
fn the_tenant_accepts_the_pod_the_operator_builds() {
    let defaults = OperatorFlags::parse_from(["operator"]).tenant;
    let mut account =
        WhatsAppAccount::for_phone(&"447700900123".parse().unwrap(), 42, Language::En);
    account.metadata.namespace = Some("pawang".into());
    account.metadata.uid = Some("uid-1".into());
    let tenant = Tenant::new(&account, &defaults).unwrap();
    let sts = stateful_set::build(&tenant);
    let container = &sts.spec.template.spec.unwrap().containers[0];
    assert_eq!(
        container.command.as_deref(),
        Some(&["tenant-bot".to_owned()][..])
    );
    let args = container.args.clone().unwrap();
    assert_eq!(args[0], "tenant");

    let parsed = TenantFlags::try_parse_from(
        std::iter::once("tenant".to_owned()).chain(args.into_iter().skip(1)),
    )
    .unwrap_or_else(|e| panic!("the tenant refuses the operator's arguments: {e}"))
    .settings;
    assert_eq!(parsed.account, "wa-447700900123");
    assert_eq!(parsed.namespace, "pawang");
    assert_eq!(parsed.phone.as_str(), "447700900123");
    assert_eq!(parsed.owner, 42);
    assert_eq!(parsed.language, Language::En);
    assert_eq!(
        parsed.bot_data_db(),
        std::path::PathBuf::from("/data/bot_data-42-447700900123.db")
    );
    assert_eq!(
        parsed.secret_file,
        std::path::PathBuf::from("/var/run/pawang/tenant-secret")
    );
    assert_eq!(parsed.telegram_api_url, defaults.telegram_gateway_url);
    assert_eq!(parsed.listen.port(), 8080);
}
