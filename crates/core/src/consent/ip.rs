//! Truncating client addresses before they touch disk or logs: IPv4 to /24, IPv6 to /48.
//!
//! IPv6 addresses that carry a whole IPv4 address inside their first 48 bits or after them
//! would leak it through a plain /48 cut, or escape the IPv4 rule: IPv4-mapped
//! (`::ffff:a.b.c.d`), NAT64 with the well-known prefix (`64:ff9b::a.b.c.d`, RFC 6052) and 6to4
//! (`2002:aabb:ccdd::/48`, RFC 3056) are truncated as the IPv4 address they carry.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The network prefix of `addr`: `192.0.2.0/24` or `2001:db8:1::/48`. An IPv6 address that
/// embeds an IPv4 address (mapped, NAT64, 6to4) is treated as the IPv4 address it carries.
pub fn truncate(addr: IpAddr) -> String {
    match addr {
        IpAddr::V4(v4) => truncate_v4(v4),
        IpAddr::V6(v6) => match embedded_ipv4(v6) {
            Some(v4) => truncate_v4(v4),
            None => truncate_v6(v6),
        },
    }
}

/// The IPv4 address an IPv6 address stands for, where it carries one whole.
fn embedded_ipv4(addr: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = addr.to_ipv4_mapped() {
        return Some(v4);
    }
    let [a, b, c, d, e, f, g, h] = addr.segments();
    let from = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    match (a, b, c, d, e, f) {
        (0x64, 0xff9b, 0, 0, 0, 0) => Some(from(g, h)),
        (0x2002, ..) => Some(from(b, c)),
        _ => None,
    }
}

fn truncate_v4(addr: Ipv4Addr) -> String {
    let [a, b, c, _] = addr.octets();
    format!("{}/24", Ipv4Addr::new(a, b, c, 0))
}

fn truncate_v6(addr: Ipv6Addr) -> String {
    let s = addr.segments();
    let kept = Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0);
    format!("{kept}/48")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_keeps_24_bits() {
        assert_eq!(truncate("192.0.2.77".parse().unwrap()), "192.0.2.0/24");
        assert_eq!(truncate("10.0.0.1".parse().unwrap()), "10.0.0.0/24");
    }

    #[test]
    fn ipv6_keeps_48_bits() {
        assert_eq!(
            truncate("2001:db8:1:2:3:4:5:6".parse().unwrap()),
            "2001:db8:1::/48"
        );
        assert_eq!(truncate("::1".parse().unwrap()), "::/48");
    }

    #[test]
    fn nat64_and_6to4_are_truncated_as_the_ipv4_they_carry() {
        assert_eq!(
            truncate("64:ff9b::203.0.113.77".parse().unwrap()),
            "203.0.113.0/24"
        );
        // 2002:cb00:714d:: is 6to4 for 203.0.113.77; a /48 cut would keep all of it.
        assert_eq!(
            truncate("2002:cb00:714d:1:2:3:4:5".parse().unwrap()),
            "203.0.113.0/24"
        );
        // The local-use NAT64 prefix keeps nothing of an IPv4 address in its first 48 bits.
        assert_eq!(
            truncate("64:ff9b:1:cb00:714d::".parse().unwrap()),
            "64:ff9b:1::/48"
        );
    }

    #[test]
    fn mapped_ipv4_is_truncated_as_ipv4() {
        assert_eq!(
            truncate("::ffff:198.51.100.9".parse().unwrap()),
            "198.51.100.0/24"
        );
    }
}
