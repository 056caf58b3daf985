//! A WhatsApp server of our own, for the production adapter's tests: it
//! speaks the protocol the real client speaks (a WebSocket, WhatsApp's
//! framing, the Noise XX handshake with a self-made certificate chain,
//! then encrypted binary nodes) and plays scenarios written as data: the
//! node the client must send, and what the server answers.
//!
//! The client accepts the self-made chain only when whatsapp-rust is built
//! with `danger-skip-cert-chain-verify`, which this crate turns on for its
//! own builds alone; the release build of tenant-bot never has it.
//!
//! A device that is not paired yet pairs by code with a [`Phone`] the
//! test holds, which plays the owner's phone.
//!
//! The people in its groups are phones of its own ([`peers`]): each
//! has Signal keys, handed out as pre-key bundles, so the client encrypts
//! a group message to them for real and a test reads it back.
//!
//! What the server does not emulate: media, app-state sync, a peer with
//! more than one device (which would need signed device lists), and the
//! IK handshake a cached certificate would lead to (its chain has no
//! expiry, so the client never caches it and stays on XX).

mod peers;
mod phone;

pub use peers::Read;
pub use phone::{Entered, Opened, Phone, pairing_ref};

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};
use tokio_websockets::{Message, ServerBuilder, WebSocketStream};
use whatsapp_rust::NodeBuilder;
use whatsapp_rust::buffa::{Message as _, MessageField};
use whatsapp_rust::wacore::framing::{FrameDecoder, encode_frame};
use whatsapp_rust::wacore::libsignal::protocol::PrivateKey;
use whatsapp_rust::wacore::noise::{NoiseCipher, NoiseHandshake};
use whatsapp_rust::wacore_binary::marshal::{marshal, unmarshal_ref};
use whatsapp_rust::wacore_binary::util::unpack;
pub use whatsapp_rust::wacore_binary::{Node, NodeContent};
use whatsapp_rust::waproto::whatsapp as wa;

/// The first bytes of a connection: "WA", protocol 6, dictionary 3. Also
/// the Noise prologue.
const HEADER: [u8; 4] = [b'W', b'A', 6, 3];
/// The Noise protocol name, zero-padded to a hash's length.
const PATTERN: &str = "Noise_XX_25519_AESGCM_SHA256\0\0\0\0";
/// How long a test waits for the client to send what a scenario expects.
const STEP: Duration = Duration::from_secs(30);
/// IQ namespaces a client sends on its own after login (properties,
/// privacy, pre-keys, contacts, keepalive, ...): answered with an empty
/// result unless a scenario expects them.
const CHATTER: &[&str] = &[
    "passive",
    "abt",
    "blocklist",
    "privacy",
    "encrypt",
    "usync",
    "w:p",
    "urn:xmpp:ping",
    "w:sync:app:state",
    "w:m",
    "w:stats",
    "md",
    "tos",
    "w:web",
    "dirty",
    "w:biz",
    "status",
];

/// What a client node must be for an exchange to take it.
#[derive(Clone, Debug)]
pub struct Expect {
    tag: String,
    attrs: Vec<(String, String)>,
    child: Option<String>,
    /// A `<user jid>` somewhere inside.
    user: Option<String>,
}

impl Expect {
    /// An `<iq xmlns type>`.
    pub fn iq(xmlns: &str, kind: &str) -> Self {
        Self::node("iq").attr("xmlns", xmlns).attr("type", kind)
    }

    /// Any node tagged `tag`.
    pub fn node(tag: &str) -> Self {
        Self {
            tag: tag.to_owned(),
            attrs: Vec::new(),
            child: None,
            user: None,
        }
    }

    /// ... whose attribute `key` is `value`.
    #[must_use]
    pub fn attr(mut self, key: &str, value: &str) -> Self {
        self.attrs.push((key.to_owned(), value.to_owned()));
        self
    }

    /// ... holding a child tagged `tag`.
    #[must_use]
    pub fn child(mut self, tag: &str) -> Self {
        self.child = Some(tag.to_owned());
        self
    }

    /// ... asking about the user `jid` (a `<user jid>` inside, at any
    /// depth): tells a query of the test's from the client's own.
    #[must_use]
    pub fn about(mut self, jid: &str) -> Self {
        self.user = Some(jid.to_owned());
        self
    }

