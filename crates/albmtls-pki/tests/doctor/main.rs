//! Integration tests: real PKIs built with rcgen (plus openssl-made fixtures for what
//! rcgen cannot make), every verdict and bundle rule, and cross-checks with openssl.

mod bundle;
mod crl;
mod headers;
mod openssl;
mod pki;
mod verify;
