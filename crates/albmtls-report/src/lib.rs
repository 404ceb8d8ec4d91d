//! albmtls-report (being written).
