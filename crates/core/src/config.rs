//! The server URL, validated: https, or plain http only to this machine (or with an explicit
//! development flag). Tokens never travel in clear text over a network.

use url::Url;

use crate::error::{CoreError, ErrorKind, Result};

/// A server URL Herald may talk to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerUrl(Url);

impl ServerUrl {
    /// Parses and checks a URL typed by a person ("herald.acme.com" gets https:// added).
    pub fn parse(text: &str, allow_insecure: bool) -> Result<ServerUrl> {
        let text = text.trim();
        let with_scheme = if text.contains("://") {
            text.to_owned()
        } else {
            format!("https://{text}")
        };
        let bad = |why: &str| CoreError::new(ErrorKind::BadServerUrl, why.to_owned());
        let url = Url::parse(&with_scheme)
            .map_err(|_| bad("that is not a server address, e.g. https://herald.example.com"))?;
        if url.username() != "" || url.password().is_some() {
            return Err(bad("the address must not contain a user name or password"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad("the address must not have a query or fragment"));
        }
        let host = url.host_str().unwrap_or_default();
        let loopback = host == "localhost"
            || host
                .trim_matches(['[', ']'])
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        match url.scheme() {
            "https" => {}
            "http" if loopback || allow_insecure => {}
            "http" => {
                return Err(bad(
                    "the server must use https (plain http is allowed only to this computer)",
                ))
            }
            _ => return Err(bad("the address must start with https://")),
        }
        let mut url = url;
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        Ok(ServerUrl(url))
    }

    /// `…/api/v1/<path>`.
    pub fn api(&self, path: &str) -> String {
        format!("{}api/v1/{}", self.0, path.trim_start_matches('/'))
    }

    /// The stream's WebSocket URL (wss for https, ws for http).
    pub fn stream(&self) -> String {
        let mut url = self.0.clone();
        let scheme = if url.scheme() == "https" { "wss" } else { "ws" };
        // Only http(s) reach here, and both have a ws counterpart.
        let _ = url.set_scheme(scheme);
        format!("{url}api/v1/stream")
    }

    /// The URL as typed back to the person.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_is_required_except_to_this_computer() {
        let ok = ServerUrl::parse("herald.acme.com", false).expect("https added");
        assert_eq!(ok.api("inbox"), "https://herald.acme.com/api/v1/inbox");
        assert_eq!(ok.stream(), "wss://herald.acme.com/api/v1/stream");
        assert!(ServerUrl::parse("http://127.0.0.1:7878", false).is_ok());
        assert!(ServerUrl::parse("http://[::1]:7878", false).is_ok());
        assert!(ServerUrl::parse("http://localhost:7878/base", false)
            .is_ok_and(|u| u.api("/me") == "http://localhost:7878/base/api/v1/me"));
        for bad in [
            "http://herald.acme.com",
            "ftp://x",
            "https://u:p@x",
            "https://x/?a=1",
            "",
            "https://",
        ] {
            let err = ServerUrl::parse(bad, false).expect_err(bad);
            assert_eq!(err.kind, ErrorKind::BadServerUrl, "{bad}");
        }
        assert!(
            ServerUrl::parse("http://herald.lan", true).is_ok(),
            "explicit development flag"
        );
    }
}
