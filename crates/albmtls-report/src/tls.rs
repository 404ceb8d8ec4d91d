//! TLS posture: records per protocol, cipher and key exchange, and who still connects
//! with TLS 1.0 or 1.1.

use albmtls_parse::{Record, tls};
use serde::{Deserialize, Serialize};

use crate::counts::ClientCounts;
use crate::keyed::Keyed;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsCounts {
    /// Records per `tls_protocol` other than `-`.
    pub protocols: Keyed<Vec<u8>, u64>,
    /// Records per `tls_cipher` other than `-`.
    pub ciphers: Keyed<Vec<u8>, u64>,
    /// Records per `tls_keyexchange` (field 13) other than `-`, as written.
    pub key_exchanges: Keyed<Vec<u8>, u64>,
    /// Field 13 values that are not a group name.
    pub malformed_key_exchanges: u64,
    /// Clients per legacy protocol (TLS 1.0, 1.1).
    pub legacy_clients: Keyed<Vec<u8>, ClientCounts>,
}

impl TlsCounts {
    #[inline(always)]
    pub fn add(&mut self, record: &Record<'_>) {
        let protocol = record.tls_protocol;
        if protocol != b"-" {
            *self.protocols.entry(protocol) += 1;
            if tls::is_legacy_protocol(protocol) {
                self.legacy_clients.entry(protocol).add(record.client_ip);
            }
        }
        if record.tls_cipher != b"-" {
            *self.ciphers.entry(record.tls_cipher) += 1;
        }
        if let Some(group) = record.tls_keyexchange
            && group != b"-"
        {
            match self.key_exchanges.entry_if_valid(group, tls::is_key_exchange_name) {
                Some(records) => *records += 1,
                None => self.malformed_key_exchanges += 1,
            }
        }
    }

    pub fn merge(&mut self, other: TlsCounts) {
        self.protocols.merge(other.protocols);
        self.ciphers.merge(other.ciphers);
        self.key_exchanges.merge(other.key_exchanges);
        self.malformed_key_exchanges += other.malformed_key_exchanges;
        self.legacy_clients.merge(other.legacy_clients);
    }

    /// Records with a key exchange, and those of them with a post-quantum one.
    pub fn post_quantum(&self) -> (u64, u64) {
        self.key_exchanges
            .sorted()
            .into_iter()
            .fold((0, 0), |(all, pq), (group, &n)| (all + n, if tls::is_post_quantum(group) { pq + n } else { pq }))
    }
}
