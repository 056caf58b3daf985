//! The tenant's NetworkPolicy: only the front door may call its update
//! endpoint, only the operator its admin endpoint, and only Prometheus
//! (from another namespace) or the install's own pods may read its metrics
//! port; it may call only DNS, the API server, HTTPS (WhatsApp) and the
//! front door's Telegram gateway.

use crds::labels;
use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
    NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{ADMIN_PORT, HTTP_PORT, METRICS_PORT, Tenant};

/// Private ranges left out of "HTTPS anywhere", so a tenant cannot reach
/// services inside the cluster network over 443.
const PRIVATE_RANGES: [&str; 3] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

/// Builds the NetworkPolicy.
pub fn build(tenant: &Tenant<'_>) -> NetworkPolicy {
    NetworkPolicy {
        metadata: tenant.metadata(),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector {
                match_labels: Some(tenant.selector()),
                ..LabelSelector::default()
            }),
            policy_types: Some(vec!["Ingress".into(), "Egress".into()]),
            ingress: Some(vec![
                NetworkPolicyIngressRule {
                    from: Some(vec![pawang_pods(&[labels::COMPONENT_FRONT_DOOR])]),
                    ports: Some(vec![port("TCP", HTTP_PORT)]),
                },
                NetworkPolicyIngressRule {
                    from: Some(vec![pawang_pods(&[labels::COMPONENT_OPERATOR])]),
                    ports: Some(vec![port("TCP", ADMIN_PORT)]),
                },
                NetworkPolicyIngressRule {
                    from: Some(vec![other_namespaces(&tenant.namespace), not_tenants()]),
                    ports: Some(vec![port("TCP", METRICS_PORT)]),
                },
            ]),
            egress: Some(vec![
                NetworkPolicyEgressRule {
                    to: None,
                    ports: Some(vec![port("UDP", 53), port("TCP", 53)]),
                },
                // The API server, for its own status: on 443 or 6443, as
                // the pods see it after the kubernetes Service.
                NetworkPolicyEgressRule {
                    to: api_server(&tenant.defaults.api_server_cidrs),
                    ports: Some(vec![port("TCP", 443), port("TCP", 6443)]),
                },
                NetworkPolicyEgressRule {
                    to: Some(vec![NetworkPolicyPeer {
                        ip_block: Some(IPBlock {
                            cidr: "0.0.0.0/0".into(),
                            except: Some(PRIVATE_RANGES.map(String::from).into()),
                        }),
                        ..NetworkPolicyPeer::default()
                    }]),
                    ports: Some(vec![port("TCP", 443)]),
                },
                NetworkPolicyEgressRule {
                    to: Some(vec![pawang_pods(&[labels::COMPONENT_FRONT_DOOR])]),
                    ports: Some(vec![port(
                        "TCP",
                        i32::from(tenant.defaults.telegram_gateway_port),
                    )]),
                },
            ]),
        }),
    }
}

/// Pods of this install's given components, in the tenant's namespace.
fn pawang_pods(components: &[&str]) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        pod_selector: Some(LabelSelector {
            match_labels: Some([(labels::NAME.to_owned(), labels::APP.to_owned())].into()),
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: labels::COMPONENT.into(),
                operator: "In".into(),
                values: Some(components.iter().map(|c| (*c).to_owned()).collect()),
            }]),
        }),
        ..NetworkPolicyPeer::default()
    }
}

/// The API server's addresses; none (any address) when not given.
fn api_server(cidrs: &[String]) -> Option<Vec<NetworkPolicyPeer>> {
    (!cidrs.is_empty()).then(|| {
        cidrs
            .iter()
            .map(|cidr| NetworkPolicyPeer {
                ip_block: Some(IPBlock {
                    cidr: cidr.clone(),
                    except: None,
                }),
                ..NetworkPolicyPeer::default()
            })
            .collect()
    })
}

/// Every pod of every namespace but `namespace`.
fn other_namespaces(namespace: &str) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        namespace_selector: Some(LabelSelector {
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: "kubernetes.io/metadata.name".into(),
                operator: "NotIn".into(),
                values: Some(vec![namespace.to_owned()]),
            }]),
            ..LabelSelector::default()
        }),
        ..NetworkPolicyPeer::default()
    }
}

