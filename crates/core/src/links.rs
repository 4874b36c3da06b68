//! `herald://` links: what the app opens when the OS hands it one (a click in a browser or
//! a chat, a second start with the link as its argument). The text is anyone's: only the
//! exact forms below are accepted, everything else is refused with a reason and opens
//! nothing.
//!
//! - `herald://item/<uuid>`: show that item of the bell.
//! - `herald://bell`: show the bell.

use uuid::Uuid;

/// The scheme, as declared for the bundles (`tauri.conf.json`).
pub const SCHEME: &str = "herald";
/// Longer than any link Herald makes: refused unread.
const MAX: usize = 200;

/// What a link asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// Show this item.
    Item(Uuid),
    /// Show the bell.
    Bell,
}

/// Reads a link; `Err` says why it was refused (for the log, never shown as a link).
pub fn parse(text: &str) -> Result<Link, &'static str> {
    if text.len() > MAX {
        return Err("too long");
    }
    let url = url::Url::parse(text).map_err(|_| "not a link")?;
    if url.scheme() != SCHEME {
        return Err("not a herald:// link");
    }
    if !url.username().is_empty() || url.password().is_some() || url.port().is_some() {
        return Err("credentials or a port");
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("a query or a fragment");
    }
    let path: Vec<&str> = url
        .path()
        .trim_start_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    match (url.host_str(), path.as_slice()) {
        (Some("bell"), []) => Ok(Link::Bell),
        (Some("item"), [id]) => {
            // The canonical lowercase form only: no braces, no URNs, no other spellings.
            let id = Uuid::parse_str(id).map_err(|_| "not an item id")?;
            if url.path() == format!("/{}", id.hyphenated()) {
                Ok(Link::Item(id))
            } else {
                Err("not an item id")
            }
        }
        _ => Err("not a link Herald knows"),
    }
}

/// The first acceptable link among a start's arguments (a second start's, or the first
/// start's), and the refusals for the log.
pub fn from_args<'a>(args: impl IntoIterator<Item = &'a str>) -> (Option<Link>, Vec<&'static str>) {
    let mut refused = Vec::new();
    for arg in args {
        if !arg.starts_with("herald:") {
            continue;
        }
        match parse(arg) {
            Ok(link) => return (Some(link), refused),
            Err(why) => refused.push(why),
        }
    }
    (None, refused)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "01930000-0000-7000-8000-0000000000ab";

    #[test]
    fn an_item_link_and_the_bell_are_read() {
        let id = Uuid::parse_str(ID).expect("a uuid");
        assert_eq!(parse(&format!("herald://item/{ID}")), Ok(Link::Item(id)));
        assert_eq!(
            parse(&format!("herald://item/{ID}/")),
            Err("not an item id"),
            "one form only"
        );
        assert_eq!(parse("herald://bell"), Ok(Link::Bell));
    }

    #[test]
    fn hostile_links_are_refused() {
        for link in [
            "https://evil.example/item/1".to_owned(),
            "javascript:alert(1)".to_owned(),
            "herald://item/../../etc/passwd".to_owned(),
            "herald://item/%2e%2e%2fetc".to_owned(),
            format!("herald://item/{ID}?open=https://evil.example"),
            format!("herald://item/{ID}#x"),
            format!("herald://user:pw@item/{ID}"),
            format!("herald://item:8080/{ID}"),
            format!("herald://item/{{{ID}}}"),
            format!("herald://item/{}", ID.to_uppercase()),
            format!("herald://item/{ID}/more"),
            "herald://item/".to_owned(),
            "herald://settings/delete-everything".to_owned(),
            format!("herald://item/{}", "a".repeat(300)),
            "herald:item".to_owned(),
            "herald://item/\u{202e}1".to_owned(),
        ] {
            assert!(
                parse(&link).is_err(),
                "{link:?} must be refused: {:?}",
                parse(&link)
            );
        }
    }

    #[test]
    fn the_first_good_link_among_arguments_wins() {
        let args = [
            "/usr/bin/herald",
            "--flag",
            "herald://nope",
            "herald://bell",
        ];
        let (link, refused) = from_args(args);
        assert_eq!(link, Some(Link::Bell));
        assert_eq!(refused, ["not a link Herald knows"]);
        assert_eq!(from_args(["/usr/bin/herald"]), (None, vec![]));
    }
}
