//! Who the client is behind trusted reverse proxies: the pure function [`client_addr`] and the
//! parsers of `X-Forwarded-For` and `Forwarded` (RFC 7239) it walks.
//!
//! The socket peer is the client unless it is in a trusted network ([`ProxyTrust`]). When it is,
//! the configured header is read from the right: each trusted address is one more proxy, and the
//! first address that is not trusted is the client. Everything to its left was written by the
//! client and is never read. A hop a trusted proxy could not or would not name (`unknown`, an
//! obfuscated `_identifier`, garbage) ends the walk with no address: the entries to its left are
//! the client's to choose. An address taken from a header is marked as such, so the loopback
//! exemption of the rate limit never applies to it.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;

use crate::config::{ForwardedHeader, ProxyTrust};

/// The client as the edge sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr {
    /// The client's address; `None` when there is no peer or a trusted proxy did not name it.
    pub ip: Option<IpAddr>,
    /// Whether the address came through a trusted proxy's header rather than the socket.
    pub forwarded: bool,
}

/// One hop of a forwarding header, as a proxy wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hop {
    Addr(IpAddr),
    /// `unknown`, an obfuscated identifier, a missing `for=` or anything unparsable.
    Unnamed,
}

/// The client of a request from `peer` carrying `headers`, believing only `proxy`.
pub fn client_addr(peer: Option<IpAddr>, headers: &HeaderMap, proxy: &ProxyTrust) -> ClientAddr {
    let Some(peer) = peer.map(|p| p.to_canonical()) else {
        return ClientAddr {
            ip: None,
            forwarded: false,
        };
    };
    let direct = ClientAddr {
        ip: Some(peer),
        forwarded: false,
    };
    if !proxy.trusts(peer) {
        return direct;
    }
    let hops = match proxy.header {
        ForwardedHeader::XForwardedFor => header_elements(headers, "x-forwarded-for")
            .map(x_forwarded_for_hop)
            .collect::<Vec<_>>(),
        ForwardedHeader::Forwarded => header_elements(headers, "forwarded")
            .map(forwarded_hop)
            .collect::<Vec<_>>(),
    };
    let mut leftmost = None;
    for hop in hops.iter().rev() {
        match *hop {
            Hop::Addr(ip) => {
                let ip = ip.to_canonical();
                if !proxy.trusts(ip) {
                    return ClientAddr {
                        ip: Some(ip),
                        forwarded: true,
                    };
                }
                leftmost = Some(ip);
            }
            Hop::Unnamed => {
                return ClientAddr {
                    ip: None,
                    forwarded: true,
                };
            }
        }
    }
    match leftmost {
        // Every hop is a trusted proxy: the furthest one is the client.
        Some(ip) => ClientAddr {
            ip: Some(ip),
            forwarded: true,
        },
        // The proxy forwarded nothing (its own health check, say): the peer is the client.
        None => direct,
    }
}

/// The comma-separated elements of every `name` header line, in order; empty elements skipped.
/// Commas inside quoted strings (possible in `Forwarded`) do not split.
fn header_elements<'a>(headers: &'a HeaderMap, name: &str) -> impl Iterator<Item = &'a str> {
    headers
        .get_all(name)
        .iter()
        .map(|value| value.to_str().unwrap_or("\u{0}"))
        .flat_map(|line| split_outside_quotes(line, ','))
        .map(str::trim)
        .filter(|element| !element.is_empty())
}

/// Splits `text` on `separator` where it is not inside a quoted string.
fn split_outside_quotes(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    let mut escaped = false;
    for (at, c) in text.char_indices() {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c == separator && !quoted {
            parts.push(text.get(start..at).unwrap_or(""));
            start = at + c.len_utf8();
        }
    }
    parts.push(text.get(start..).unwrap_or(""));
    parts
}

/// `203.0.113.9`, `203.0.113.9:4711`, `2001:db8::1`, `[2001:db8::1]:4711` or `[2001:db8::1]`.
fn parse_node(node: &str) -> Option<IpAddr> {
    node.parse::<IpAddr>()
        .ok()
        .or_else(|| node.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            // `[v6]` and `[v6]:_obfuscatedport` (RFC 7239 §6).
            let inside = node.strip_prefix('[')?;
            let (addr, rest) = inside.split_once(']')?;
            let port_ok = rest.is_empty() || rest.strip_prefix(':').is_some_and(valid_port);
            port_ok.then(|| addr.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6))?
        })
        .or_else(|| {
            // `v4:_obfuscatedport`.
            let (addr, port) = node.split_once(':')?;
            valid_port(port).then(|| addr.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4))?
        })
}

fn valid_port(port: &str) -> bool {
    port.parse::<u16>().is_ok()
        || port.strip_prefix('_').is_some_and(|rest| {
            !rest.is_empty()
                && rest
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-')
        })
}

