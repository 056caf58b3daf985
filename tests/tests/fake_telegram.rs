//! The fake Telegram Bot API server speaks the Bot API's protocol; the
//! bot's tests rely on it.
#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use tests::fake_telegram::FakeTelegram;

const TOKEN: &str = "wa-447700900123:0123456789abcdef";

async fn call(fake: &FakeTelegram, token: &str, method: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/bot{token}/{method}", fake.url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn accepts_only_its_tokens_and_records_calls() {
    let fake = FakeTelegram::start(&[TOKEN]).await;
    let (status, body) = call(&fake, "123:real-token", "getMe", json!({})).await;
    assert_eq!((status, body["ok"].clone()), (401, json!(false)));
    assert!(fake.calls().is_empty(), "refused calls are not recorded");

    let (status, body) = call(
        &fake,
        TOKEN,
        "sendMessage",
        json!({"chat_id": 42, "text": "halo"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["result"]["chat"]["id"], 42);
    assert_eq!(body["result"]["text"], "halo");
    let calls = fake.calls_of("sendMessage");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].token, TOKEN);
    assert_eq!(calls[0].params["text"], "halo");
}

#[tokio::test]
async fn injects_rate_limits_with_retry_after() {
    let fake = FakeTelegram::start(&[TOKEN]).await;
    fake.fail_next("sendMessage", 429, Some(3), 1);
    let (status, body) = call(
        &fake,
        TOKEN,
        "sendMessage",
        json!({"chat_id": 1, "text": "a"}),
    )
    .await;
    assert_eq!(status, 429);
    assert_eq!(body["parameters"]["retry_after"], 3);
    let (status, _) = call(
        &fake,
        TOKEN,
        "sendMessage",
        json!({"chat_id": 1, "text": "a"}),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn serves_updates_by_offset_and_waits_for_new_ones() {
    let fake = FakeTelegram::start(&[TOKEN]).await;
    let first = fake.push_update(json!({"message": {"text": "/start"}}));
    let (_, body) = call(&fake, TOKEN, "getUpdates", json!({"offset": 0})).await;
    assert_eq!(body["result"][0]["update_id"], first);

    // Confirming the first by offset, then a long poll woken by a push.
    let pusher = fake.clone();
    let push = tokio::spawn(async move {
        pusher
            .wait_for("getUpdates", |c| c.params["offset"] == json!(first + 1))
            .await;
        pusher.push_update(json!({"message": {"text": "/menu"}}))
    });
    let (_, body) = call(
        &fake,
        TOKEN,
        "getUpdates",
        json!({"offset": first + 1, "timeout": 5}),
    )
    .await;
    let second = push.await.unwrap();
    assert_eq!(body["result"].as_array().unwrap().len(), 1);
    assert_eq!(body["result"][0]["update_id"], second);
}

#[tokio::test]
async fn serves_files_and_records_uploads() {
    let fake = FakeTelegram::start(&[TOKEN]).await;
    fake.add_file("f1", b"Grup A\nGrup B\n".to_vec());
    let (_, body) = call(&fake, TOKEN, "getFile", json!({"file_id": "f1"})).await;
    let path = body["result"]["file_path"].as_str().unwrap().to_owned();
    let bytes = reqwest::get(format!("{}/file/bot{TOKEN}/{path}", fake.url()))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&bytes[..], b"Grup A\nGrup B\n");
    let (status, _) = call(&fake, TOKEN, "getFile", json!({"file_id": "nope"})).await;
    assert_eq!(status, 400);

    let form = reqwest::multipart::Form::new().text("chat_id", "42").part(
        "document",
        reqwest::multipart::Part::bytes(b"a,b\n".to_vec()).file_name("groups.csv"),
    );
    let status = reqwest::Client::new()
        .post(format!("{}/bot{TOKEN}/sendDocument", fake.url()))
        .multipart(form)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
    let upload = &fake.calls_of("sendDocument")[0];
    assert_eq!(upload.params["chat_id"], 42);
    assert_eq!(upload.params["document"]["file_name"], "groups.csv");
    assert_eq!(upload.params["document"]["size"], 4);
}
