//! End-to-end tests of the albmtls binary on real files. One test binary, one harness.

mod harness;

mod aws_auth;
mod corpus;
mod doctor;
mod explain;
mod follow;
mod grep;
mod guide;
mod hostile;
mod nightly;
mod posture;
mod report;
mod robustness;
mod s3;
mod trust;
mod ux;
mod vended;
mod vended_trees;
