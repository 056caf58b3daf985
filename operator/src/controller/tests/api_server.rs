//! A mocked API server for reconcile tests. A test names, in order, the
//! requests a reconcile should make and how each is answered; the server
//! checks every request against that list and answers it, and fails the
//! test on a request it did not expect or on one that never came.

use http::{Method, Request, Response, StatusCode};
use kube::Client;
use kube::client::Body;
use serde_json::{Value, json};
use tokio::task::JoinHandle;

/// The server's end of a client.
pub type Handle = tower_test::mock::Handle<Request<Body>, Response<Body>>;

/// A client whose every request goes to the returned server end.
pub fn client() -> (Client, Handle) {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    (Client::new(service, "default"), handle)
}

/// A test's look at a request's body.
type Check = Box<dyn FnOnce(&Value) + Send>;

/// How the server answers one request.
enum Answer {
    /// With the object the request sent, as an apply or a create is.
    Echo,
    /// With this status and body.
    Json(StatusCode, Value),
}

/// One request a reconcile should make next, and its answer.
pub struct Expected {
    method: Method,
    path: String,
    /// Query parameters and content type that make the request what it
    /// is meant to be, such as a forced server-side apply.
    query: &'static [&'static str],
    content_type: Option<&'static str>,
    check: Option<Check>,
    answer: Answer,
}

impl Expected {
    fn new(method: Method, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            query: &[],
            content_type: None,
            check: None,
            answer: Answer::Echo,
        }
    }

    /// A forced server-side apply of the object at `path` by the operator,
    /// answered with the object applied.
    pub fn apply(path: impl Into<String>) -> Self {
        Self {
            query: &["fieldManager=pawang-operator", "force=true"],
            content_type: Some("application/apply-patch+yaml"),
            ..Self::new(Method::PATCH, path)
        }
    }

    /// A JSON patch of the object at `path`, the way the finalizer is
    /// added and removed.
    pub fn json_patch(path: impl Into<String>) -> Self {
        Self {
            content_type: Some("application/json-patch+json"),
            ..Self::new(Method::PATCH, path)
        }
    }

    /// A create in the collection at `path`, answered with the object made.
    pub fn create(path: impl Into<String>) -> Self {
        Self::new(Method::POST, path)
    }

    /// A delete of the object at `path`.
    pub fn delete(path: impl Into<String>) -> Self {
        Self::new(Method::DELETE, path)
    }

    /// Checks the request's body, parsed as JSON.
    pub fn body(mut self, check: impl FnOnce(&Value) + Send + 'static) -> Self {
        self.check = Some(Box::new(check));
        self
    }

    /// Answers with `body` rather than with the object sent.
    pub fn answer(mut self, body: Value) -> Self {
        self.answer = Answer::Json(StatusCode::OK, body);
        self
    }

    /// Answers as the API server refuses a request: a `Status` with `code`.
    pub fn refuse(mut self, code: u16, reason: &str, message: &str) -> Self {
        let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": reason,
            "code": code,
        });
        self.answer = Answer::Json(status, body);
        self
    }

    fn line(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// The requests one reconcile should make, in order, under a name that
/// says what the reconcile is about.
pub struct Scenario {
    name: &'static str,
    expected: Vec<Expected>,
}

impl Scenario {
    /// A scenario in which nothing is asked of the API server yet.
    pub fn new(name: &'static str) -> Self {
        Self {
            name,
            expected: Vec::new(),
        }
    }

    /// The next request.
    pub fn then(mut self, expected: Expected) -> Self {
        self.expected.push(expected);
        self
    }

    /// Serves the scenario. The task ends, with the requests it served,
    /// once every client is dropped; it panics on a request out of turn
    /// and on an expected one that never came.
    pub fn serve(self, mut handle: Handle) -> JoinHandle<Vec<String>> {
        let name = self.name;
        tokio::spawn(async move {
            let mut served = Vec::new();
            for expected in self.expected {
                let want = expected.line();
                let Some((request, respond)) = handle.next_request().await else {
                    panic!("{name}: expected {want} after {served:?}, but no request came");
                };
                let (parts, body) = request.into_parts();
                let got = format!("{} {}", parts.method, parts.uri.path());
                assert_eq!(got, want, "{name}: request after {served:?}");
                let query: Vec<&str> = parts.uri.query().unwrap_or("").split('&').collect();
                for parameter in expected.query {
                    assert!(
                        query.contains(parameter),
                        "{name}: {got} without {parameter}"
                    );
                }
                if let Some(content_type) = expected.content_type {
                    let sent = parts.headers.get(http::header::CONTENT_TYPE);
                    assert_eq!(
                        sent.and_then(|v| v.to_str().ok()),
                        Some(content_type),
                        "{name}: {got}"
                    );
                }
                let bytes = body.collect_bytes().await.unwrap();
                let sent: Value = if bytes.is_empty() {
                    Value::Null
                } else {
                    serde_json::from_slice(&bytes).unwrap()
                };
                if let Some(check) = expected.check {
                    check(&sent);
                }
                let (status, reply) = match expected.answer {
                    Answer::Echo => (StatusCode::OK, sent),
                    Answer::Json(status, reply) => (status, reply),
                };
                let response = Response::builder()
                    .status(status)
                    .header(http::header::CONTENT_TYPE, "application/json")
                    .body(Body::from(serde_json::to_vec(&reply).unwrap()))
                    .unwrap();
                // The caller may have given up on it already (a request
                // beside one that failed); that is no error of the server.
                respond.send_response(response);
                served.push(got);
            }
            if let Some((request, _)) = handle.next_request().await {
                panic!(
                    "{name}: unexpected {} {} after {served:?}",
                    request.method(),
                    request.uri().path()
                );
            }
            served
        })
    }
}
