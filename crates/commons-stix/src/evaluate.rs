//! Evaluation of patterns against observed data.

/// Compiles a `MATCHES` operand. The `regex` crate runs in time linear in
/// the input (no backtracking), which matters for patterns written by
/// strangers; the price is that back-references and look-around are not
/// supported, so such a regex never matches and validation warns about it.
pub fn compile_regex(source: &str) -> Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(source).size_limit(1 << 20).build()
}
