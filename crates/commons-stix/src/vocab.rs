//! The fixed word lists of STIX 2.1: object types by category, the open
//! vocabularies (producers SHOULD use them, so a miss is a warning) and the
//! relationships the specification defines between object types.

/// What kind of object a type names, which decides its common properties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// A STIX Domain Object (indicator, malware, …).
    Domain,
    /// A STIX Cyber-observable Object (ipv4-addr, file, …).
    Observable,
    /// A STIX Relationship Object (relationship, sighting).
    Relationship,
    /// A meta object (marking-definition, language-content,
    /// extension-definition).
    Meta,
    /// The bundle wrapper.
    Bundle,
}

/// STIX 2.1 Domain Object types.
pub const DOMAIN_TYPES: &[&str] = &[
    "attack-pattern",
    "campaign",
    "course-of-action",
    "grouping",
    "identity",
    "incident",
    "indicator",
    "infrastructure",
    "intrusion-set",
    "location",
    "malware",
    "malware-analysis",
    "note",
    "observed-data",
    "opinion",
    "report",
    "threat-actor",
    "tool",
    "vulnerability",
];

/// STIX 2.1 Cyber-observable Object types.
pub const OBSERVABLE_TYPES: &[&str] = &[
    "artifact",
    "autonomous-system",
    "directory",
    "domain-name",
    "email-addr",
    "email-message",
    "file",
    "ipv4-addr",
    "ipv6-addr",
    "mac-addr",
    "mutex",
    "network-traffic",
    "process",
    "software",
    "url",
    "user-account",
    "windows-registry-key",
    "x509-certificate",
];

/// STIX 2.1 Relationship Object types.
pub const RELATIONSHIP_TYPES: &[&str] = &["relationship", "sighting"];

/// STIX 2.1 meta object types.
pub const META_TYPES: &[&str] = &[
    "extension-definition",
    "language-content",
    "marking-definition",
];

/// The category of a standard type; `None` for custom and unknown types.
pub fn category(object_type: &str) -> Option<Category> {
    if DOMAIN_TYPES.contains(&object_type) {
        Some(Category::Domain)
    } else if OBSERVABLE_TYPES.contains(&object_type) {
        Some(Category::Observable)
    } else if RELATIONSHIP_TYPES.contains(&object_type) {
        Some(Category::Relationship)
    } else if META_TYPES.contains(&object_type) {
        Some(Category::Meta)
    } else if object_type == "bundle" {
        Some(Category::Bundle)
    } else {
        None
    }
}

/// `attack-motivation-ov`.
pub const ATTACK_MOTIVATION: &[&str] = &[
    "accidental",
    "coercion",
    "dominance",
    "ideology",
    "notoriety",
    "organizational-gain",
    "personal-gain",
    "personal-satisfaction",
    "revenge",
    "unpredictable",
];

/// `attack-resource-level-ov`.
pub const ATTACK_RESOURCE_LEVEL: &[&str] = &[
    "individual",
    "club",
    "contest",
    "team",
    "organization",
    "government",
];

/// `hash-algorithm-ov`.
pub const HASH_ALGORITHM: &[&str] = &[
    "MD5", "SHA-1", "SHA-256", "SHA-512", "SHA3-256", "SHA3-512", "SSDEEP", "TLSH",
];

/// `identity-class-ov`.
pub const IDENTITY_CLASS: &[&str] = &[
    "individual",
    "group",
    "system",
    "organization",
    "class",
    "unknown",
];

/// `implementation-language-ov`.
pub const IMPLEMENTATION_LANGUAGE: &[&str] = &[
    "applescript",
    "bash",
    "c",
    "c++",
    "c#",
    "go",
    "java",
    "javascript",
    "lua",
    "objective-c",
    "perl",
    "php",
    "powershell",
    "python",
    "ruby",
    "scala",
    "swift",
    "typescript",
    "visual-basic",
    "x86-32",
    "x86-64",
];

/// `indicator-type-ov`.
pub const INDICATOR_TYPE: &[&str] = &[
    "anomalous-activity",
    "anonymization",
    "benign",
    "compromised",
    "malicious-activity",
    "attribution",
    "unknown",
];

/// `industry-sector-ov`.
pub const INDUSTRY_SECTOR: &[&str] = &[
    "agriculture",
    "aerospace",
    "automotive",
    "chemical",
    "commercial",
    "communications",
    "construction",
    "defense",
    "education",
    "energy",
    "entertainment",
    "financial-services",
    "government",
    "government-emergency-services",
    "government-local",
    "government-national",
    "government-public-services",
    "government-regional",
    "healthcare",
    "hospitality-leisure",
    "infrastructure",
    "infrastructure-dams",
    "infrastructure-nuclear",
    "infrastructure-water",
    "insurance",
    "manufacturing",
    "mining",
    "non-profit",
    "pharmaceuticals",
    "retail",
    "technology",
    "telecommunications",
    "transportation",
    "utilities",
];

