//! albmtls-parse (being written).
