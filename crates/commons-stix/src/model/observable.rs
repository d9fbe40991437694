//! STIX Cyber-observable Objects a network feed matches on: addresses,
//! names, URLs, file hashes, traffic, e-mail addresses and certificates.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::domain::stix_struct;
use super::{Custom, ObservableCommon};
use crate::{Identifier, Timestamp};

stix_struct! {
    /// `ipv4-addr`: one IPv4 address or a CIDR block.
    pub struct Ipv4Addr: ObservableCommon {
        /// The address or CIDR, e.g. `198.51.100.3` or `198.51.100.0/24`.
        value: String,
    } optional {
        /// Deprecated: `mac-addr` objects it resolves to.
        resolves_to_refs: Vec<Identifier>,
        /// Deprecated: `autonomous-system` objects it belongs to.
        belongs_to_refs: Vec<Identifier>,
    }
}

stix_struct! {
    /// `ipv6-addr`: one IPv6 address or a CIDR block.
    pub struct Ipv6Addr: ObservableCommon {
        /// The address or CIDR.
        value: String,
    } optional {
        /// Deprecated: `mac-addr` objects it resolves to.
        resolves_to_refs: Vec<Identifier>,
        /// Deprecated: `autonomous-system` objects it belongs to.
        belongs_to_refs: Vec<Identifier>,
    }
}

stix_struct! {
    /// `domain-name`: a network domain name.
    pub struct DomainName: ObservableCommon {
        /// The name, e.g. `example.com`.
        value: String,
    } optional {
        /// Deprecated: addresses or names it resolves to.
        resolves_to_refs: Vec<Identifier>,
    }
}

stix_struct! {
    /// `url`: a uniform resource locator.
    pub struct Url: ObservableCommon {
        /// The URL (RFC 3986).
        value: String,
    } optional {}
}

stix_struct! {
    /// `file`: properties of a file; at least `hashes` or `name` is present.
    pub struct File: ObservableCommon {
    } optional {
        /// Hashes keyed by `hash-algorithm-ov` name (`SHA-256`, `MD5`, …).
        hashes: BTreeMap<String, String>,
        /// Size in bytes.
        size: u64,
        /// File name.
        name: String,
        /// Encoding of the name, if not UTF-8.
        name_enc: String,
        /// The first bytes, hex encoded.
        magic_number_hex: String,
        /// MIME type.
        mime_type: String,
        /// Creation time.
        ctime: Timestamp,
        /// Modification time.
        mtime: Timestamp,
        /// Access time.
        atime: Timestamp,
        /// The `directory` it is in.
        parent_directory_ref: Identifier,
        /// Objects contained in the file (archives).
        contains_refs: Vec<Identifier>,
        /// The `artifact` with its content.
        content_ref: Identifier,
    }
}

stix_struct! {
    /// `network-traffic`: a connection or flow between two endpoints.
    pub struct NetworkTraffic: ObservableCommon {
        /// Protocols, outermost first, e.g. `["ipv4", "tcp", "http"]`.
        protocols: Vec<String>,
    } optional {
        /// When the traffic started.
        start: Timestamp,
        /// When it ended (not with `is_active: true`).
        end: Timestamp,
        /// Whether it is still ongoing.
        is_active: bool,
        /// Source address or name object.
        src_ref: Identifier,
        /// Destination address or name object.
        dst_ref: Identifier,
        /// Source port, 0–65535.
        src_port: u16,
        /// Destination port, 0–65535.
        dst_port: u16,
        /// Bytes from source to destination.
        src_byte_count: u64,
        /// Bytes from destination to source.
        dst_byte_count: u64,
        /// Packets from source to destination.
        src_packets: u64,
        /// Packets from destination to source.
        dst_packets: u64,
        /// IPFIX fields.
        ipfix: BTreeMap<String, Value>,
        /// `artifact` with the source payload.
        src_payload_ref: Identifier,
        /// `artifact` with the destination payload.
        dst_payload_ref: Identifier,
        /// Traffic this traffic encapsulates.
        encapsulates_refs: Vec<Identifier>,
        /// Traffic encapsulating this one.
        encapsulated_by_ref: Identifier,
    }
}

stix_struct! {
    /// `email-addr`: an e-mail address.
    pub struct EmailAddr: ObservableCommon {
        /// The address (RFC 5322 addr-spec).
        value: String,
    } optional {
        /// The display name.
        display_name: String,
        /// The `user-account` it belongs to.
        belongs_to_ref: Identifier,
    }
}

stix_struct! {
    /// `x509-certificate`: properties of an X.509 certificate; at least one
    /// of them is present.
    pub struct X509Certificate: ObservableCommon {
    } optional {
        /// Whether it is self-signed.
        is_self_signed: bool,
        /// Hashes of the whole certificate.
        hashes: BTreeMap<String, String>,
        /// X.509 version.
        version: String,
        /// Serial number.
        serial_number: String,
        /// Signature algorithm.
        signature_algorithm: String,
        /// Issuer distinguished name.
        issuer: String,
        /// Start of validity.
        validity_not_before: Timestamp,
        /// End of validity.
        validity_not_after: Timestamp,
        /// Subject distinguished name.
        subject: String,
        /// Public key algorithm.
        subject_public_key_algorithm: String,
        /// RSA modulus.
        subject_public_key_modulus: String,
        /// RSA exponent.
        subject_public_key_exponent: u64,
        /// X.509 v3 extensions.
        x509_v3_extensions: BTreeMap<String, Value>,
    }
}
