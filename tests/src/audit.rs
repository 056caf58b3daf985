//! The API server's audit log: which requests a user really sent.

use std::path::Path;

use serde_json::Value;

/// One request as the audit log records it.
#[derive(Debug, Clone)]
pub struct Request {
    /// `create`, `update`, `patch`, `delete`, `get`, `list`, `watch`…
    pub verb: String,
    /// Who sent it.
    pub user: String,
    /// API group, empty for the core group.
    pub group: String,
    /// Resource plural, e.g. `statefulsets`.
    pub resource: String,
    /// Subresource, e.g. `status`.
    pub subresource: String,
    /// Namespace, for namespaced requests.
    pub namespace: String,
    /// Object name, when there is one.
    pub name: String,
}

impl Request {
    /// Whether the request changes state.
    pub fn is_write(&self) -> bool {
        matches!(
            self.verb.as_str(),
            "create" | "update" | "patch" | "delete" | "deletecollection"
        )
    }
}

/// Every completed request in the log so far (one entry per request: the
/// `ResponseComplete` stage).
pub fn requests(log: &Path) -> Vec<Request> {
    requests_since(log, 0)
}

/// The number of entries in the log so far, to look only at what comes
/// after a point in a test.
pub fn len(log: &Path) -> usize {
    read(log).lines().count()
}

/// Completed requests after the first `skip` log lines.
pub fn requests_since(log: &Path, skip: usize) -> Vec<Request> {
    read(log)
        .lines()
        .skip(skip)
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|event| event["stage"] == "ResponseComplete")
        .map(|event| {
            let field = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            let object = &event["objectRef"];
            Request {
                verb: field(&event["verb"]),
                user: field(&event["user"]["username"]),
                group: field(&object["apiGroup"]),
                resource: field(&object["resource"]),
                subresource: field(&object["subresource"]),
                namespace: field(&object["namespace"]),
                name: field(&object["name"]),
            }
        })
        .collect()
}

fn read(log: &Path) -> String {
    std::fs::read_to_string(log).unwrap_or_default()
}
