//! Who is asking: the TCP peer, or — only when the peer is one of the
//! configured trusted proxies — the address that proxy saw, from
//! `X-Forwarded-For`. Anyone else's `X-Forwarded-For` is ignored: a
//! stranger could otherwise pick any address to dodge the login throttle.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;

use crate::AppState;

/// The client's address, `None` when the server gave no peer address.
#[derive(Debug, Clone, Copy)]
pub struct Client(pub Option<IpAddr>);

impl Client {
    /// For the audit table.
    pub fn show(self) -> String {
        self.0.map_or_else(|| "unknown".into(), |ip| ip.to_string())
    }
}

/// The client behind `peer`: walking `X-Forwarded-For` from the right
/// (the entry the nearest proxy appended), the first address that is not
/// a trusted proxy.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|t| t.to_canonical() == *ip);
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Ok(ip) = hop.parse::<IpAddr>() else {
            // Garbage: the last address a trusted hop vouched for.
            break;
        };
        client = ip.to_canonical();
        if !is_trusted(&client) {
            break;
        }
    }
    client
}

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(Client(peer.map(|p| {
            client_ip(p, &parts.headers, &s.view.trusted_proxies)
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xff(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", v.parse().unwrap());
        h
    }

    #[test]
    fn forwarded_for_counts_only_from_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let stranger: IpAddr = "203.0.113.9".parse().unwrap();
        let h = xff("198.51.100.1, 198.51.100.7");
        assert_eq!(client_ip(stranger, &h, &[proxy]), stranger);
        assert_eq!(
            client_ip(proxy, &h, &[proxy]),
            "198.51.100.7".parse::<IpAddr>().unwrap(),
            "the entry the proxy appended, not one the client wrote"
        );
        let chain = xff("198.51.100.1, 10.0.0.3");
        let both: [IpAddr; 2] = [proxy, "10.0.0.3".parse().unwrap()];
        assert_eq!(
            client_ip(proxy, &chain, &both),
            "198.51.100.1".parse::<IpAddr>().unwrap()
        );
        assert_eq!(client_ip(proxy, &HeaderMap::new(), &[proxy]), proxy);
        assert_eq!(client_ip(proxy, &xff("not-an-ip"), &[proxy]), proxy);
        let mapped: IpAddr = "::ffff:10.0.0.2".parse().unwrap();
        assert_eq!(
            client_ip(mapped, &h, &[proxy]),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
    }
}
