//! Pairing through teloxide against the fake Bot API server: the code
//! reaches the owner's chat with the tenant's credential, never a bot
//! token, and the message is edited in place when the owner enters it.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use crds::{Language, PhoneNumber};
use tenant_bot::protocol::callback::{Pair, Tenant};
use tenant_bot::telegram::{Catalog, TelegramMessenger};
use tenant_bot::tenant::pairing::{Outcome, Pairing, Timing};
use tenant_bot::whatsapp::fake::Fake;
use tests::fake_telegram::FakeTelegram;
use tokio_util::sync::CancellationToken;

const CREDENTIAL: &str = "wa-447700900123:0123456789abcdef0123456789abcdef";
const OWNER: i64 = 555_000_111;

#[tokio::test]
async fn the_code_reaches_the_owner_and_is_edited_when_entered() {
    let telegram = FakeTelegram::start(&[CREDENTIAL]).await;
    let messenger = TelegramMessenger::new(telegram.url().parse().unwrap(), CREDENTIAL, OWNER);
    let fake = Arc::new(Fake::new());
    let cancelled = CancellationToken::new();

    let pairing = {
        let fake = fake.clone();
        tokio::spawn(async move {
            let catalog = Catalog::new().unwrap();
            let phone: PhoneNumber = "447700900123".parse().unwrap();
            Pairing {
                whatsapp: fake.as_ref(),
                messenger: &messenger,
                catalog: &catalog,
                language: Language::Id,
                phone: &phone,
                timing: Timing::default(),
            }
            .run(cancelled)
            .await
        })
    };

    let sent = telegram
        .wait_for("sendMessage", |c| {
            c.params["text"]
                .as_str()
                .unwrap_or_default()
                .contains("FAKE-")
        })
        .await;
    assert_eq!(sent.token, CREDENTIAL);
    assert_eq!(sent.params["chat_id"], OWNER);
    let text = sent.params["text"].as_str().unwrap();
    assert!(
        text.contains("Kode pairing"),
        "Indonesian by default: {text}"
    );
    assert!(!text.contains("447700900123"), "full number shown: {text}");
    assert_eq!(
        sent.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"],
        Tenant::Pair(Pair::Cancel).to_string()
    );

    fake.enter_code().unwrap();
    assert!(matches!(pairing.await.unwrap(), Outcome::Paired { .. }));
    let edited = telegram
        .wait_for("editMessageText", |c| {
            c.params["text"]
                .as_str()
                .unwrap_or_default()
                .contains("tersambung")
        })
        .await;
    assert_eq!(edited.params["chat_id"], OWNER);
    assert_eq!(edited.params["message_id"], 1);
}

#[tokio::test]
async fn telegram_429s_are_waited_out_as_asked() {
    use tenant_bot::telegram::Messenger;

    let telegram = FakeTelegram::start(&[CREDENTIAL]).await;
    let messenger = TelegramMessenger::new(telegram.url().parse().unwrap(), CREDENTIAL, OWNER);
    telegram.fail_next("sendMessage", 429, Some(1), 2);
    let started = std::time::Instant::now();
    let id = messenger.send("halo".into(), vec![]).await.unwrap();
    assert!(id > 0);
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(2),
        "retried before retry_after passed"
    );
    assert_eq!(telegram.calls_of("sendMessage").len(), 3);

    // It gives up after a few attempts instead of waiting forever.
    telegram.fail_next("sendMessage", 429, Some(0), 10);
    assert!(messenger.send("halo".into(), vec![]).await.is_err());
}
