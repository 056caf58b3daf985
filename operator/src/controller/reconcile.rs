//! One reconcile of one account: [`reconcile`] hands the account to
//! `finalizer`, which calls [`apply`] (children, status, seed, stuck pod)
//! or the cleanup before deletion; [`error_policy`] says when a failed one
//! is tried again.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crds::naming::Redacted;
use crds::{Phase, WhatsAppAccount, labels};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{ObjectReference, Pod, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::runtime::events::{Event, EventType};
use kube::runtime::finalizer::{self, finalizer};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Resource, ResourceExt};
use tracing::{Instrument, debug, info, info_span, warn};

use super::cleanup::cleanup;
use super::context::{Child, Context, child_ref};
use super::{Error, FINALIZER, RESYNC, Result};
use crate::children::{self, Tenant};
use crate::status::{self, Observed};
use crate::{diff, quota, trouble};

/// Reconciles one account through the finalizer, and counts the outcome.
pub(super) async fn reconcile(account: Arc<WhatsAppAccount>, ctx: Arc<Context>) -> Result<Action> {
    let started = Instant::now();
    let span = info_span!("reconcile", account = %Redacted(account.name_any()));
    let api = Api::<WhatsAppAccount>::namespaced(ctx.client.clone(), &ctx.settings.namespace);
    let result = finalizer(&api, FINALIZER, account.clone(), |event| async {
        match event {
            finalizer::Event::Apply(account) => apply(&account, &ctx).await,
            finalizer::Event::Cleanup(account) => cleanup(&account, &ctx).await,
        }
    })
    .instrument(span)
    .await
    .map_err(|e| Error::Finalizer(Box::new(e)));

    let key = ObjectRef::from_obj(account.as_ref());
    if result.is_ok()
        && let Ok(mut failures) = ctx.failures.lock()
    {
        failures.remove(&key);
    }
    ctx.metrics
        .reconciled(started.elapsed(), result.as_ref().err().map(Error::reason));
    result
}

/// Per-account exponential backoff: 1 s, 2 s, 4 s… up to 5 minutes; one
/// failing account never slows the others.
pub(super) fn error_policy(
    account: Arc<WhatsAppAccount>,
    error: &Error,
    ctx: Arc<Context>,
) -> Action {
    let key = ObjectRef::from_obj(account.as_ref());
    let attempt = ctx.failures.lock().map_or(0, |mut failures| {
        let n = failures.entry(key).or_default();
        *n = n.saturating_add(1);
        *n
    });
    let delay = Duration::from_secs(1u64 << attempt.min(9).saturating_sub(1)).min(RESYNC);
    warn!(
        account = %Redacted(account.name_any()),
        error = %crds::naming::why(error),
        retry_in = ?delay,
        "reconcile failed"
    );
    Action::requeue(delay)
}

/// Brings an account's tenant to what the account says: its children
/// applied (unless the account limit is reached), its status written, an
/// imported account's seed dropped once paired, a stuck pod replaced.
async fn apply(account: &WhatsAppAccount, ctx: &Context) -> Result<Action> {
    ctx.wait_synced().await;
    let tenant = Tenant::new(account, &ctx.settings.tenant)?;
    let all = ctx.accounts.state();
    let quota_exceeded = quota::exceeded(
        all.iter().map(AsRef::as_ref),
        account,
        ctx.settings.max_accounts,
    );

    if !quota_exceeded {
        let c = &ctx.children;
        // Everything the pod needs, at once; then the pod's StatefulSet, so
        // its first pod does not fail for a missing account or volume.
        futures::try_join!(
            ctx.ensure(
                &c.service_accounts,
                children::service_account::build(&tenant)
            ),
            // The Role before its binding: without the right to bind any
            // Role, the API server checks a binding against the Role's
            // rules, and a Role not there yet fails the binding.
            async {
                ctx.ensure(&c.roles, children::role::build(&tenant)).await?;
                ctx.ensure(&c.role_bindings, children::role_binding::build(&tenant))
                    .await
            },
            ctx.ensure(
                &c.secrets,
                children::secret::build(&tenant, &ctx.install_key)
            ),
            ctx.ensure(
                &c.network_policies,
                children::network_policy::build(&tenant)
            ),
            ctx.ensure(&c.claims, children::persistent_volume_claim::build(&tenant)),
            ctx.ensure(&c.services, children::service::build(&tenant)),
        )?;
        ctx.ensure(&c.stateful_sets, children::stateful_set::build(&tenant))
            .await?;
    }

    let stateful_set = ctx.children.stateful_sets.get(&child_ref(&tenant));
    let pod = ctx
        .children
        .pods
        .get(&ObjectRef::new(&format!("{}-0", tenant.name)).within(&tenant.namespace));
    let observed = Observed {
        account,
        stateful_set: stateful_set.as_deref(),
        pod: pod.as_deref(),
        quota_exceeded,
    };
    let desired = status::desired(observed, &Time(Timestamp::now()));
    if !desired.is_current(account) {
        let api = Api::<WhatsAppAccount>::namespaced(ctx.client.clone(), &tenant.namespace);
        api.patch_status(
            &tenant.name,
            &PatchParams::apply(labels::OPERATOR).force(),
            &Patch::Apply(desired.apply_patch()),
        )
        .await?;
        ctx.metrics.wrote("WhatsAppAccountStatus");
        let before = account.status.as_ref().and_then(|s| s.phase);
        if before != Some(desired.phase) {
            info!(from = ?before, to = ?desired.phase, "phase changed");
            ctx.publish(account, desired.phase, &desired.conditions[0].message)
                .await;
        }
    }
    if is_paired(account) {
        ctx.drop_seed(&tenant).await?;
    }
    if let (Some(sts), Some(pod)) = (stateful_set.as_deref(), pod.as_deref()) {
        ctx.replace_stuck_pod(sts, pod).await?;
    }
    Ok(Action::requeue(RESYNC))
}