    fn matches(&self, node: &Node) -> bool {
        node.tag == self.tag.as_str()
            && self
                .attrs
                .iter()
                .all(|(k, v)| attr(node, k).as_deref() == Some(v.as_str()))
            && self
                .child
                .as_ref()
                .is_none_or(|tag| node.get_optional_child(tag).is_some())
            && self.user.as_ref().is_none_or(|jid| names_user(node, jid))
    }
}

impl std::fmt::Display for Expect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{}", self.tag)?;
        for (k, v) in &self.attrs {
            write!(f, " {k}=\"{v}\"")?;
        }
        if let Some(jid) = &self.user {
            write!(f, " (about {jid})")?;
        }
        match &self.child {
            Some(child) => write!(f, "><{child}…/></{}>", self.tag),
            None => write!(f, "/>"),
        }
    }
}

/// Builds the server's answer from the client's node.
pub type Answer = Box<dyn Fn(&Node) -> Vec<Node> + Send + Sync>;

/// What the server answers a node a scenario expected.
pub enum Reply {
    /// `<iq type="result">` with the request's id, holding these nodes.
    Result(Vec<Node>),
    /// `<iq type="error">` with the request's id: `<error code text
    /// backoff?/>`.
    Error {
        code: u16,
        text: &'static str,
        backoff: Option<u32>,
    },
    /// `<ack class="message">` of a message, a refusal when `error` is
    /// set (`479`, say).
    Ack { error: Option<&'static str> },
    /// Whatever the function makes of the request.
    With(Answer),
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Result(nodes) => f.debug_tuple("Result").field(nodes).finish(),
            Self::Error { code, text, .. } => write!(f, "Error({code} {text})"),
            Self::Ack { error } => write!(f, "Ack({error:?})"),
            Self::With(_) => f.write_str("With(..)"),
        }
    }
}

impl Reply {
    /// An empty result.
    pub fn ok() -> Self {
        Self::Result(Vec::new())
    }

    /// WhatsApp's rate limit, asking to wait `seconds`.
    pub fn rate_limited(seconds: u32) -> Self {
        Self::Error {
            code: 429,
            text: "rate-overlimit",
            backoff: Some(seconds),
        }
    }

    /// An error with `code` and `text`, and no backoff.
    pub fn error(code: u16, text: &'static str) -> Self {
        Self::Error {
            code,
            text,
            backoff: None,
        }
    }

