//! Unit tests: parsers checked on hand-built bytes, one `check` per feature.

mod build;
mod capture;
mod decode;