/// `malware-type-ov`.
pub const MALWARE_TYPE: &[&str] = &[
    "adware",
    "backdoor",
    "bot",
    "bootkit",
    "ddos",
    "downloader",
    "dropper",
    "exploit-kit",
    "keylogger",
    "ransomware",
    "remote-access-trojan",
    "resource-exploitation",
    "rogue-security-software",
    "rootkit",
    "screen-capture",
    "spyware",
    "trojan",
    "unknown",
    "virus",
    "webshell",
    "wiper",
    "worm",
];

/// `malware-capabilities-ov`.
pub const MALWARE_CAPABILITIES: &[&str] = &[
    "accesses-remote-machines",
    "anti-debugging",
    "anti-disassembly",
    "anti-emulation",
    "anti-memory-forensics",
    "anti-sandbox",
    "anti-vm",
    "captures-input-peripherals",
    "captures-output-peripherals",
    "captures-system-state-data",
    "cleans-traces-of-infection",
    "commits-fraud",
    "communicates-with-c2",
    "compromises-data-availability",
    "compromises-data-integrity",
    "compromises-system-availability",
    "controls-local-machine",
    "degrades-security-software",
    "degrades-system-updates",
    "determines-c2-server",
    "emails-spam",
    "escalates-privileges",
    "evades-av",
    "exfiltrates-data",
    "fingerprints-host",
    "hides-artifacts",
    "hides-executing-code",
    "infects-files",
    "infects-remote-machines",
    "installs-other-components",
    "persists-after-system-reboot",
    "prevents-artifact-access",
    "prevents-artifact-deletion",
    "probes-network-environment",
    "self-modifies",
    "steals-authentication-credentials",
    "violates-system-operational-integrity",
];

/// `pattern-type-ov`.
pub const PATTERN_TYPE: &[&str] = &["stix", "pcre", "sigma", "snort", "suricata", "yara"];

/// `processor-architecture-ov`.
pub const PROCESSOR_ARCHITECTURE: &[&str] = &[
    "alpha", "arm", "ia-64", "mips", "powerpc", "sparc", "x86", "x86-64",
];

/// `report-type-ov`.
pub const REPORT_TYPE: &[&str] = &[
    "attack-pattern",
    "campaign",
    "identity",
    "indicator",
    "intrusion-set",
    "malware",
    "observed-data",
    "threat-actor",
    "threat-report",
    "tool",
    "vulnerability",
];

/// `threat-actor-type-ov`.
pub const THREAT_ACTOR_TYPE: &[&str] = &[
    "activist",
    "competitor",
    "crime-syndicate",
    "criminal",
    "hacker",
    "insider-accidental",
    "insider-disgruntled",
    "nation-state",
    "sensationalist",
    "spy",
    "terrorist",
    "unknown",
];

/// `threat-actor-role-ov`.
pub const THREAT_ACTOR_ROLE: &[&str] = &[
    "agent",
    "director",
    "independent",
    "infrastructure-architect",
    "infrastructure-operator",
    "malware-author",
    "sponsor",
];

/// `threat-actor-sophistication-ov`.
pub const THREAT_ACTOR_SOPHISTICATION: &[&str] = &[
    "none",
    "minimal",
    "intermediate",
    "advanced",
    "expert",
    "innovator",
    "strategic",
];

/// `opinion-enum` (a closed enumeration: other values are errors).
pub const OPINION: &[&str] = &[
    "strongly-disagree",
    "disagree",
    "neutral",
    "agree",
    "strongly-agree",
];

/// Relationship types any two objects may use.
pub const GENERIC_RELATIONSHIPS: &[&str] = &["derived-from", "duplicate-of", "related-to"];

/// Any cyber-observable type is an allowed target.
const ANY_OBSERVABLE: &str = "*observable";

