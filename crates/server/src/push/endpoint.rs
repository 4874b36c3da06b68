//! Which push endpoints the server will send to: https URLs on public addresses only, so a
//! subscription cannot make the server post to its own network (server-side request
//! forgery). Checked when a subscription is registered, and again for every connection:
//! the HTTP client resolves names through [`PublicOnly`], which refuses a name that
//! resolves to a private address (DNS rebinding), and follows no redirects.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use url::{Host, Url};

/// Longest endpoint accepted (real ones are a few hundred characters).
pub const MAX_LEN: usize = 2048;

/// Why an endpoint is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// Not a URL.
    #[error("the endpoint is not a URL")]
    NotUrl,
    /// Too long.
    #[error("the endpoint is longer than {MAX_LEN} characters")]
    TooLong,
    /// Not https.
    #[error("the endpoint must be https")]
    NotHttps,
    /// User name or password in the URL.
    #[error("the endpoint must not carry credentials")]
    Credentials,
    /// Loopback, private, link-local, reserved, or a local-only name.
    #[error("the endpoint must be on a public address")]
    NotPublic,
}

/// Checks an endpoint; `allow_insecure` (tests and local set-ups only) accepts http and
/// private addresses.
pub fn check(endpoint: &str, allow_insecure: bool) -> Result<Url, EndpointError> {
    if endpoint.len() > MAX_LEN {
        return Err(EndpointError::TooLong);
    }
    let url = Url::parse(endpoint).map_err(|_| EndpointError::NotUrl)?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(EndpointError::Credentials);
    }
    let scheme_ok = match url.scheme() {
        "https" => true,
        "http" => allow_insecure,
        _ => false,
    };
    if !scheme_ok {
        return Err(EndpointError::NotHttps);
    }
    let host = url.host().ok_or(EndpointError::NotUrl)?;
    if allow_insecure {
        return Ok(url);
    }
    let public = match host {
        Host::Ipv4(ip) => is_public(IpAddr::V4(ip)),
        Host::Ipv6(ip) => is_public(IpAddr::V6(ip)),
        Host::Domain(name) => is_public_name(name),
    };
    public.then_some(url).ok_or(EndpointError::NotPublic)
}

/// The origin a VAPID signature names: `scheme://host[:port]` (the port when not default).
pub fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// Names that never leave this machine or network.
fn is_public_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let local = name == "localhost"
        || [".localhost", ".local", ".internal", ".lan", ".home.arpa"]
            .iter()
            .any(|suffix| name.ends_with(suffix));
    !local && name.contains('.')
}

/// Whether an address is reachable on the public internet (not loopback, private,
/// link-local, shared, documentation, benchmarking, multicast or reserved).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let special = ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240; // reserved
    !special
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let seg = ip.segments();
    // NAT64 (64:ff9b::/96) carries an IPv4 address in its last 32 bits.
    if seg[0] == 0x64 && seg[1] == 0xff9b && seg[2..6] == [0, 0, 0, 0] {
        let [_, _, _, _, _, _, hi, lo] = seg;
        let v4 = Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
        return is_public_v4(v4);
    }
    let special = ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (seg[0] & 0xfe00) == 0xfc00 // unique local
        || (seg[0] & 0xffc0) == 0xfe80 // link-local
        || (seg[0] == 0x2001 && seg[1] == 0x0db8) // documentation
        || seg[0..6] == [0, 0, 0, 0, 0, 0]; // IPv4-compatible (deprecated)
    !special
}

/// A resolver for the push client that refuses names resolving to non-public addresses.
#[derive(Debug, Clone, Copy)]
pub struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if addrs.is_empty() || addrs.iter().any(|a| !is_public(a.ip())) {
                return Err(
                    Box::new(EndpointError::NotPublic) as Box<dyn std::error::Error + Send + Sync>
                );
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_push_services_pass() {
        for ok in [
            "https://fcm.googleapis.com/fcm/send/abc:APA91b",
            "https://updates.push.services.mozilla.com/wpush/v2/gAAAAA",
            "https://web.push.apple.com/QGx1Y2Fz",
            "https://wns2-par02p.notify.windows.com/w/?token=BQYAAA",
            "https://8.8.8.8/push",
            "https://[2606:4700::1111]/push",
        ] {
            assert!(check(ok, false).is_ok(), "{ok}");
        }
    }

    #[test]
    fn local_and_odd_endpoints_are_refused() {
        for (bad, why) in [
            (
                "http://fcm.googleapis.com/fcm/send/x",
                EndpointError::NotHttps,
            ),
            ("ftp://push.example.com/x", EndpointError::NotHttps),
            ("javascript:alert(1)", EndpointError::NotHttps),
            ("not a url", EndpointError::NotUrl),
            (
                "https://user:pw@push.example.com/x",
                EndpointError::Credentials,
            ),
            ("https://localhost/x", EndpointError::NotPublic),
            ("https://push.localhost/x", EndpointError::NotPublic),
            ("https://printer.local/x", EndpointError::NotPublic),
            ("https://intranet/x", EndpointError::NotPublic),
            ("https://127.0.0.1:8080/x", EndpointError::NotPublic),
            ("https://10.1.2.3/x", EndpointError::NotPublic),
            ("https://172.16.0.1/x", EndpointError::NotPublic),
            ("https://192.168.1.1/x", EndpointError::NotPublic),
            (
                "https://169.254.169.254/latest/meta-data",
                EndpointError::NotPublic,
            ),
            ("https://100.64.0.1/x", EndpointError::NotPublic),
            ("https://0.0.0.0/x", EndpointError::NotPublic),
            ("https://2130706433/x", EndpointError::NotPublic), // 127.0.0.1 as a number
            ("https://0x7f.1/x", EndpointError::NotPublic),
            ("https://[::1]/x", EndpointError::NotPublic),
            ("https://[fd00::1]/x", EndpointError::NotPublic),
            ("https://[fe80::1]/x", EndpointError::NotPublic),
            ("https://[::ffff:10.0.0.1]/x", EndpointError::NotPublic),
            ("https://[64:ff9b::a00:1]/x", EndpointError::NotPublic),
        ] {
            assert_eq!(check(bad, false).err(), Some(why), "{bad}");
        }
        assert_eq!(
            check(
                &format!("https://push.example.com/{}", "a".repeat(MAX_LEN)),
                false
            )
            .err(),
            Some(EndpointError::TooLong)
        );
    }

    #[test]
    fn tests_may_allow_local_http() {
        assert!(check("http://127.0.0.1:4000/push/1", true).is_ok());
        assert_eq!(
            check("file:///etc/passwd", true).err(),
            Some(EndpointError::NotHttps)
        );
    }

    /// DNS rebinding: a name that passed the check at registration but resolves to a private
    /// address when the push goes out is refused by the client's resolver.
    #[tokio::test]
    async fn the_resolver_refuses_names_of_private_addresses() {
        use reqwest::dns::Resolve as _;
        let name: reqwest::dns::Name = "localhost".parse().expect("a name");
        let resolved = PublicOnly.resolve(name).await;
        assert!(resolved.is_err(), "localhost resolves to loopback: refused");
    }

    #[test]
    fn origins_keep_a_non_default_port() {
        let url = Url::parse("https://push.example:8443/a/b").expect("url");
        assert_eq!(origin(&url), "https://push.example:8443");
        let url = Url::parse("https://push.example:443/a").expect("url");
        assert_eq!(origin(&url), "https://push.example");
    }
}
