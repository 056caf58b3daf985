//! The `WhatsAppAccount` resource as the API server serves it: generated
//! CRD, defaults, status subresource, schema and CEL validation, printer
//! columns.

use crds::{Language, WhatsAppAccount, labels};
use kube::api::{Api, ApiResource, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kube::{Client, Resource};
use serde_json::{Value, json};
use tests::Cluster;
use tests::cluster::FIELD_MANAGER;

const PHONE: &str = "447700900123";
const OWNER: i64 = 123_456_789;

/// A client and a fresh namespace with the CRD installed.
async fn setup(test: &str) -> (Client, String) {
    let cluster = Cluster::shared();
    let client = cluster.client().await.unwrap();
    cluster.install_crd(&client).await.unwrap();
    let ns = cluster.namespace(&client, test).await.unwrap();
    (client, ns)
}

/// An account as a user would write it, leaving every default out.
fn minimal(phone: &str, owner: Value) -> Value {
    json!({
        "apiVersion": "pawang.dev/v1alpha1",
        "kind": "WhatsAppAccount",
        "metadata": { "name": format!("wa-{phone}") },
        "spec": { "phoneNumber": phone, "owner": { "telegramUserId": owner } },
    })
}

fn dynamic_api(client: &Client, ns: &str) -> Api<DynamicObject> {
    Api::namespaced_with(
        client.clone(),
        ns,
        &ApiResource::erase::<WhatsAppAccount>(&()),
    )
}

fn unprocessable(err: kube::Error) -> String {
    match err {
        kube::Error::Api(status) if status.code == 422 => status.message,
        other => panic!("expected 422 Invalid, got {other:?}"),
    }
}

#[tokio::test]
async fn an_account_reads_back_with_its_defaults() {
    let (client, ns) = setup("account-defaults").await;
    let raw = dynamic_api(&client, &ns);
    let object: DynamicObject = serde_json::from_value(minimal(PHONE, json!(OWNER))).unwrap();
    raw.create(&PostParams::default(), &object).await.unwrap();

    let typed = Api::<WhatsAppAccount>::namespaced(client, &ns);
    let account = typed.get(&format!("wa-{PHONE}")).await.unwrap();
    assert_eq!(account.spec.phone_number, PHONE);
    assert_eq!(account.owner_id(), OWNER);
    assert_eq!(account.spec.language, Language::Id);
    assert!(!account.spec.suspend);
    assert_eq!(account.spec.storage.size, None);
    assert!(!account.spec.storage.retain_on_delete);
    assert_eq!(account.spec.storage.storage_class_name, None);
    assert_eq!(account.status, None);
}

#[tokio::test]
async fn accounts_are_listed_by_owner() {
    let (client, ns) = setup("account-owner").await;
    let api = Api::<WhatsAppAccount>::namespaced(client, &ns);
    let mine = WhatsAppAccount::for_phone(&PHONE.parse().unwrap(), OWNER, Language::En);
    let theirs = WhatsAppAccount::for_phone(&"12025550123".parse().unwrap(), 42, Language::Id);
    for account in [&mine, &theirs] {
        api.create(&PostParams::default(), account).await.unwrap();
    }

    let listed = api
        .list(&ListParams::default().labels(&labels::owner_selector(OWNER)))
        .await
        .unwrap();
    let names: Vec<_> = listed.iter().map(|a| a.meta().name.clone()).collect();
    assert_eq!(names, vec![Some(format!("wa-{PHONE}"))]);
    assert_eq!(listed.items[0].spec, mine.spec);
}

#[tokio::test]
async fn status_is_a_subresource() {
    let (client, ns) = setup("account-status").await;
    let api = Api::<WhatsAppAccount>::namespaced(client, &ns);
    let name = format!("wa-{PHONE}");

    // Status sent with the main resource is dropped by the API server.
    let mut with_status = minimal(PHONE, json!(OWNER));
    with_status["status"] = json!({ "phase": "Connected" });
    let account: WhatsAppAccount = serde_json::from_value(with_status).unwrap();
    api.create(&PostParams::default(), &account).await.unwrap();
    assert_eq!(api.get(&name).await.unwrap().status, None);

    // Through the subresource it sticks, conditions merged by type.
    let status = |conditions: Value| {
        Patch::Apply(json!({
            "apiVersion": "pawang.dev/v1alpha1",
            "kind": "WhatsAppAccount",
            "status": { "phase": "AwaitingPairing", "conditions": conditions },
        }))
    };
    let condition = |kind: &str| {
        json!({
            "type": kind, "status": "False", "reason": "Test", "message": "",
            "lastTransitionTime": "2026-01-01T00:00:00Z",
        })
    };
    api.patch_status(
        &name,
        &PatchParams::apply("writer-a"),
        &status(json!([condition("Ready")])),
    )
    .await
    .unwrap();
    api.patch_status(
        &name,
        &PatchParams::apply("writer-b").force(),
        &status(json!([condition("Paired")])),
    )
    .await
    .unwrap();
    let status = api.get(&name).await.unwrap().status.unwrap();
    assert_eq!(status.phase, Some(crds::Phase::AwaitingPairing));
    let mut types: Vec<_> = status.conditions.iter().map(|c| c.type_.as_str()).collect();
    types.sort_unstable();
    assert_eq!(
        types,
        ["Paired", "Ready"],
        "each writer keeps its own condition"
    );
}

#[tokio::test]
async fn invalid_specs_are_rejected_naming_the_field() {
    let (client, ns) = setup("account-invalid").await;
    let api = dynamic_api(&client, &ns);

    // (case, account, text the API server's message must contain)
    let with = |edit: fn(&mut Value)| {
        let mut account = minimal(PHONE, json!(OWNER));
        edit(&mut account);
        account
    };
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "phone with letters",
            minimal("4477009abc12", json!(OWNER)),
            "spec.phoneNumber",
        ),
        (
            "phone with leading 0",
            minimal("07700900123", json!(OWNER)),
            "spec.phoneNumber",
        ),
        (
            "phone too short",
            minimal("1234567", json!(OWNER)),
            "spec.phoneNumber",
        ),
        (
            "phone too long",
            minimal("1234567890123456", json!(OWNER)),
            "spec.phoneNumber",
        ),
        (
            "phone with plus sign",
            with(|a| a["spec"]["phoneNumber"] = json!("+447700900123")),
            "spec.phoneNumber",
        ),
        (
            "phone missing",
            with(|a| drop(a["spec"].as_object_mut().map(|s| s.remove("phoneNumber")))),
            "spec.phoneNumber: Required value",
        ),
        (
            "owner 0",
            minimal(PHONE, json!(0)),
            "spec.owner.telegramUserId",
        ),
        (
            "owner negative",
            minimal(PHONE, json!(-5)),
            "spec.owner.telegramUserId",
        ),
        (
            "owner not a number",
            minimal(PHONE, json!("me")),
            "spec.owner.telegramUserId",
        ),
        (
            "owner missing",
            with(|a| drop(a["spec"].as_object_mut().map(|s| s.remove("owner")))),
            "spec.owner: Required value",
        ),
        (
            "unknown language",
            with(|a| a["spec"]["language"] = json!("fr")),
            "spec.language",
        ),
        (
            "size not a quantity",
            with(|a| a["spec"]["storage"] = json!({ "size": "banana" })),
            "spec.storage.size",
        ),
        (
            "size zero",
            with(|a| a["spec"]["storage"] = json!({ "size": "0" })),
            "spec.storage.size",
        ),
        (
            "size negative",
            with(|a| a["spec"]["storage"] = json!({ "size": "-1Gi" })),
            "spec.storage.size",
        ),
        (
            "name not derived from the phone",
            with(|a| a["metadata"]["name"] = json!("wa-someone-else")),
            "metadata.name must be 'wa-' followed by spec.phoneNumber",
        ),
    ];
    assert!(cases.len() >= 10);

    for (case, account, field) in cases {
        let name = account["metadata"]["name"].as_str().unwrap().to_owned();
        let object: DynamicObject = serde_json::from_value(account).unwrap();
        let err = api
            .create(&PostParams::default(), &object)
            .await
            .map(|_| ())
            .expect_err(case);
        let message = unprocessable(err);
        assert!(
            message.contains(field),
            "{case}: {message:?} should name {field:?}"
        );
        // Rejected means nothing was stored.
        assert!(
            api.get_opt(&name).await.unwrap().is_none(),
            "{case}: stored anyway"
        );
    }
}

