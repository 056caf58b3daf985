//! The tenant's headless Service: a stable DNS name for the front door (on
//! `http`) and the operator (on `admin`) to reach its one pod.
//!
//! The name resolves as soon as the pod has an address, ready or not: a
//! tenant talks to its owner from its first second (a pairing code, say),
//! and the owner's answer (a Cancel pressed at once) must reach it then,
//! not a readiness period later.

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{ADMIN_PORT, HTTP_PORT, Tenant};

/// Builds the headless Service.
pub fn build(tenant: &Tenant<'_>) -> Service {
    Service {
        metadata: tenant.metadata(),
        spec: Some(ServiceSpec {
            cluster_ip: Some("None".into()),
            publish_not_ready_addresses: Some(true),
            selector: Some(tenant.selector()),
            ports: Some(vec![port("http", HTTP_PORT), port("admin", ADMIN_PORT)]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}

fn port(name: &str, number: i32) -> ServicePort {
    ServicePort {
        name: Some(name.into()),
        port: number,
        target_port: Some(IntOrString::String(name.into())),
        protocol: Some("TCP".into()),
        ..ServicePort::default()
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
        let ports: Vec<_> = spec
            .ports
            .unwrap()
            .into_iter()
            .map(|p| (p.name.unwrap(), p.port, p.target_port.unwrap()))
            .collect();
        assert_eq!(
            ports,
            [
                ("http".into(), 8080, IntOrString::String("http".into())),
                ("admin".into(), 8082, IntOrString::String("admin".into()))
            ]
        );
    }
}
