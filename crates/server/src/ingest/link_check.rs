//! Which conversation links an item may carry: `https` only, to an origin the workspace
//! declared for its platform (`herald-server workspace links`). Everything else — another
//! scheme (`javascript:`, `file:`, `data:`, `smb:`), credentials in the URL, stray spaces or
//! control characters, an undeclared host — is dropped at ingest, so the desktop app, the
//! web app, emails and push payloads never get a link they would have to distrust.

use url::Url;

/// Longest link kept (characters).
pub const LINK_MAX: usize = 2048;

/// An origin as declared: `https://host` or `https://host:port`, nothing else. Returns it
/// in its canonical form (lower-case host, default port left out).
pub fn parse_origin(text: &str) -> Result<String, String> {
    let url = Url::parse(text).map_err(|e| format!("{text:?} is not a URL: {e}"))?;
    if url.scheme() != "https" {
        return Err(format!("{text:?}: an origin must be https"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("{text:?}: an origin has no user or password"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "{text:?}: an origin is scheme, host and port only, e.g. https://app.example.com"
        ));
    }
    if url.host().is_none() {
        return Err(format!("{text:?}: an origin needs a host"));
    }
    Ok(url.origin().ascii_serialization())
}

/// Why a link was not kept (said in the ingest answer).
pub fn refuse(link: &str, origins: &[String]) -> Option<String> {
    if link.chars().count() > LINK_MAX {
        return Some(format!("a link is at most {LINK_MAX} characters"));
    }
    if link.trim() != link || link.chars().any(char::is_control) {
        return Some("the link has spaces or control characters around or in it".into());
    }
    let url = match Url::parse(link) {
        Ok(url) => url,
        Err(e) => return Some(format!("not a URL: {e}")),
    };
    if url.scheme() != "https" {
        return Some(format!("only https links are kept, not {}:", url.scheme()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Some("a link with a user or password in it is not kept".into());
    }
    let origin = url.origin().ascii_serialization();
    if origins.is_empty() {
        return Some(format!(
            "the workspace declares no link origins; allow {origin} with `herald-server workspace links`"
        ));
    }
    if !origins.contains(&origin) {
        return Some(format!(
            "{origin} is not one of the workspace's link origins ({})",
            origins.join(", ")
        ));
    }
    None
}

/// The refused link as text for the trail: printable, clipped.
pub fn as_text(link: &str) -> String {
    let printable: String = link
        .trim()
        .chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect();
    super::clip(&printable, 200)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origins() -> Vec<String> {
        vec!["https://app.acme.example".into()]
    }

    #[test]
    fn keeps_https_links_to_declared_origins() {
        for link in [
            "https://app.acme.example/conversations/42",
            "https://APP.acme.example:443/c/1?tab=notes#m-9",
        ] {
            assert_eq!(refuse(link, &origins()), None, "{link}");
        }
    }

    #[test]
    fn drops_everything_else_with_a_reason() {
        for link in [
            "javascript:alert(1)",
            "file:///etc/passwd",
            "smb://host/share",
            "data:text/html,<script>alert(1)</script>",
            "http://app.acme.example/c/1",
            " https://app.acme.example/c/1",
            "https://app.acme.example/c/1\n",
            "https://app.acme.example/c/\u{0}1",
            "https://evil.example/c/1",
            "https://app.acme.example.evil.example/c/1",
            "https://app.acme.example:8443/c/1",
            "https://user:pw@app.acme.example/c/1",
            "//app.acme.example/c/1",
            "not a link",
        ] {
            assert!(
                refuse(link, &origins()).is_some(),
                "{link:?} must be dropped"
            );
        }
        let long = format!("https://app.acme.example/{}", "a".repeat(LINK_MAX));
        assert!(refuse(&long, &origins()).is_some());
        let undeclared = refuse("https://app.acme.example/c/1", &[]).unwrap_or_default();
        assert!(undeclared.contains("workspace links"), "{undeclared}");
    }

    #[test]
    fn origins_are_declared_in_their_canonical_form() {
        assert_eq!(
            parse_origin("https://App.Acme.Example:443").as_deref(),
            Ok("https://app.acme.example")
        );
        assert_eq!(
            parse_origin("https://app.acme.example:8443/").as_deref(),
            Ok("https://app.acme.example:8443")
        );
        for bad in [
            "http://app.acme.example",
            "https://app.acme.example/path",
            "https://u:p@app.acme.example",
            "app.acme.example",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_refused_link_becomes_printable_text() {
        assert_eq!(as_text(" javascript:alert(1)\n"), "javascript:alert(1)");
        assert_eq!(as_text("a\u{7}b"), "a\u{FFFD}b");
    }
}
