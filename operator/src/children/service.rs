//! The tenant's headless Service: a stable DNS name for the front door and
//! the operator to reach its one pod.
//!
//! The name resolves as soon as the pod has an address, ready or not: a
//! tenant talks to its owner from its first second (a pairing code, say),
//! and the owner's answer (a Cancel pressed at once) must reach it then,
//! not a readiness period later.

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{HTTP_PORT, Tenant};

/// Builds the headless Service.
pub fn build(tenant: &Tenant<'_>) -> Service {
    Service {
        metadata: tenant.metadata(),
        spec: Some(ServiceSpec {
            cluster_ip: Some("None".into()),
            publish_not_ready_addresses: Some(true),
            selector: Some(tenant.selector()),
            ports: Some(vec![ServicePort {
                name: Some("http".into()),
                port: HTTP_PORT,
                target_port: Some(IntOrString::String("http".into())),
                protocol: Some("TCP".into()),
                ..ServicePort::default()
            }]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::children::fixture;

    #[test]
    fn headless_and_selecting_the_tenant() {
        let account = fixture::account();
        let defaults = fixture::defaults();
        let tenant = Tenant::new(&account, &defaults).unwrap();
        let spec = build(&tenant).spec.unwrap();
        assert_eq!(spec.cluster_ip.as_deref(), Some("None"));
        assert_eq!(spec.publish_not_ready_addresses, Some(true));
        assert_eq!(spec.selector, Some(tenant.selector()));
        assert_eq!(spec.ports.unwrap()[0].port, 8080);
    }
}