    fn answer(&self, request: &Node) -> Vec<Node> {
        match self {
            Self::Result(children) => vec![result(request, children.clone())],
            Self::Error {
                code,
                text,
                backoff,
            } => {
                let mut error = NodeBuilder::new("error")
                    .attr("code", code.to_string())
                    .attr("text", *text);
                if let Some(backoff) = backoff {
                    error = error.attr("backoff", backoff.to_string());
                }
                vec![reply_to(request, "error").children([error.build()]).build()]
            }
            Self::Ack { error } => {
                let mut ack = NodeBuilder::new("ack")
                    .attr("class", "message")
                    .attr("t", unix_now().to_string());
                for key in ["id", "to"] {
                    if let Some(value) = attr(request, key) {
                        ack = ack.attr(if key == "to" { "from" } else { key }, value);
                    }
                }
                if let Some(code) = error {
                    ack = ack.attr("error", *code);
                }
                vec![ack.build()]
            }
            Self::With(answer) => answer(request),
        }
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Whether `node` holds a `<user jid>`, at any depth.
fn names_user(node: &Node, jid: &str) -> bool {
    children(node)
        .iter()
        .any(|c| (c.tag == "user" && attr(c, "jid").as_deref() == Some(jid)) || names_user(c, jid))
}

/// `<iq type="result">` answering `request`, holding `children`.
pub fn result(request: &Node, children: Vec<Node>) -> Node {
    let builder = reply_to(request, "result");
    if children.is_empty() {
        builder.build()
    } else {
        builder.children(children).build()
    }
}

fn reply_to(request: &Node, kind: &'static str) -> NodeBuilder {
    let mut builder = NodeBuilder::new("iq").attr("type", kind);
    if let Some(id) = attr(request, "id") {
        builder = builder.attr("id", id);
    }
    let from = attr(request, "to").unwrap_or_else(|| "s.whatsapp.net".to_owned());
    builder.attr("from", from)
}

/// A node's attribute, as text.
pub fn attr(node: &Node, key: &str) -> Option<String> {
    node.attrs.get(key).map(|v| v.as_str().into_owned())
}

/// The children of `node`, none when it has none.
pub fn children(node: &Node) -> &[Node] {
    node.children().unwrap_or_default()
}

struct Exchange {
    expect: Expect,
    reply: Reply,
    taken: oneshot::Sender<Node>,
}

/// A node the server sends on the connection, or the connection's end.
enum Outgoing {
    Node(Node),
    Close,
}

#[derive(Default)]
struct Shared {
    script: Mutex<VecDeque<Exchange>>,
    unexpected: Mutex<Vec<String>>,
    /// The live connection's outbox.
    outbox: Mutex<Option<mpsc::UnboundedSender<Outgoing>>>,
    /// The user and device of each login, in order.
    logins: Mutex<Vec<(u64, u32)>>,
    /// The phones of the people in the groups.
    peers: peers::Peers,
}

/// An expected exchange, once scripted: the node the client sent for it.
#[derive(Debug)]
pub struct Pending {
    expect: Expect,
    taken: oneshot::Receiver<Node>,
}

impl Pending {
    /// The client's node, once it came.
    ///
    /// # Panics
    /// When it did not come within a step's deadline.
    pub async fn request(self) -> Node {
        match tokio::time::timeout(STEP, self.taken).await {
            Ok(Ok(node)) => node,
            _ => panic!("the client never sent {} within {STEP:?}", self.expect),
        }
    }
}

/// The server, listening on a local port until dropped.
pub struct ScenarioServer {
    address: SocketAddr,
    shared: Arc<Shared>,
    logins: watch::Receiver<usize>,
    /// How many connections have ended.
    ended: watch::Receiver<usize>,
    accepting: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for ScenarioServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScenarioServer")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl Drop for ScenarioServer {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

/// Who the logged-in device is, as `<success>` tells it.
#[derive(Clone, Debug)]
pub struct Account {
    /// The device's LID, `<user>:<device>@lid`.
    pub lid: String,
}

impl ScenarioServer {
    /// Listens on a free local port; each connection is handshaken and
    /// logged in as `account`.
    ///
    /// # Panics
    /// When no port can be had.
    pub async fn start(account: Account) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a local port");
        let address = listener.local_addr().expect("its address");
        let shared = Arc::new(Shared::default());
        let (logged_in, logins) = watch::channel(0);
        let (ending, ended) = watch::channel(0);
        let serving = shared.clone();
        let accepting = tokio::spawn(async move {
            let logged_in = Arc::new(logged_in);
            let ending = Arc::new(ending);
            while let Ok((stream, _)) = listener.accept().await {
                let shared = serving.clone();
                let account = account.clone();
                let logged_in = logged_in.clone();
                let ending = ending.clone();
                tokio::spawn(async move {
                    if let Err(error) = serve(stream, &shared, &account, &logged_in).await {
                        eprintln!("scenario server: the connection ended: {error}");
                    }
                    ending.send_modify(|n| *n += 1);
                });
            }
        });
        Self {
            address,
            shared,
            logins,
            ended,
            accepting,
        }
    }

    /// The chat WebSocket's URL, for the adapter's `Connection::server`.
    pub fn url(&self) -> String {
        format!("ws://{}/ws/chat", self.address)
    }

    /// Scripts an exchange: the next client node matching `expect` is
    /// answered with `reply`. Exchanges are taken in the order scripted.
    pub fn expect(&self, expect: Expect, reply: Reply) -> Pending {
        let (taken, receiver) = oneshot::channel();
        lock(&self.shared.script).push_back(Exchange {
            expect: expect.clone(),
            reply,
            taken,
        });
        Pending {
            expect,
            taken: receiver,
        }
    }

    /// Waits until `count` logins have been completed (`<success>` sent and
    /// the offline queue declared empty).
    ///
    /// # Panics
    /// When they were not within a minute.
    pub async fn logged_in(&self, count: usize) {
        let mut logins = self.logins.clone();
        let waited =
            tokio::time::timeout(Duration::from_secs(60), logins.wait_for(|n| *n >= count)).await;
        assert!(
            matches!(waited, Ok(Ok(_))),
            "{count} logins did not happen; {} did",
            *self.logins.borrow()
        );
    }

    /// Waits until `count` connections have ended, whichever side ended
    /// them.
    ///
    /// # Panics
    /// When they had not within a minute.
    pub async fn ended(&self, count: usize) {
        let mut ended = self.ended.clone();
        let waited =
            tokio::time::timeout(Duration::from_secs(60), ended.wait_for(|n| *n >= count)).await;
        assert!(
            matches!(waited, Ok(Ok(_))),
            "{count} connections did not end; {} did",
            *self.ended.borrow()
        );
    }

    /// The user and device of each login so far.
    pub fn logins(&self) -> Vec<(u64, u32)> {
        lock(&self.shared.logins).clone()
    }

    /// Sends `node` to the client on the live connection.
    ///
    /// # Panics
    /// When no client is connected.
    pub fn send(&self, node: Node) {
        let outbox = lock(&self.shared.outbox);
        let outbox = outbox.as_ref().expect("a connected client");
        let _ = outbox.send(Outgoing::Node(node));
    }

    /// Closes the live connection, as a server going away does.
    pub fn drop_connection(&self) {
        if let Some(outbox) = lock(&self.shared.outbox).as_ref() {
            let _ = outbox.send(Outgoing::Close);
        }
    }

    /// The client's nodes no scenario expected and no login chatter
    /// explains, each answered with an error 501.
    pub fn unexpected(&self) -> Vec<String> {
        lock(&self.shared.unexpected).clone()
    }

    /// Reads `message`, a group message the client sent, as the phone of
    /// `peer` (a JID it was addressed to) reads it.
    ///
    /// # Panics
    /// When it cannot: not addressed to `peer`, or not decryptable.
    pub async fn read_as(&self, peer: &str, message: &Node) -> Read {
        match self.shared.peers.read(peer, message).await {
            Ok(read) => read,
            Err(error) => panic!("{peer} cannot read the message: {error}"),
        }
    }

    /// Exchanges scripted and not yet taken.
    pub fn waiting(&self) -> Vec<String> {
        lock(&self.shared.script)
            .iter()
            .map(|e| e.expect.to_string())
            .collect()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

type Error = Box<dyn std::error::Error + Send + Sync>;

/// One connection: the handshake, the login, then the scenario.
async fn serve(
    stream: TcpStream,
    shared: &Shared,
    account: &Account,
    logged_in: &watch::Sender<usize>,
) -> Result<(), Error> {
    let (_request, mut socket) = ServerBuilder::new().accept(stream).await?;
    let (mut reader, mut writer, user) = handshake(&mut socket).await?;
    let (outbox, mut outgoing) = mpsc::unbounded_channel();
    *lock(&shared.outbox) = Some(outbox);

    let mut frames = FrameDecoder::new();
    // A device that is not paired yet comes to pair: it is not logged in,
    // and talks to the phone through the server (see `Phone`).
    if let Some(user) = user {
        lock(&shared.logins).push(user);
        let success = NodeBuilder::new("success")
            .attr("t", unix_now().to_string())
            .attr("lid", account.lid.as_str())
            .attr("props", "1")
            .build();
        writer.send(&mut socket, &success).await?;
        let offline = NodeBuilder::new("ib")
            .children([NodeBuilder::new("offline").attr("count", "0").build()])
            .build();
        writer.send(&mut socket, &offline).await?;
        logged_in.send_modify(|n| *n += 1);
    }

    loop {
        tokio::select! {
            message = socket.next() => {
                let Some(message) = message else { return Ok(()) };
                let message = message?;
                if message.is_close() {
                    return Ok(());
                }
                if !message.is_binary() {
                    continue;
                }
                frames.feed(message.as_payload());
                while let Some(frame) = frames.decode_frame() {
                    let node = reader.open(frame.to_vec())?;
                    for answer in answer(shared, &node) {
                        writer.send(&mut socket, &answer).await?;
                    }
                }
            }
            next = outgoing.recv() => match next {
                Some(Outgoing::Node(node)) => writer.send(&mut socket, &node).await?,
                Some(Outgoing::Close) | None => {
                    let _ = socket.close().await;
                    return Ok(());
                }
            },
        }
    }
}

/// What the server says to `node`: the first scripted exchange it
/// matches, else the login chatter's empty result, else an error.
fn answer(shared: &Shared, node: &Node) -> Vec<Node> {
    let exchange = {
        let mut script = lock(&shared.script);
        let position = script.iter().position(|e| e.expect.matches(node));
        position.and_then(|p| script.remove(p))
    };
    if let Some(exchange) = exchange {
        let answers = exchange.reply.answer(node);
        let _ = exchange.taken.send(node.clone());
        return answers;
    }
    if node.tag != "iq" {
        // Receipts, presence, `<ib>` notes: nothing to answer.
        return Vec::new();
    }
    let xmlns = attr(node, "xmlns").unwrap_or_default();
    let known = match xmlns.as_str() {
        "usync" => peers::Peers::devices(node),
        "encrypt" => shared.peers.bundles(node),
        "w:sync:app:state" => app_state(node),
        _ => None,
    };
    if let Some(answer) = known {
        return vec![result(node, answer)];
    }
    if CHATTER.contains(&xmlns.as_str()) {
        return vec![result(node, Vec::new())];
    }
    lock(&shared.unexpected).push(format!("{node:?}"));
    Reply::error(501, "not scripted").answer(node)
}

/// The answer to an app-state sync (a fresh pairing's first login asks
/// for the critical collections): each in conflict, which the client
/// takes as nothing to sync, as a phone with no app state would give.
fn app_state(request: &Node) -> Option<Vec<Node>> {
    let sync = request.get_optional_child("sync")?;
    let collections = children(sync)
        .iter()
        .filter(|c| c.tag == "collection")
        .filter_map(|c| attr(c, "name"))
        .map(|name| {
            let error = NodeBuilder::new("error")
                .attr("code", "409")
                .attr("text", "conflict")
                .build();
            NodeBuilder::new("collection")
                .attr("name", name)
                .attr("type", "error")
                .children([error])
                .build()
        });
    Some(vec![NodeBuilder::new("sync").children(collections).build()])
}

/// The receiving half of the transport: decrypts, unpacks, decodes.
struct Reader {
    cipher: NoiseCipher,
    counter: u32,
}

impl Reader {
    fn open(&mut self, mut frame: Vec<u8>) -> Result<Node, Error> {
        self.cipher
            .decrypt_in_place_with_counter(self.counter, &mut frame)?;
        self.counter += 1;
        let plain = unpack(&frame)?;
        Ok(unmarshal_ref(&plain)?.to_owned())
    }
}

/// The sending half: encodes, encrypts, frames.
struct Writer {
    cipher: NoiseCipher,
    counter: u32,
}

impl Writer {
    async fn send(
        &mut self,
        socket: &mut WebSocketStream<TcpStream>,
        node: &Node,
    ) -> Result<(), Error> {
        let plain = marshal(node)?;
        let sealed = self.cipher.encrypt_with_counter(self.counter, &plain)?;
        self.counter += 1;
        socket
            .send(Message::binary(encode_frame(&sealed, None)?))
            .await?;
        Ok(())
    }
}

/// A fresh X25519 key pair: (private, public).
fn key_pair() -> Result<([u8; 32], [u8; 32]), Error> {
    let private = PrivateKey::deserialize(&rand::random::<[u8; 32]>())?;
    let public = private.public_key()?;
    let public: [u8; 32] = public.public_key_bytes().try_into()?;
    Ok((*private.serialize(), public))
}

/// A certificate chain for `static_key`, as the client checks it when
/// signatures are not verified: an intermediate issued by serial 0, a
/// leaf issued by the intermediate and naming the server's static key. No
/// expiry, so the client never caches it (and never tries IK).
fn certificate_chain(static_key: &[u8; 32]) -> Vec<u8> {
    let certificate = |serial: u32, issuer: u32, key: &[u8]| {
        let details = wa::cert_chain::noise_certificate::Details {
            serial: Some(serial),
            issuer_serial: Some(issuer),
            key: Some(key.to_vec()),
            not_before: None,
            not_after: None,
        };
        MessageField::some(wa::cert_chain::NoiseCertificate {
            details: Some(details.encode_to_vec()),
            signature: Some(vec![0; 64]),
        })
    };
    wa::CertChain {
        intermediate: certificate(1, 0, &rand::random::<[u8; 32]>()),
        leaf: certificate(2, 1, static_key),
    }
    .encode_to_vec()
}

/// The Noise XX handshake, the server's side; returns the transport's
/// halves and who logged in (user and device of the client payload), if
/// anyone: a device that is not paired yet names nobody.
async fn handshake(
    socket: &mut WebSocketStream<TcpStream>,
) -> Result<(Reader, Writer, Option<(u64, u32)>), Error> {
    let first = next_binary(socket).await?;
    let rest = first
        .strip_prefix(&HEADER)
        .ok_or("the connection does not start with WhatsApp's header")?;
    let hello = one_frame(rest)?;
    let hello = wa::HandshakeMessage::decode_from_slice(&hello)?
        .client_hello
        .into_option()
        .ok_or("no client hello")?;
    let client_ephemeral: [u8; 32] = hello
        .ephemeral
        .ok_or("no client ephemeral key")?
        .as_slice()
        .try_into()?;

    let (ephemeral_private, ephemeral) = key_pair()?;
    let (static_private, static_public) = key_pair()?;
    let mut noise = NoiseHandshake::new(PATTERN, &HEADER)?;
    noise.authenticate(&client_ephemeral);
    noise.authenticate(&ephemeral);
    noise.mix_shared_secret(&ephemeral_private, &client_ephemeral)?;
    let sealed_static = noise.encrypt(&static_public)?;
    noise.mix_shared_secret(&static_private, &client_ephemeral)?;
    let sealed_chain = noise.encrypt(&certificate_chain(&static_public))?;
    let server_hello = wa::HandshakeMessage {
        server_hello: MessageField::some(wa::handshake_message::ServerHello {
            ephemeral: Some(ephemeral.to_vec()),
            r#static: Some(sealed_static),
            payload: Some(sealed_chain),
            ..Default::default()
        }),
        ..Default::default()
    };
    socket
        .send(Message::binary(encode_frame(
            &server_hello.encode_to_vec(),
            None,
        )?))
        .await?;

    let finish = one_frame(&next_binary(socket).await?)?;
    let finish = wa::HandshakeMessage::decode_from_slice(&finish)?
        .client_finish
        .into_option()
        .ok_or("no client finish")?;
    let client_static: [u8; 32] = noise
        .decrypt(&finish.r#static.ok_or("no client static key")?)?
        .as_slice()
        .try_into()?;
    noise.mix_shared_secret(&ephemeral_private, &client_static)?;
    let payload = noise.decrypt(&finish.payload.ok_or("no client payload")?)?;
    let payload = wa::ClientPayload::decode_from_slice(&payload)?;
    let user = payload
        .username
        .map(|user| (user, payload.device.unwrap_or_default()));
    // The client writes with the first key and reads with the second.
    let (client_writes, client_reads) = noise.finish()?;
    Ok((
        Reader {
            cipher: client_writes,
            counter: 0,
        },
        Writer {
            cipher: client_reads,
            counter: 0,
        },
        user,
    ))
}

async fn next_binary(socket: &mut WebSocketStream<TcpStream>) -> Result<Vec<u8>, Error> {
    loop {
        let message = socket.next().await.ok_or("the client went away")??;
        if message.is_binary() {
            return Ok(message.as_payload().to_vec());
        }
    }
}

/// The one frame in `bytes` (a handshake message comes alone).
fn one_frame(bytes: &[u8]) -> Result<Vec<u8>, Error> {
    let mut frames = FrameDecoder::new();
    frames.feed(bytes);
    let frame = frames.decode_frame().ok_or("an incomplete frame")?;
    Ok(frame.to_vec())
}
