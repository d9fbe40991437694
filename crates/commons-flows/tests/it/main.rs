//! Integration tests through the public API: generated captures, logs and
//! indicator sets scanned and matched end to end.

mod generated;
