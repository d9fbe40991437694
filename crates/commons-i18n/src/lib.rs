//! Fluent message catalogs and locale negotiation (being written).
