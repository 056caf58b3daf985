//! The API server and etcd crash and come back while accounts are being
//! created and a job runs in a tenant's pod. The test has a cluster of its
//! own, since it stops its control plane; the node goes on meanwhile, as a
//! real one would.
#![allow(clippy::unwrap_used)]

use std::sync::Mutex;

use crds::{Language, Phase, WhatsAppAccount};
use k8s_openapi::api::apps::v1::StatefulSet;
use kube::api::{Api, ListParams, PostParams};
use tests::chat::{button, message_id, press, said, said_after, text, to};
use tests::fake_telegram::FakeTelegram;
use tests::front_door::{self, BOT_TOKEN, FrontDoor};
use tests::operator::INSTALL_KEY;
use tests::stack::node_address;
use tests::tenants::Tenants;
use tests::wait::{wait_until, wait_until_for};
use tests::{Cluster, Operator};

/// Groups of the user whose job runs across the restart; at the default
/// pause of 2 s between items the job takes over half a minute.
const GROUPS: usize = 16;
/// Accounts created just before the control plane goes.
const CREATED: u32 = 10;

fn phase(account: &WhatsAppAccount) -> Option<Phase> {
    account.status.as_ref().and_then(|s| s.phase)
}

#[tokio::test]
async fn the_api_server_and_etcd_restarting_lose_and_double_nothing() {
    let cluster = Cluster::own();
    let client = cluster.client().await.unwrap();
    cluster.install_crd(&client).await.unwrap();
    let ns = cluster.namespace(&client, "restart").await.unwrap();
    let accounts: Api<WhatsAppAccount> = Api::namespaced(client.clone(), &ns);
    let telegram = FakeTelegram::start(&[BOT_TOKEN]).await;
    let gateway = node_address(&cluster);
    let tenants = Tenants::new(client.clone(), &ns, INSTALL_KEY);
    let template = Tenants::url_template();
    let gateway_url = format!("http://{gateway}");
    let gateway_port = gateway.port().to_string();
    let operator_flags = [
        "--tenant-whatsapp-backend",
        "fake",
        "--telegram-gateway-url",
        gateway_url.as_str(),
        "--telegram-gateway-port",
        gateway_port.as_str(),
    ];
    let operator = Mutex::new(Operator::start(&cluster, &ns, &operator_flags));
    let kubeconfig = front_door::identity_in(&cluster, &client, &ns).await;
    let door = FrontDoor::start(front_door::Options {
        namespace: ns.clone(),
        kubeconfig,
        telegram_url: telegram.url(),
        tenant_url_template: template.clone(),
        gateway,
        extra: Vec::new(),
        token: None,
    })
    .await;

    // A user links an account and starts a job over their groups.
    let owner = 7_901;
    let account = "wa-6281200000901";
    link(&telegram, &tenants, owner, "0812-0000-0901", account).await;
    for g in 0..GROUPS {
        tenants.add_group(account, &format!("Arisan {g:02}")).await;
    }
    let calls = telegram.calls().len();
    telegram.push_update(text(owner, "/groups"));
    let list = said_after(&telegram, calls, owner, "1. Arisan").await;
    telegram.push_update(press(owner, &button(&list, "job:links"), message_id(&list)));
    said(&telegram, owner, "Which groups?").await;
    telegram.push_update(text(owner, "all"));
    let confirm = said(
        &telegram,
        owner,
        &format!("Invite links for {GROUPS} groups"),
    )
    .await;
    telegram.push_update(press(
        owner,
        &button(&confirm, "job:start"),
        message_id(&confirm),
    ));
    let done = format!("Invite links: ✅ {GROUPS} done, ❌ 0 failed.");
    said(&telegram, owner, &format!("/{GROUPS} (")).await;

    // Accounts are being created when the API server and etcd crash.
    for n in 0..CREATED {
        let phone = format!("447700900{:03}", 100 + n);
        let created =
            WhatsAppAccount::for_phone(&phone.parse().unwrap(), 7_950 + i64::from(n), Language::En);
        accounts
            .create(&PostParams::default(), &created)
            .await
            .unwrap();
    }
    cluster.stop_api_server();
    let said_done = |telegram: &FakeTelegram| {
        let finished = to(owner, &done);
        telegram.calls().iter().any(finished)
    };
    assert!(
        !said_done(&telegram),
        "the job ended before the control plane went; it must run across it"
    );

    // Meanwhile the user is served: routing needs no API server.
    let calls = telegram.calls().len();
    telegram.push_update(text(owner, "/menu"));
    said_after(&telegram, calls, owner, "Account: ").await;

    cluster.start_api_server();
    // An operator that could not renew its lease stopped, so that no two
    // replicas ever reconcile at once; its Deployment starts another.
    let restart_if_stopped = || {
        let mut operator = operator.lock().unwrap();
        if operator.exited() {
            let log = operator.log();
            assert!(
                log.contains("lease not renewed in time"),
                "the operator stopped for another reason:\n{log}"
            );
            *operator = Operator::start(&cluster, &ns, &operator_flags);
        }
    };

    // Every account created before the crash gets its tenant, once.
    let statefulsets: Api<StatefulSet> = Api::namespaced(client.clone(), &ns);
    wait_until_for(
        "every account provisioned after the restart",
        std::time::Duration::from_secs(180),
        || async {
            restart_if_stopped();
            let listed = accounts.list(&ListParams::default()).await.ok()?;
            let waiting = listed
                .items
                .iter()
                .filter(|a| phase(a) == Some(Phase::AwaitingPairing))
                .count();
            (waiting == CREATED as usize).then_some(())
        },
    )
    .await;
    let sets = statefulsets.list(&ListParams::default()).await.unwrap();
    assert_eq!(
        sets.items.len(),
        CREATED as usize + 1,
        "one StatefulSet per account"
    );
    let mut owners: Vec<_> = sets
        .items
        .iter()
        .flat_map(|s| s.metadata.owner_references.iter().flatten())
        .map(|o| o.name.clone())
        .collect();
    owners.sort();
    owners.dedup();
    assert_eq!(owners.len(), CREATED as usize + 1, "{owners:?}");

    // The job went on and completed: every group decided once, none
    // failed.
    said(&telegram, owner, &done).await;

    // The linked account is reported connected again, and a new user can
    // pair: the front door's watch of accounts came back too.
    wait_until("the first account connected", || async {
        restart_if_stopped();
        let got = accounts.get(account).await.ok()?;
        (phase(&got) == Some(Phase::Connected)).then_some(())
    })
    .await;
    link(
        &telegram,
        &tenants,
        7_902,
        "0812-0000-0902",
        "wa-6281200000902",
    )
    .await;
    drop(door);
}

/// `/pair`s `number` for `owner` through Telegram and enters the code.
async fn link(telegram: &FakeTelegram, tenants: &Tenants, owner: i64, number: &str, account: &str) {
    let calls = telegram.calls().len();
    telegram.push_update(text(owner, &format!("/pair {number}")));
    said_after(telegram, calls, owner, "Pairing code").await;
    tenants.enter_code(account).await;
    said_after(telegram, calls, owner, "is connected").await;
}
