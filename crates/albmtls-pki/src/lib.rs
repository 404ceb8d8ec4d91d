//! albmtls-pki (being written).
