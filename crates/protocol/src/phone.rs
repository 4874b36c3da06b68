//! What a push to a phone tells the Herald app, beside what the OS shows: a few flat
//! string fields, the same through both services — top-level keys beside `aps` for APNs,
//! the message's `data` for FCM. Flat strings because that is all every layer between the
//! service and the app hands on: FCM's `data` takes only strings, and a tapped
//! notification's extras reach a Tauri plugin as a string map on both systems.
//!
//! Two messages:
//! - an item (`herald=item`): its id, sequence number and kind, and the key of the
//!   notification the OS shows for it; a tap opens that item;
//! - a read-sync (`herald=read`): the agent's unread count and the keys of the
//!   notifications to take off the screen, because everything they stood for was read
//!   (on any device).
//!
//! The key names one notification on the phone: it is the APNs collapse id (iOS's request
//! identifier, which is what iOS removes delivered notifications by) and the Android
//! notification tag. The server makes one per conversation of one agent (or per item
//! outside a conversation): a newer item replaces its conversation's notification, and two
//! accounts on one phone never replace or remove each other's.
//!
//! Everything here is read strictly: the fields come from the OS, and anything not made
//! by a Herald server is refused with a reason.

use std::collections::BTreeMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::EventKind;

/// Most keys one read-sync names: the keys and the rest fit in the services' 4 KB.
pub const MAX_CLEAR: usize = 64;
/// Longest key (APNs allows 64 bytes of collapse id).
const KEY_MAX: usize = 64;

/// A notification's key on the phone (see the module's opening): 1 to 64 of
/// `A-Z a-z 0-9 - _`, so it is a valid collapse id and tag, and never holds a comma.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PhoneKey(String);

impl PhoneKey {
    /// Checks a key.
    pub fn new(key: &str) -> Result<PhoneKey, PhoneMessageError> {
        let valid = !key.is_empty()
            && key.len() <= KEY_MAX
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if valid {
            Ok(PhoneKey(key.to_owned()))
        } else {
            Err(PhoneMessageError::Invalid("key"))
        }
    }

    /// The key of an agent's item: one per conversation of that agent, or per item outside
    /// a conversation; 32 base64url characters. The server sends items under it; the app
    /// finds the notifications its read items were shown under by it.
    pub fn of(agent_id: &str, conversation: Option<&str>, item: &str) -> PhoneKey {
        let mut digest = Sha256::new();
        digest.update(agent_id.as_bytes());
        match conversation {
            Some(conversation) => {
                digest.update(b"\nconversation:");
                digest.update(conversation.as_bytes());
            }
            None => {
                digest.update(b"\nitem:");
                digest.update(item.as_bytes());
            }
        }
        // base64url of 24 bytes: 32 characters, all valid in a key.
        PhoneKey(B64.encode(&digest.finalize()[..24]))
    }

    /// The key as the services take it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a phone push tells the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneMessage {
    /// A new item, shown by the OS as a notification.
    Item(PhoneItem),
    /// Items were read elsewhere: the notifications to take away and the new count.
    Read(PhoneRead),
}

/// An item's push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneItem {
    /// The item (what a tap opens).
    pub id: Uuid,
    /// Its place in the agent's stream.
    pub seq: u64,
    /// Its kind.
    pub kind: EventKind,
    /// The notification it is shown as.
    pub key: PhoneKey,
}

/// A read-sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneRead {
    /// The agent's unread count now (the badge).
    pub badge: u32,
    /// The notifications to take off the screen (at most [`MAX_CLEAR`]).
    pub clear: Vec<PhoneKey>,
}

/// Why the fields are not a Herald push.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhoneMessageError {
    /// No `herald` field, or one this version does not know: another sender's push.
    #[error("not a Herald push")]
    NotHerald,
    /// A field the message needs is absent.
    #[error("the push has no {0}")]
    Missing(&'static str),
    /// A field is malformed.
    #[error("the push has a malformed {0}")]
    Invalid(&'static str),
}

impl PhoneMessage {
    /// The fields the services carry.
    pub fn to_fields(&self) -> BTreeMap<&'static str, String> {
        let mut fields = BTreeMap::new();
        match self {
            PhoneMessage::Item(item) => {
                fields.insert("herald", "item".to_owned());
                fields.insert("item", item.id.to_string());
                fields.insert("seq", item.seq.to_string());
                fields.insert("kind", item.kind.as_str().to_owned());
                fields.insert("key", item.key.0.clone());
            }
            PhoneMessage::Read(read) => {
                fields.insert("herald", "read".to_owned());
                fields.insert("badge", read.badge.to_string());
                let clear: Vec<&str> = read.clear.iter().map(PhoneKey::as_str).collect();
                fields.insert("clear", clear.join(","));
            }
        }
        fields
    }

    /// Reads the fields the OS handed the app (other fields, such as the services' own,
    /// are ignored).
    pub fn from_fields<'a>(
        fields: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<PhoneMessage, PhoneMessageError> {
        let fields: BTreeMap<&str, &str> = fields.into_iter().collect();
        let field = |name: &'static str| {
            fields
                .get(name)
                .copied()
                .ok_or(PhoneMessageError::Missing(name))
        };
        match fields.get("herald").copied() {
            Some("item") => {
                let id = field("item")?;
                // The canonical form only, as the server writes it.
                let id = Uuid::parse_str(id)
                    .ok()
                    .filter(|parsed| parsed.hyphenated().to_string() == id)
                    .ok_or(PhoneMessageError::Invalid("item"))?;
                Ok(PhoneMessage::Item(PhoneItem {
                    id,
                    seq: number(field("seq")?, "seq")?,
                    kind: EventKind::parse(field("kind")?),
                    key: PhoneKey::new(field("key")?)?,
                }))
            }
            Some("read") => {
                let clear = field("clear")?;
                let clear: Vec<PhoneKey> = if clear.is_empty() {
                    Vec::new()
                } else {
                    clear
                        .split(',')
                        .map(PhoneKey::new)
                        .collect::<Result<_, _>>()?
                };
                if clear.len() > MAX_CLEAR {
                    return Err(PhoneMessageError::Invalid("clear"));
                }
                Ok(PhoneMessage::Read(PhoneRead {
                    badge: number(field("badge")?, "badge")?,
                    clear,
                }))
            }
            _ => Err(PhoneMessageError::NotHerald),
        }
    }
}

