//! albmtls-s3 (being written).