/// The pods of the tenant's namespace that are not tenants.
fn not_tenants() -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        pod_selector: Some(LabelSelector {
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: labels::COMPONENT.into(),
                operator: "NotIn".into(),
                values: Some(vec![labels::COMPONENT_TENANT.into()]),
            }]),
            ..LabelSelector::default()
        }),
        ..NetworkPolicyPeer::default()
    }
}

fn port(protocol: &str, number: i32) -> NetworkPolicyPort {
    NetworkPolicyPort {
        protocol: Some(protocol.into()),
        port: Some(IntOrString::Int(number)),
        ..NetworkPolicyPort::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::children::fixture;

    fn policy() -> NetworkPolicySpec {
        let account = fixture::account();
        let defaults = fixture::defaults();
        build(&Tenant::new(&account, &defaults).unwrap())
            .spec
            .unwrap()
    }

    fn ports(rule_ports: &Option<Vec<NetworkPolicyPort>>) -> Vec<(String, i32)> {
        rule_ports
            .iter()
            .flatten()
            .map(|p| {
                let IntOrString::Int(n) = p.port.clone().unwrap() else {
                    panic!("named port")
                };
                (p.protocol.clone().unwrap(), n)
            })
            .collect()
    }

    #[test]
    fn metrics_are_read_from_other_namespaces_and_by_no_tenant() {
        let ingress = policy().ingress.unwrap();
        let metrics = &ingress[2];
        assert_eq!(ports(&metrics.ports), [("TCP".into(), 9090)]);
        let from = metrics.from.clone().unwrap();
        let namespaces = from[0].namespace_selector.clone().unwrap();
        let other = &namespaces.match_expressions.unwrap()[0];
        assert_eq!(
            (other.operator.as_str(), other.values.clone()),
            (
                "NotIn",
                Some(vec![
                    kube::ResourceExt::namespace(&fixture::account()).unwrap()
                ])
            )
        );
        let pods = from[1].pod_selector.clone().unwrap();
        let not_tenant = &pods.match_expressions.unwrap()[0];
        assert_eq!(
            (not_tenant.operator.as_str(), not_tenant.values.clone()),
            ("NotIn", Some(vec!["tenant".into()]))
        );
        assert_eq!(from[1].namespace_selector, None, "same namespace only");
    }

    #[test]
    fn updates_from_the_front_door_admin_calls_from_the_operator() {
        let ingress = policy().ingress.unwrap();
        assert_eq!(ingress.len(), 3);
        for (rule, component, port) in [
            (&ingress[0], "front-door", 8080),
            (&ingress[1], "operator", 8082),
        ] {
            let from = rule.from.clone().unwrap();
            assert_eq!(from.len(), 1);
            let selector = from[0].pod_selector.clone().unwrap();
            assert_eq!(
                selector.match_expressions.unwrap()[0].values,
                Some(vec![component.into()])
            );
            assert_eq!(from[0].namespace_selector, None, "same namespace only");
            assert_eq!(ports(&rule.ports), [("TCP".into(), port)]);
        }
    }

    #[test]
    fn egress_is_dns_the_api_https_and_the_gateway() {
        let spec = policy();
        assert_eq!(
            spec.policy_types,
            Some(vec!["Ingress".into(), "Egress".into()])
        );
        let egress = spec.egress.unwrap();
        let all: Vec<_> = egress.iter().flat_map(|r| ports(&r.ports)).collect();
        assert_eq!(
            all,
            [
                ("UDP".into(), 53),
                ("TCP".into(), 53),
                ("TCP".into(), 443),
                ("TCP".into(), 6443),
                ("TCP".into(), 443),
                ("TCP".into(), 8081)
            ]
        );
        assert_eq!(egress[1].to, None, "the API server anywhere by default");
        let https = egress[2].to.clone().unwrap()[0].ip_block.clone().unwrap();
        assert!(https.except.unwrap().contains(&"10.0.0.0/8".into()));
    }

    #[test]
    fn the_api_server_is_where_the_install_says() {
        let account = fixture::account();
        let mut defaults = fixture::defaults();
        defaults.api_server_cidrs = vec!["10.0.0.1/32".into(), "192.168.1.0/24".into()];
        let spec = build(&Tenant::new(&account, &defaults).unwrap())
            .spec
            .unwrap();
        let to = spec.egress.unwrap()[1].to.clone().unwrap();
        let cidrs: Vec<_> = to
            .iter()
            .map(|p| p.ip_block.clone().unwrap().cidr)
            .collect();
        assert_eq!(cidrs, ["10.0.0.1/32", "192.168.1.0/24"]);
    }
}