/// A decimal number as the server writes it (no sign, no spaces).
fn number<T: std::str::FromStr>(text: &str, name: &'static str) -> Result<T, PhoneMessageError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PhoneMessageError::Invalid(name));
    }
    text.parse().map_err(|_| PhoneMessageError::Invalid(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> PhoneKey {
        PhoneKey::new(k).expect("a key")
    }

    fn read_back(message: &PhoneMessage) -> Result<PhoneMessage, PhoneMessageError> {
        let fields = message.to_fields();
        PhoneMessage::from_fields(fields.iter().map(|(k, v)| (*k, v.as_str())))
    }

    #[test]
    fn keys_are_per_agent_and_conversation() {
        let one = PhoneKey::of("ana", Some("c-1"), "i-1");
        assert_eq!(PhoneKey::new(one.as_str()), Ok(one.clone()), "a valid key");
        assert_eq!(one.as_str().len(), 32);
        assert_eq!(
            one,
            PhoneKey::of("ana", Some("c-1"), "i-2"),
            "one per conversation"
        );
        assert_ne!(
            one,
            PhoneKey::of("bob", Some("c-1"), "i-1"),
            "accounts never share"
        );
        assert_ne!(one, PhoneKey::of("ana", Some("c-2"), "i-1"));
        assert_ne!(
            PhoneKey::of("ana", None, "i-1"),
            PhoneKey::of("ana", None, "i-2")
        );
        assert_ne!(
            PhoneKey::of("ana", None, "c-1"),
            PhoneKey::of("ana", Some("c-1"), "x")
        );
        // Pinned: the app and every server version must agree.
        assert_eq!(
            PhoneKey::of("ana", Some("c-1"), "i-1").as_str(),
            "Y9sJMRJ9HTJ9TrO5qtq2diX41l9mg9Vw"
        );
    }

    #[test]
    fn both_messages_read_back() {
        let item = PhoneMessage::Item(PhoneItem {
            id: Uuid::from_u128(7),
            seq: 42,
            kind: EventKind::Assignment,
            key: key("AbC-_9"),
        });
        assert_eq!(read_back(&item), Ok(item));
        for clear in [vec![], vec![key("a")], vec![key("a"), key("B-c_1")]] {
            let read = PhoneMessage::Read(PhoneRead { badge: 3, clear });
            assert_eq!(read_back(&read), Ok(read));
        }
    }

    #[test]
    fn other_pushes_and_junk_are_refused_with_a_reason() {
        let parse = |pairs: &[(&'static str, &'static str)]| {
            PhoneMessage::from_fields(pairs.iter().copied())
        };
        assert_eq!(parse(&[("title", "hi")]), Err(PhoneMessageError::NotHerald));
        assert_eq!(
            parse(&[("herald", "poll")]),
            Err(PhoneMessageError::NotHerald)
        );
        let id = "00000000-0000-0000-0000-000000000007";
        let item = |id: &'static str, seq: &'static str, key: &'static str| {
            parse(&[
                ("herald", "item"),
                ("item", id),
                ("seq", seq),
                ("kind", "mention"),
                ("key", key),
            ])
        };
        assert!(item(id, "1", "k").is_ok());
        assert_eq!(
            item("{00000000-0000-0000-0000-000000000007}", "1", "k"),
            Err(PhoneMessageError::Invalid("item"))
        );
        assert_eq!(item(id, "-1", "k"), Err(PhoneMessageError::Invalid("seq")));
        assert_eq!(item(id, " 1", "k"), Err(PhoneMessageError::Invalid("seq")));
        for bad in ["", "a,b", "a b", "é", &"k".repeat(65)] {
            let fields = [
                ("herald", "item"),
                ("item", id),
                ("seq", "1"),
                ("kind", "mention"),
                ("key", bad),
            ];
            assert_eq!(
                PhoneMessage::from_fields(fields.iter().copied()),
                Err(PhoneMessageError::Invalid("key")),
                "{bad:?}"
            );
        }
        assert_eq!(
            parse(&[("herald", "read"), ("badge", "1")]),
            Err(PhoneMessageError::Missing("clear"))
        );
        assert_eq!(
            parse(&[("herald", "read"), ("badge", "1"), ("clear", "a,,b")]),
            Err(PhoneMessageError::Invalid("key"))
        );
        let many = vec!["k"; MAX_CLEAR + 1].join(",");
        let fields = [("herald", "read"), ("badge", "1"), ("clear", many.as_str())];
        assert_eq!(
            PhoneMessage::from_fields(fields.iter().copied()),
            Err(PhoneMessageError::Invalid("clear"))
        );
    }
}
