//! The stream client of the tests: typed server messages over a real WebSocket.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use herald_protocol::*;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A stream client that reads typed server messages.
pub struct Ws {
    pub socket: Socket,
}

/// What ended a stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Closed {
    pub code: Option<u16>,
    pub reason: Option<CloseReason>,
}

impl Ws {
    pub async fn connect(
        url: &str,
        token: &str,
    ) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
        let mut request = url.into_client_request()?;
        request
            .headers_mut()
            .insert("Authorization", format!("Bearer {token}").parse().unwrap());
        let (socket, _) = tokio_tungstenite::connect_async(request).await?;
        Ok(Ws { socket })
    }

    pub async fn send(&mut self, message: &ClientMessage) {
        let json = serde_json::to_string(message).unwrap();
        self.socket.send(Message::Text(json.into())).await.unwrap();
    }

    pub async fn resume(&mut self, after_seq: u64, epoch: Option<String>) {
        self.send(&ClientMessage::Resume {
            after_seq,
            epoch,
            client: None,
        })
        .await;
    }

    /// The next server message; `Err` with the close when the stream ends.
    pub async fn next(&mut self) -> Result<ServerMessage, Closed> {
        self.next_within(Duration::from_secs(10)).await
    }

    /// The next server message, which must come within `wait`.
    pub async fn next_within(&mut self, wait: Duration) -> Result<ServerMessage, Closed> {
        let mut reason = None;
        loop {
            let frame = tokio::time::timeout(wait, self.socket.next())
                .await
                .unwrap_or_else(|_| panic!("a message within {wait:?}"));
            match frame {
                Some(Ok(Message::Text(text))) => {
                    let message: ServerMessage = serde_json::from_str(&text).unwrap();
                    if let ServerMessage::Closing { reason: r, .. } = &message {
                        reason = Some(*r);
                        continue;
                    }
                    return Ok(message);
                }
                Some(Ok(Message::Close(frame))) => {
                    return Err(Closed {
                        code: frame.map(|f: CloseFrame| u16::from(f.code)),
                        reason,
                    });
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Err(Closed { code: None, reason }),
            }
        }
    }

    /// Messages up to and including `live`.
    pub async fn until_live(&mut self) -> Vec<ServerMessage> {
        let mut out = Vec::new();
        loop {
            let message = self.next().await.expect("stream open until live");
            let live = matches!(message, ServerMessage::Live { .. });
            out.push(message);
            if live {
                return out;
            }
        }
    }

    /// The next item, skipping counters and other notices.
    pub async fn next_item(&mut self) -> Notification {
        loop {
            if let ServerMessage::Item { notification, .. } =
                self.next().await.expect("open stream")
            {
                return *notification;
            }
        }
    }

    /// A desktop app that answers the next item it gets with a receipt of `outcome`, in a
    /// task of its own (the test presses "Save and test" meanwhile); the task gives the
    /// stream back.
    pub fn answer_next_item(mut self, outcome: AppOutcome) -> tokio::task::JoinHandle<Ws> {
        tokio::spawn(async move {
            let item = self.next_item().await;
            self.send(&ClientMessage::Receipt {
                id: item.id,
                outcome,
            })
            .await;
            self
        })
    }

    /// Reads until the stream closes; returns the close.
    pub async fn until_closed(&mut self) -> Closed {
        loop {
            if let Err(closed) = self.next().await {
                return closed;
            }
        }
    }
}

pub fn items(messages: &[ServerMessage]) -> Vec<&Notification> {
    messages
        .iter()
        .filter_map(|m| match m {
            ServerMessage::Item { notification, .. } => Some(notification.as_ref()),
            _ => None,
        })
        .collect()
}