fn x_forwarded_for_hop(element: &str) -> Hop {
    parse_node(element).map_or(Hop::Unnamed, Hop::Addr)
}

/// One `Forwarded` element (`for=…;proto=…;by=…`): its `for` node, unquoted.
fn forwarded_hop(element: &str) -> Hop {
    let node = split_outside_quotes(element, ';')
        .into_iter()
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("for"))
        .map(|(_, value)| unquote(value.trim()));
    match node {
        // `unknown` and `_obfuscated` fail to parse and name no one.
        Some(node) => parse_node(&node).map_or(Hop::Unnamed, Hop::Addr),
        None => Hop::Unnamed,
    }
}

/// A token as is, a quoted string without its quotes and escapes.
fn unquote(value: &str) -> String {
    let Some(inside) = value
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
    else {
        return value.to_owned();
    };
    let mut out = String::with_capacity(inside.len());
    let mut escaped = false;
    for c in inside.chars() {
        if escaped || c != '\\' {
            out.push(c);
            escaped = false;
        } else {
            escaped = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn proxy(header: ForwardedHeader, trusted: &[&str]) -> ProxyTrust {
        ProxyTrust {
            trusted: trusted.iter().map(|n| n.parse().unwrap()).collect(),
            header,
        }
    }

    fn headers(name: &'static str, lines: &[&'static str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for line in lines {
            map.append(name, HeaderValue::from_static(line));
        }
        map
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    fn via(text: &str) -> ClientAddr {
        ClientAddr {
            ip: ip(text),
            forwarded: true,
        }
    }

    fn direct(text: &str) -> ClientAddr {
        ClientAddr {
            ip: ip(text),
            forwarded: false,
        }
    }

    const XFF: ForwardedHeader = ForwardedHeader::XForwardedFor;

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let spoofed = headers("x-forwarded-for", &["127.0.0.1"]);
        assert_eq!(
            client_addr(ip("203.0.113.9"), &spoofed, &ProxyTrust::default()),
            direct("203.0.113.9")
        );
        let trusting_others = proxy(XFF, &["10.0.0.0/8"]);
        assert_eq!(
            client_addr(ip("203.0.113.9"), &spoofed, &trusting_others),
            direct("203.0.113.9")
        );
        let forwarded = headers("forwarded", &["for=127.0.0.1"]);
        let trusting_forwarded = proxy(ForwardedHeader::Forwarded, &["10.0.0.0/8"]);
        assert_eq!(
            client_addr(ip("198.51.100.7"), &forwarded, &trusting_forwarded),
            direct("198.51.100.7")
        );
    }

    #[test]
    fn the_rightmost_untrusted_address_is_the_client_not_the_leftmost() {
        let trust = proxy(XFF, &["10.0.0.0/8"]);
        // The client wrote `127.0.0.1, 192.0.2.1`; the proxy appended what it saw.
        let spoofed = headers("x-forwarded-for", &["127.0.0.1, 192.0.2.1, 203.0.113.9"]);
        assert_eq!(
            client_addr(ip("10.0.0.2"), &spoofed, &trust),
            via("203.0.113.9")
        );
    }

    #[test]
    fn a_chain_of_trusted_proxies_is_walked_from_the_peer() {
        let trust = proxy(XFF, &["10.0.0.0/8", "192.168.0.0/16"]);
        let chain = headers(
            "x-forwarded-for",
            &["6.6.6.6, 203.0.113.9, 192.168.1.10", "10.1.1.1"],
        );
        assert_eq!(
            client_addr(ip("10.0.0.2"), &chain, &trust),
            via("203.0.113.9")
        );
        // An untrusted hop in the middle is the client: nothing left of it is believed.
        let untrusted_middle =
            headers("x-forwarded-for", &["192.168.1.10, 198.51.100.1, 10.1.1.1"]);
        assert_eq!(
            client_addr(ip("10.0.0.2"), &untrusted_middle, &trust),
            via("198.51.100.1")
        );
    }

    #[test]
    fn a_trusted_peer_without_the_header_is_the_client_and_loopback_from_a_header_is_forwarded() {
        let trust = proxy(XFF, &["127.0.0.0/8"]);
        assert_eq!(
            client_addr(ip("127.0.0.1"), &HeaderMap::new(), &trust),
            direct("127.0.0.1")
        );
        // Every hop trusted: the furthest is the client, but it came from a header.
        let spoofed = headers("x-forwarded-for", &["127.0.0.1"]);
        assert_eq!(
            client_addr(ip("127.0.0.1"), &spoofed, &trust),
            via("127.0.0.1")
        );
    }

    #[test]
    fn an_unnamed_hop_ends_the_walk_with_no_address() {
        let trust = proxy(XFF, &["10.0.0.0/8"]);
        for value in [
            "203.0.113.9, garbage",
            "203.0.113.9, unknown",
            "203.0.113.9, _hidden",
        ] {
            let map = headers(
                "x-forwarded-for",
                &[Box::leak(value.to_owned().into_boxed_str())],
            );
            assert_eq!(
                client_addr(ip("10.0.0.2"), &map, &trust),
                ClientAddr {
                    ip: None,
                    forwarded: true
                },
                "{value}"
            );
        }
        // Garbage left of the client's real address is the client's own and is not read.
        let map = headers("x-forwarded-for", &["garbage, 203.0.113.9"]);
        assert_eq!(
            client_addr(ip("10.0.0.2"), &map, &trust),
            via("203.0.113.9")
        );
    }

    #[test]
    fn x_forwarded_for_entries_may_carry_ports_and_brackets() {
        let trust = proxy(XFF, &["10.0.0.0/8"]);
        for (value, expected) in [
            ("203.0.113.9:4711", "203.0.113.9"),
            ("[2001:db8::17]:4711", "2001:db8::17"),
            ("[2001:db8::17]", "2001:db8::17"),
            ("2001:db8::17", "2001:db8::17"),
            ("::ffff:203.0.113.9", "203.0.113.9"),
        ] {
            let map = headers(
                "x-forwarded-for",
                &[Box::leak(value.to_owned().into_boxed_str())],
            );
            assert_eq!(
                client_addr(ip("10.0.0.2"), &map, &trust),
                via(expected),
                "{value}"
            );
        }
    }

    #[test]
    fn forwarded_is_parsed_as_rfc_7239_writes_it() {
        let trust = proxy(ForwardedHeader::Forwarded, &["10.0.0.0/8"]);
        let cases: [(&'static str, Option<&str>); 8] = [
            (
                "for=192.0.2.60;proto=http;by=203.0.113.43",
                Some("192.0.2.60"),
            ),
            (
                r#"For="[2001:db8:cafe::17]:4711""#,
                Some("2001:db8:cafe::17"),
            ),
            (r#"for="[2001:db8:cafe::17]""#, Some("2001:db8:cafe::17")),
            (r#"for="192.0.2.43:_hidden-port""#, Some("192.0.2.43")),
            ("for=192.0.2.43, for=10.1.1.1", Some("192.0.2.43")),
            (r#"by="a,b";for=198.51.100.17"#, Some("198.51.100.17")),
            ("for=unknown", None),
            ("for=_gazonk", None),
        ];
        for (value, expected) in cases {
            let map = headers("forwarded", &[value]);
            let expected = match expected {
                Some(addr) => via(addr),
                None => ClientAddr {
                    ip: None,
                    forwarded: true,
                },
            };
            assert_eq!(
                client_addr(ip("10.0.0.2"), &map, &trust),
                expected,
                "{value}"
            );
        }
        // An element without `for` names no one.
        let map = headers("forwarded", &["for=203.0.113.9, proto=https"]);
        assert_eq!(
            client_addr(ip("10.0.0.2"), &map, &trust),
            ClientAddr {
                ip: None,
                forwarded: true
            }
        );
        // A client's own `for=` left of the proxy's is not read; chains over several lines work.
        let map = headers(
            "forwarded",
            &["for=127.0.0.1", r#"for="[2001:db8::9]:1", for=10.2.2.2"#],
        );
        assert_eq!(
            client_addr(ip("10.0.0.2"), &map, &trust),
            via("2001:db8::9")
        );
    }

    #[test]
    fn only_the_configured_header_is_read() {
        let mut map = headers("x-forwarded-for", &["203.0.113.9"]);
        map.append("forwarded", HeaderValue::from_static("for=198.51.100.1"));
        let xff = proxy(XFF, &["10.0.0.0/8"]);
        let forwarded = proxy(ForwardedHeader::Forwarded, &["10.0.0.0/8"]);
        assert_eq!(client_addr(ip("10.0.0.2"), &map, &xff), via("203.0.113.9"));
        assert_eq!(
            client_addr(ip("10.0.0.2"), &map, &forwarded),
            via("198.51.100.1")
        );
    }

    #[test]
    fn a_mapped_peer_is_matched_as_ipv4() {
        let trust = proxy(XFF, &["127.0.0.0/8"]);
        let map = headers("x-forwarded-for", &["203.0.113.9"]);
        assert_eq!(
            client_addr(ip("::ffff:127.0.0.1"), &map, &trust),
            via("203.0.113.9")
        );
        assert_eq!(
            client_addr(None, &map, &trust),
            ClientAddr {
                ip: None,
                forwarded: false
            }
        );
    }
}