/// The relationships the specification defines: source type, relationship
/// type, allowed target types. Others are allowed (the vocabulary is open);
/// a known (source, relationship) pair with an unlisted target is a warning.
pub const DEFINED_RELATIONSHIPS: &[(&str, &str, &[&str])] = &[
    ("attack-pattern", "delivers", &["malware"]),
    (
        "attack-pattern",
        "targets",
        &["identity", "location", "vulnerability"],
    ),
    ("attack-pattern", "uses", &["malware", "tool"]),
    (
        "campaign",
        "attributed-to",
        &["intrusion-set", "threat-actor"],
    ),
    ("campaign", "compromises", &["infrastructure"]),
    ("campaign", "originates-from", &["location"]),
    (
        "campaign",
        "targets",
        &["identity", "location", "vulnerability"],
    ),
    (
        "campaign",
        "uses",
        &["attack-pattern", "infrastructure", "malware", "tool"],
    ),
    ("course-of-action", "investigates", &["indicator"]),
    (
        "course-of-action",
        "mitigates",
        &[
            "attack-pattern",
            "indicator",
            "malware",
            "tool",
            "vulnerability",
        ],
    ),
    (
        "course-of-action",
        "remediates",
        &["malware", "vulnerability"],
    ),
    ("identity", "located-at", &["location"]),
    (
        "indicator",
        "indicates",
        &[
            "attack-pattern",
            "campaign",
            "infrastructure",
            "intrusion-set",
            "malware",
            "threat-actor",
            "tool",
        ],
    ),
    ("indicator", "based-on", &["observed-data"]),
    (
        "infrastructure",
        "communicates-with",
        &[
            "infrastructure",
            "ipv4-addr",
            "ipv6-addr",
            "domain-name",
            "url",
        ],
    ),
    (
        "infrastructure",
        "consists-of",
        &["infrastructure", "observed-data", ANY_OBSERVABLE],
    ),
    ("infrastructure", "controls", &["infrastructure", "malware"]),
    ("infrastructure", "delivers", &["malware"]),
    ("infrastructure", "has", &["vulnerability"]),
    ("infrastructure", "hosts", &["tool", "malware"]),
    ("infrastructure", "located-at", &["location"]),
    ("infrastructure", "uses", &["infrastructure"]),
    ("intrusion-set", "attributed-to", &["threat-actor"]),
    ("intrusion-set", "compromises", &["infrastructure"]),
    ("intrusion-set", "hosts", &["infrastructure"]),
    ("intrusion-set", "owns", &["infrastructure"]),
    ("intrusion-set", "originates-from", &["location"]),
    (
        "intrusion-set",
        "targets",
        &["identity", "location", "vulnerability"],
    ),
    (
        "intrusion-set",
        "uses",
        &["attack-pattern", "infrastructure", "malware", "tool"],
    ),
    ("malware", "authored-by", &["threat-actor", "intrusion-set"]),
    ("malware", "beacons-to", &["infrastructure"]),
    ("malware", "exfiltrates-to", &["infrastructure"]),
    (
        "malware",
        "communicates-with",
        &["ipv4-addr", "ipv6-addr", "domain-name", "url"],
    ),
    ("malware", "controls", &["malware"]),
    ("malware", "downloads", &["malware", "tool", "file"]),
    ("malware", "drops", &["malware", "tool", "file"]),
    ("malware", "exploits", &["vulnerability"]),
    ("malware", "originates-from", &["location"]),
    (
        "malware",
        "targets",
        &["identity", "infrastructure", "location", "vulnerability"],
    ),
    (
        "malware",
        "uses",
        &["attack-pattern", "infrastructure", "malware", "tool"],
    ),
    ("malware", "variant-of", &["malware"]),
    ("malware-analysis", "characterizes", &["malware"]),
    ("malware-analysis", "analysis-of", &["malware"]),
    ("malware-analysis", "static-analysis-of", &["malware"]),
    ("malware-analysis", "dynamic-analysis-of", &["malware"]),
    ("threat-actor", "attributed-to", &["identity"]),
    ("threat-actor", "compromises", &["infrastructure"]),
    ("threat-actor", "hosts", &["infrastructure"]),
    ("threat-actor", "owns", &["infrastructure"]),
    ("threat-actor", "impersonates", &["identity"]),
    ("threat-actor", "located-at", &["location"]),
    (
        "threat-actor",
        "targets",
        &["identity", "location", "vulnerability"],
    ),
    (
        "threat-actor",
        "uses",
        &["attack-pattern", "infrastructure", "malware", "tool"],
    ),
    ("tool", "delivers", &["malware"]),
    ("tool", "drops", &["malware"]),
    ("tool", "has", &["vulnerability"]),
    (
        "tool",
        "targets",
        &["identity", "infrastructure", "location", "vulnerability"],
    ),
    ("tool", "uses", &["infrastructure"]),
    (
        "domain-name",
        "resolves-to",
        &["ipv4-addr", "ipv6-addr", "domain-name"],
    ),
    ("ipv4-addr", "resolves-to", &["mac-addr"]),
    ("ipv4-addr", "belongs-to", &["autonomous-system"]),
    ("ipv6-addr", "resolves-to", &["mac-addr"]),
    ("ipv6-addr", "belongs-to", &["autonomous-system"]),
];

/// The targets the specification allows for `relationship_type` from
/// `source_type`, or `None` when it defines no such relationship.
pub fn defined_targets(
    source_type: &str,
    relationship_type: &str,
) -> Option<&'static [&'static str]> {
    DEFINED_RELATIONSHIPS
        .iter()
        .find(|(source, relationship, _)| {
            *source == source_type && *relationship == relationship_type
        })
        .map(|(_, _, targets)| *targets)
}

/// Whether `target_type` is among `targets` (see [`defined_targets`]).
pub fn target_allowed(targets: &[&str], target_type: &str) -> bool {
    targets.contains(&target_type)
        || (targets.contains(&ANY_OBSERVABLE)
            && category(target_type) == Some(Category::Observable))
}
