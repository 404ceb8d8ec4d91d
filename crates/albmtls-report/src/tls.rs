//! TLS posture: records per protocol, cipher and key exchange, and who still connects
//! with TLS 1.0 or 1.1.

use std::net::IpAddr;

use albmtls_parse::tls;
use serde::{Deserialize, Serialize};

use crate::counts::ClientCounts;
use crate::keyed::Keyed;
use crate::profiles::{KeyExchangeSlot, Slots};

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
    /// Fills in where a record with this protocol (`None`: not delivered), cipher and key
    /// exchange (`None`: no field 13) is counted. A key exchange is checked here, once per
    /// combination, not per record.
    pub(crate) fn slots(&mut self, protocol: Option<&[u8]>, cipher: &[u8], key_exchange: Option<&[u8]>, slots: &mut Slots) {
        let protocol = protocol.filter(|p| *p != b"-");
        slots.protocol = protocol.map(|p| self.protocols.index_of(p));
        slots.legacy = protocol.filter(|p| tls::is_legacy_protocol(p)).map(|p| self.legacy_clients.index_of(p));
        slots.cipher = (cipher != b"-").then(|| self.ciphers.index_of(cipher));
        slots.key_exchange = match key_exchange.filter(|group| *group != b"-") {
            None => KeyExchangeSlot::Absent,
            Some(group) => match self.key_exchanges.index_if_valid(group, tls::is_key_exchange_name) {
                Some(i) => KeyExchangeSlot::At(i),
                None => KeyExchangeSlot::Malformed,
            },
        };
    }

    /// Counts a record of `client` at `slots`.
    #[inline(always)]
    pub(crate) fn add(&mut self, slots: &Slots, client: IpAddr) {
        if let Some(i) = slots.protocol {
            *self.protocols.at(i) += 1;
        }
        if let Some(i) = slots.legacy {
            self.legacy_clients.at(i).add(client);
        }
        if let Some(i) = slots.cipher {
            *self.ciphers.at(i) += 1;
        }
        match slots.key_exchange {
            KeyExchangeSlot::Absent => {}
            KeyExchangeSlot::Malformed => self.malformed_key_exchanges += 1,
            KeyExchangeSlot::At(i) => *self.key_exchanges.at(i) += 1,
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
