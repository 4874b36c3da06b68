//! The caller's address, seen through the reverse proxies the operator trusts.
//!
//! Behind nginx every request comes from nginx: the sign-in limits per address would count
//! a whole team as one caller, and `/metrics` (private addresses only) would answer anyone
//! the proxy passes on. With `--trusted-proxy`, a request from one of those addresses is
//! taken to be from the address its `X-Forwarded-For` names: read from the right, past
//! every trusted hop, the first one that is not trusted (what the last trusted proxy saw).
//! A header from anywhere else is ignored: a client cannot name its own address.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use ipnet::IpNet;

use super::AppState;
use crate::error::AppError;

/// The networks whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Trusts `nets`.
    pub fn new(nets: Vec<IpNet>) -> TrustedProxies {
        TrustedProxies(nets)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client's address for a request from `peer` with `headers`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        // Every X-Forwarded-For header, in order, as one list: hops are appended.
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .flat_map(|value| value.to_str().unwrap_or("").split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            let Ok(ip) = hop.parse::<IpAddr>() else {
                // A hop a trusted proxy would not have written: the nearest hop we can
                // vouch for is the answer.
                return client;
            };
            client = ip;
            if !self.trusts(ip) {
                return ip;
            }
        }
        client
    }
}

/// Parses `--trusted-proxy` values: networks (`10.0.0.0/8`) or single addresses.
pub fn parse_trusted(value: &str) -> Result<IpNet, String> {
    let value = value.trim();
    value
        .parse::<IpNet>()
        .or_else(|_| value.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{value:?} is neither an address nor a network like 10.0.0.0/8"))
}

/// The caller's address (see the module's docs).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let ConnectInfo(peer) = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .copied()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no peer address")))?;
        Ok(ClientAddr(
            state.trusted_proxies.client(peer.ip(), &parts.headers),
        ))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::new(list.iter().map(|n| parse_trusted(n).unwrap()).collect())
    }

    fn headers(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append("x-forwarded-for", v.parse().unwrap());
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_header_from_an_untrusted_peer_is_ignored() {
        let trusted = proxies(&["127.0.0.1"]);
        let forged = headers(&["198.51.100.7"]);
        assert_eq!(
            trusted.client(ip("203.0.113.9"), &forged),
            ip("203.0.113.9")
        );
        assert_eq!(
            TrustedProxies::default().client(ip("127.0.0.1"), &forged),
            ip("127.0.0.1"),
            "nothing trusted by default"
        );
    }

    #[test]
    fn the_first_untrusted_hop_from_the_right_is_the_client() {
        let trusted = proxies(&["10.0.0.0/8", "127.0.0.1"]);
        // The client wrote a hop of its own first; nginx appended the address it saw.
        let chain = headers(&["1.2.3.4, 203.0.113.9, 10.0.0.5"]);
        assert_eq!(trusted.client(ip("127.0.0.1"), &chain), ip("203.0.113.9"));
        // The same hops over two headers.
        let split = headers(&["1.2.3.4", "203.0.113.9, 10.0.0.5"]);
        assert_eq!(trusted.client(ip("127.0.0.1"), &split), ip("203.0.113.9"));
    }

    #[test]
    fn garbage_or_no_header_gives_the_nearest_hop_vouched_for() {
        let trusted = proxies(&["10.0.0.0/8"]);
        assert_eq!(
            trusted.client(ip("10.0.0.2"), &headers(&["not-an-ip, 10.0.0.9"])),
            ip("10.0.0.9")
        );
        assert_eq!(
            trusted.client(ip("10.0.0.2"), &HeaderMap::new()),
            ip("10.0.0.2")
        );
        assert_eq!(
            trusted.client(ip("10.0.0.2"), &headers(&["10.0.0.3, 10.0.0.4"])),
            ip("10.0.0.3"),
            "only proxies: the farthest one"
        );
    }

    #[test]
    fn values_are_networks_or_addresses() {
        assert!(parse_trusted("10.0.0.0/8").is_ok());
        assert!(parse_trusted("::1").is_ok());
        assert!(parse_trusted(" 192.168.1.10 ").is_ok());
        assert!(parse_trusted("nginx").is_err());
        assert!(parse_trusted("10.0.0.0/33").is_err());
    }
}
