//! The sans-IO core of Commons: identities, signed records, community logs and
//! the policies that decide who may append what.
//!
//! Everything a node shares is a [`SignedRecord`]: a kind, a community, an
//! author key, a timestamp, a JSON body and references to earlier records,
//! signed by its author over the [canonical encoding](canonical). Its id is the
//! BLAKE3 hash of that encoding. A community's home node appends accepted
//! records to the community's log as [`Entry`]s, each chained to the previous
//! one by hash and signed with the community key, so a log can be verified by
//! anyone holding it (see [`log::verify_chain`]).
//!
//! This crate does no IO: it takes bytes and values and returns values. The
//! store persists what it produces and the node wires the two together.
#![warn(missing_docs)]

pub mod canonical;
pub mod capability;
pub mod community;
pub mod id;
pub mod keys;
pub mod log;
pub mod record;

pub use capability::{Finding, Findings, KindSpec, Validator};
pub use community::{CommunityInfo, JoinRule, MemberStatus, Membership, Policy, Role, Visibility};
pub use id::{CommunityId, EntryHash, Handle, Kind, RecordId};
pub use keys::{PublicKey, SecretKey, Signature};
pub use log::{Entry, EntryHeader, Sealing, Seals};
pub use record::{Record, SignedRecord, Timestamp};

#[cfg(test)]
mod tests;
