//! Outgoing connections to other nodes (Raft and control messages, replication, pub/sub
//! fan-out, slot migration) are all made from one kind of endpoint, so that
//! `bind-source-addr` applies to every one of them.

use std::net::IpAddr;

use tonic::transport::Endpoint;

use crate::config::ConfigStore;

/// An endpoint for `url` (`http://host:port`) whose connections leave from `source` when
/// given (`bind-source-addr`), else from the address the OS picks.
pub fn endpoint(url: impl Into<String>, source: Option<IpAddr>) -> Result<Endpoint, tonic::transport::Error> {
    Ok(Endpoint::from_shared(url.into())?.local_address(source).tcp_nodelay(true))
}

/// `bind-source-addr` as an address: `None` when empty. An option that is no IP address is
/// refused when the cluster starts (see [`check_source_addr`]), so it reads as `None` here.
pub fn source_addr(config: &ConfigStore) -> Option<IpAddr> {
    parse_source_addr(&config.string("bind-source-addr")).ok().flatten()
}

/// Whether `bind-source-addr` is empty or an IP address, for the check at start.
pub fn check_source_addr(config: &ConfigStore) -> anyhow::Result<Option<IpAddr>> {
    let raw = config.string("bind-source-addr");
    parse_source_addr(&raw).map_err(|_| anyhow::anyhow!("option 'bind-source-addr': '{raw}' is not an IP address"))
}

fn parse_source_addr(raw: &str) -> Result<Option<IpAddr>, std::net::AddrParseError> {
    let raw = raw.trim().trim_matches(['[', ']']);
    if raw.is_empty() { Ok(None) } else { raw.parse().map(Some) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_source_address_is_an_ip_or_nothing() {
        assert_eq!(parse_source_addr(""), Ok(None));
        assert_eq!(parse_source_addr(" 127.0.0.2 "), Ok(Some(IpAddr::from([127, 0, 0, 2]))));
        assert_eq!(parse_source_addr("[::1]"), Ok(Some("::1".parse().unwrap())));
        assert!(parse_source_addr("localhost").is_err());
        let config = ConfigStore::new();
        assert_eq!(source_addr(&config), None);
        config.set_many(&[("bind-source-addr".to_owned(), "10.0.0.9".to_owned())], true).unwrap();
        assert_eq!(source_addr(&config), Some(IpAddr::from([10, 0, 0, 9])));
        config.set_many(&[("bind-source-addr".to_owned(), "nope".to_owned())], true).unwrap();
        assert!(check_source_addr(&config).is_err());
    }
}
