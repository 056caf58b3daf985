//! Leader election on a `coordination.k8s.io/v1` Lease, so that two
//! replicas never reconcile at once.
//!
//! The holder renews the Lease every third of its duration; another
//! replica takes it only once `renewTime + leaseDurationSeconds` has
//! passed. Every write carries the resourceVersion it read, so two replicas
//! racing for an expired Lease cannot both win.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::api::{Api, ObjectMeta, PostParams};
use kube::{Client, ResourceExt};

/// One replica's handle on the Lease.
#[derive(Debug, Clone)]
pub struct LeaseLock {
    api: Api<Lease>,
    name: String,
    identity: String,
    duration: Duration,
}

impl LeaseLock {
    /// A handle on Lease `name` in `namespace` for this replica.
    pub fn new(
        client: Client,
        namespace: &str,
        name: &str,
        identity: &str,
        duration: Duration,
    ) -> Self {
        Self {
            api: Api::namespaced(client, namespace),
            name: name.to_owned(),
            identity: identity.to_owned(),
            duration,
        }
    }

    /// How often the holder renews.
    pub fn renew_interval(&self) -> Duration {
        self.duration / 3
    }

    /// Takes the Lease if it is free or expired, renews it if held;
    /// returns whether this replica holds it now.
    pub async fn try_acquire_or_renew(&self) -> kube::Result<bool> {
        let now = Timestamp::now();
        let Some(lease) = self.api.get_opt(&self.name).await? else {
            return self.create(now).await;
        };
        let spec = lease.spec.clone().unwrap_or_default();
        let ours = spec.holder_identity.as_deref() == Some(&self.identity);
        let held_for = spec
            .lease_duration_seconds
            .map_or(self.duration.as_secs() as i64, i64::from);
        let expired = spec.holder_identity.is_none()
            || spec
                .renew_time
                .as_ref()
                .is_none_or(|renewed| renewed.0 + SignedDuration::from_secs(held_for) <= now);
        if !ours && !expired {
            return Ok(false);
        }
        let mut spec = spec;
        if !ours {
            spec.acquire_time = Some(MicroTime(now));
            spec.lease_transitions = Some(spec.lease_transitions.unwrap_or(0) + 1);
            spec.holder_identity = Some(self.identity.clone());
        }
        spec.renew_time = Some(MicroTime(now));
        spec.lease_duration_seconds = Some(self.duration_seconds());
        self.replace(lease, spec).await
    }

    /// Gives the Lease up so another replica need not wait for it to
    /// expire.
    pub async fn release(&self) -> kube::Result<()> {
        let Some(lease) = self.api.get_opt(&self.name).await? else {
            return Ok(());
        };
        let mut spec = lease.spec.clone().unwrap_or_default();
        if spec.holder_identity.as_deref() != Some(&self.identity) {
            return Ok(());
        }
        spec.holder_identity = None;
        spec.renew_time = None;
        self.replace(lease, spec).await.map(|_| ())
    }

    fn duration_seconds(&self) -> i32 {
        i32::try_from(self.duration.as_secs()).unwrap_or(i32::MAX)
    }

    async fn create(&self, now: Timestamp) -> kube::Result<bool> {
        let lease = Lease {
            metadata: ObjectMeta {
                name: Some(self.name.clone()),
                ..ObjectMeta::default()
            },
            spec: Some(LeaseSpec {
                holder_identity: Some(self.identity.clone()),
                lease_duration_seconds: Some(self.duration_seconds()),
                acquire_time: Some(MicroTime(now)),
                renew_time: Some(MicroTime(now)),
                lease_transitions: Some(0),
                ..LeaseSpec::default()
            }),
        };
        match self.api.create(&PostParams::default(), &lease).await {
            Ok(_) => Ok(true),
            Err(kube::Error::Api(status)) if status.code == 409 => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Writes `spec` over `lease`, only if nobody changed it since it was
    /// read (the resourceVersion in `lease` makes this a compare-and-swap).
    async fn replace(&self, mut lease: Lease, spec: LeaseSpec) -> kube::Result<bool> {
        lease.spec = Some(spec);
        let name = lease.name_any();
        match self
            .api
            .replace(&name, &PostParams::default(), &lease)
            .await
        {
            Ok(_) => Ok(true),
            Err(kube::Error::Api(status)) if status.code == 409 => Ok(false),
            Err(e) => Err(e),
        }
    }
}