#[tokio::test]
async fn phone_number_and_owner_are_immutable() {
    let (client, ns) = setup("account-immutable").await;
    let api = Api::<WhatsAppAccount>::namespaced(client, &ns);
    let name = format!("wa-{PHONE}");
    let account = WhatsAppAccount::for_phone(&PHONE.parse().unwrap(), OWNER, Language::Id);
    api.create(&PostParams::default(), &account).await.unwrap();

    let merge = |spec: Value| Patch::Merge(json!({ "spec": spec }));
    let err = api
        .patch(
            &name,
            &PatchParams::default(),
            &merge(json!({ "phoneNumber": "447700900999" })),
        )
        .await
        .expect_err("phoneNumber changed");
    assert!(unprocessable(err).contains("phoneNumber is immutable"));

    let err = api
        .patch(
            &name,
            &PatchParams::default(),
            &merge(json!({ "owner": { "telegramUserId": 7 } })),
        )
        .await
        .expect_err("owner changed");
    assert!(unprocessable(err).contains("owner is immutable"));

    // The other fields stay editable, and the identity is unchanged.
    let patched = api
        .patch(
            &name,
            &PatchParams::default(),
            &merge(json!({ "language": "en", "suspend": true })),
        )
        .await
        .unwrap();
    assert_eq!(patched.spec.language, Language::En);
    assert!(patched.spec.suspend);
    assert_eq!(patched.spec.phone_number, PHONE);
    assert_eq!(patched.owner_id(), OWNER);
}

#[tokio::test]
async fn kubectl_get_wa_shows_the_printer_columns() {
    let cluster = Cluster::shared();
    let (client, ns) = setup("account-columns").await;
    let api = Api::<WhatsAppAccount>::namespaced(client, &ns);
    let name = format!("wa-{PHONE}");
    let account = WhatsAppAccount::for_phone(&PHONE.parse().unwrap(), OWNER, Language::Id);
    api.create(&PostParams::default(), &account).await.unwrap();
    api.patch_status(
        &name,
        &PatchParams::apply(FIELD_MANAGER),
        &Patch::Apply(json!({
            "apiVersion": "pawang.dev/v1alpha1",
            "kind": "WhatsAppAccount",
            "status": {
                "phase": "Connected",
                "conditions": [{
                    "type": "Connected", "status": "True", "reason": "Connected",
                    "message": "", "lastTransitionTime": "2026-01-01T00:00:00Z",
                }],
            },
        })),
    )
    .await
    .unwrap();

    let output = cluster
        .command("kubectl")
        .args(["get", "wa", "--namespace", &ns])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let rows: Vec<Vec<&str>> = stdout
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows[0],
        ["NAME", "OWNER", "PHASE", "CONNECTED", "AGE"],
        "{stdout}"
    );
    assert_eq!(rows.len(), 2, "{stdout}");
    assert_eq!(
        rows[1][..4],
        [name.as_str(), "123456789", "Connected", "True"],
        "{stdout}"
    );
}