/// Whether the tenant reports a linked device.
fn is_paired(account: &WhatsAppAccount) -> bool {
    account
        .status
        .iter()
        .flat_map(|s| &s.conditions)
        .any(|c| c.type_ == crds::condition::PAIRED && c.status == "True")
}

/// The writes an apply makes.
impl Context {
    /// Applies `desired` with server-side apply unless the cache shows the
    /// live object already has all of it.
    async fn ensure<K: Child>(&self, cache: &Store<K>, desired: K) -> Result<()> {
        let name = desired.name_any();
        let namespace = desired.namespace().unwrap_or_default();
        let key = ObjectRef::<K>::new(&name).within(&namespace);
        if let Some(live) = cache.get(&key) {
            let difference = diff::first_difference(
                &serde_json::to_value(live.as_ref())?,
                &serde_json::to_value(&desired)?,
            );
            let Some(path) = difference else {
                return Ok(());
            };
            debug!(kind = %K::kind(&()), %path, "child differs");
        }
        Api::<K>::namespaced(self.client.clone(), &namespace)
            .patch(
                &name,
                &PatchParams::apply(labels::OPERATOR).force(),
                &Patch::Apply(&desired),
            )
            .await?;
        self.metrics.wrote(&K::kind(&()));
        Ok(())
    }

    /// Deletes the account's seed (an imported account's files, see
    /// `tenant-bot import --kubernetes`) once its tenant has them: session
    /// keys should not outlive their use outside the volume. The pod
    /// mounts the seed as optional, so its spec does not change.
    async fn drop_seed(&self, tenant: &Tenant<'_>) -> Result<()> {
        let name = crds::naming::seed_secret(&tenant.name);
        let key = ObjectRef::<Secret>::new(&name).within(&tenant.namespace);
        if self.children.secrets.get(&key).is_none() {
            return Ok(());
        }
        match Api::<Secret>::namespaced(self.client.clone(), &tenant.namespace)
            .delete(&name, &DeleteParams::default())
            .await
        {
            Ok(_) => {
                self.metrics.wrote("Secret");
                info!("imported files unpacked; seed deleted");
                Ok(())
            }
            Err(kube::Error::Api(response)) if response.code == 404 => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    /// Deletes a tenant's pod that cannot run (its image missing, say) and
    /// was made from an older template than its StatefulSet's: a
    /// StatefulSet waits for its pod to be ready before it replaces it, so
    /// a fix to the template (a corrected image) would never reach a pod
    /// that is broken. The StatefulSet makes the new pod at once.
    async fn replace_stuck_pod(&self, sts: &StatefulSet, pod: &Pod) -> Result<()> {
        let Some(update) = sts
            .status
            .as_ref()
            .and_then(|s| s.update_revision.as_deref())
        else {
            return Ok(());
        };
        let revision = pod.labels().get("controller-revision-hash");
        let stuck = trouble::of(pod).is_some_and(|t| t.needs_action);
        if !stuck || revision.is_none_or(|r| r == update) {
            return Ok(());
        }
        let name = pod.name_any();
        let namespace = pod.namespace().unwrap_or_default();
        let params = DeleteParams {
            preconditions: Some(kube::api::Preconditions {
                uid: pod.uid(),
                resource_version: None,
            }),
            ..DeleteParams::default()
        };
        match Api::<Pod>::namespaced(self.client.clone(), &namespace)
            .delete(&name, &params)
            .await
        {
            Ok(_) => {
                self.metrics.wrote("Pod");
                info!("a failing pod replaced by one of the new template");
                Ok(())
            }
            // Gone already, or replaced meanwhile.
            Err(kube::Error::Api(response)) if matches!(response.code, 404 | 409) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    /// Records a phase change as an Event on the account.
    async fn publish(&self, account: &WhatsAppAccount, phase: Phase, note: &str) {
        let type_ = match phase {
            Phase::Failed | Phase::Banned | Phase::LoggedOut => EventType::Warning,
            _ => EventType::Normal,
        };
        let event = Event {
            type_,
            reason: format!("{phase:?}"),
            note: Some(note.to_owned()),
            action: "Reconcile".into(),
            secondary: None,
        };
        let reference: ObjectReference = account.object_ref(&());
        if let Err(error) = self.recorder.publish(&event, &reference).await {
            warn!(error = %crds::naming::why(&error), "cannot publish event");
        }
    }
}
