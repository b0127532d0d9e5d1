//! The WebSocket handshake of `/sync`, done here rather than by axum's `ws` so that
//! the connection gets tokio-tungstenite's socket itself: only with it can the relay
//! send a large message in fragments (see `connection::send_binary`), which keeps a
//! connection's write buffer small after a large catch-up instead of as large as
//! the largest message it was ever sent.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

/// A relay's side of an open WebSocket.
pub type Socket = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;

/// A request to upgrade to a WebSocket (RFC 6455, over HTTP/1.1).
pub struct Upgrade {
    accept: HeaderValue,
    on_upgrade: OnUpgrade,
}

/// Why a request cannot become a WebSocket.
pub struct NotAWebSocket(&'static str);

impl IntoResponse for NotAWebSocket {
    fn into_response(self) -> Response {
        (StatusCode::BAD_REQUEST, format!("{}\n", self.0)).into_response()
    }
}

impl<S: Sync> FromRequestParts<S> for Upgrade {
    type Rejection = NotAWebSocket;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        if parts.method != Method::GET {
            return Err(NotAWebSocket("a WebSocket opens with a GET request"));
        }
        if !lists(&parts.headers, header::CONNECTION, "upgrade") {
            return Err(NotAWebSocket("the Connection header must include upgrade"));
        }
        if !lists(&parts.headers, header::UPGRADE, "websocket") {
            return Err(NotAWebSocket("the Upgrade header must be websocket"));
        }
        if !lists(&parts.headers, header::SEC_WEBSOCKET_VERSION, "13") {
            return Err(NotAWebSocket("only WebSocket version 13 is spoken here"));
        }
        let key = parts
            .headers
            .get(header::SEC_WEBSOCKET_KEY)
            .ok_or(NotAWebSocket("the Sec-WebSocket-Key header is missing"))?;
        let accept = HeaderValue::from_str(&derive_accept_key(key.as_bytes()))
            .expect("an accept key is base64");
        let on_upgrade = parts
            .extensions
            .remove::<OnUpgrade>()
            .ok_or(NotAWebSocket("this connection cannot be upgraded"))?;
        Ok(Upgrade { accept, on_upgrade })
    }
}

impl Upgrade {
    /// Answers 101 and, once the connection switched, hands `serve` the socket.
    pub fn on_upgrade<F, Fut>(self, config: WebSocketConfig, serve: F) -> Response
    where
        F: FnOnce(Socket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send,
    {
        let Upgrade { accept, on_upgrade } = self;
        tokio::spawn(async move {
            let Ok(upgraded) = on_upgrade.await else {
                return;
            };
            let socket = WebSocketStream::from_raw_socket(
                TokioIo::new(upgraded),
                Role::Server,
                Some(config),
            )
            .await;
            serve(socket).await;
        });
        (
            StatusCode::SWITCHING_PROTOCOLS,
            [
                (header::CONNECTION, HeaderValue::from_static("upgrade")),
                (header::UPGRADE, HeaderValue::from_static("websocket")),
                (header::SEC_WEBSOCKET_ACCEPT, accept),
            ],
        )
            .into_response()
    }
}

/// Whether a comma-separated header has `token` among its values (case-insensitive).
fn lists(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|value| value.trim().eq_ignore_ascii_case(token))
}
