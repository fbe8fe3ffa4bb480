//! Truncating client addresses before they touch disk or logs: IPv4 to /24, IPv6 to /48.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The network prefix of `addr`: `192.0.2.0/24` or `2001:db8:1::/48`. An IPv4-mapped IPv6
/// address (`::ffff:192.0.2.7`) is treated as the IPv4 address it carries.
pub fn truncate(addr: IpAddr) -> String {
    match addr {
        IpAddr::V4(v4) => truncate_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => truncate_v4(v4),
            None => truncate_v6(v6),
        },
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
    fn mapped_ipv4_is_truncated_as_ipv4() {
        assert_eq!(
            truncate("::ffff:198.51.100.9".parse().unwrap()),
            "198.51.100.0/24"
        );
    }
}
