//! albmtls-corpus (being written).
