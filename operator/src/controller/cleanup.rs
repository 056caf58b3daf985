//! What happens before an account is deleted: its tenant is asked to log
//! out of WhatsApp, a volume to keep is released from the account, and
//! accounts waiting under the account limit are woken. Garbage collection
//! removes the children after.

use crds::WhatsAppAccount;
use k8s_openapi::api::core::v1::PersistentVolumeClaim;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::controller::Action;
use tracing::{info, warn};

use super::Result;
use super::context::{Context, child_ref};
use crate::children::{self, Tenant};
use crate::logout;

/// Cleans up after an account that is being deleted; the finalizer is
/// removed once this succeeds.
pub(super) async fn cleanup(account: &WhatsAppAccount, ctx: &Context) -> Result<Action> {
    ctx.wait_synced().await;
    let tenant = match Tenant::new(account, &ctx.settings.tenant) {
        Ok(tenant) => tenant,
        // Never made a tenant, so there is nothing to clean.
        Err(error) => {
            warn!(error = %crds::naming::why(&error), "account never had a tenant; letting it go");
            return Ok(Action::await_change());
        }
    };
    let ready = ctx
        .children
        .stateful_sets
        .get(&child_ref(&tenant))
        .and_then(|s| s.status.as_ref().and_then(|s| s.ready_replicas))
        .unwrap_or(0)
        >= 1;
    if ready {
        let url = crds::naming::tenant_url(
            &ctx.settings.tenant_admin_url_template,
            &tenant.name,
            &tenant.namespace,
        );
        let secret = ctx.install_key.tenant_secret(&tenant.name);
        match logout::request(&ctx.http, &url, &secret, ctx.settings.logout_timeout).await {
            Ok(()) => info!("tenant logged out"),
            // Deletion must not hang on a tenant that cannot answer.
            Err(error) => warn!(
                error = %crds::naming::why(&error),
                "tenant did not log out; deleting anyway"
            ),
        }
    } else {
        info!("no ready tenant; skipping logout");
    }

    if account.spec.storage.retain_on_delete
        && ctx.children.claims.get(&child_ref(&tenant)).is_some()
    {
        let claim = children::persistent_volume_claim::released(&tenant);
        Api::<PersistentVolumeClaim>::namespaced(ctx.client.clone(), &tenant.namespace)
            .patch(
                &tenant.name,
                &PatchParams::apply(crds::labels::OPERATOR).force(),
                &Patch::Apply(&claim),
            )
            .await?;
        ctx.metrics.wrote("PersistentVolumeClaim");
        info!("volume released and kept");
    }
    // Accounts waiting for a place get one now.
    let waiting = ctx.accounts.state().iter().any(|a| {
        a.status.iter().flat_map(|s| &s.conditions).any(|c| {
            c.type_ == crds::condition::READY && c.reason == crds::condition::reason::QUOTA_EXCEEDED
        })
    });
    if waiting {
        let _ = ctx.reconcile_all.unbounded_send(());
    }
    // Garbage collection removes every child the account still owns.
    Ok(Action::await_change())
}
