//! The planted-clone evaluation: functions of a donor half of a corpus are
//! made into library patterns; some are copied into the host half as type-1
//! (re-laid out), type-2 (renamed, literals changed) or type-3 (statements
//! inserted, deleted, swapped, mixed) clones, the rest stay decoys; the host
//! half is scanned and every report is judged.
//!
//! Shared by the `fpbench` example (whole corpora) and the crate's
//! integration tests (a small sample), so both measure the same thing.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use commons_fingerprint::{
    CommunityKey, Config, Fingerprint, Language, Library, Normalized, ReferenceCorpus, fingerprint,
    normalize,
};
use tree_sitter::{Node, Parser, Tree};

/// A source file of a corpus.
#[derive(Debug, Clone)]
pub struct Source {
    /// The text.
    pub text: String,
}

/// The kinds of planted copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CloneType {
    /// Re-laid out: whitespace, line breaks, indentation and comments changed.
    Layout,
    /// Type-1 plus every bound name renamed and every literal changed.
    Renamed,
    /// Type-2 plus statements inserted.
    Inserted,
    /// Type-2 plus statements deleted.
    Deleted,
    /// Type-2 plus adjacent statements swapped.
    Swapped,
    /// Type-2 plus one insertion, one deletion and one swap.
    Mixed,
}

impl CloneType {
    /// Every type, in report order.
    pub const ALL: [CloneType; 6] = [
        CloneType::Layout,
        CloneType::Renamed,
        CloneType::Inserted,
        CloneType::Deleted,
        CloneType::Swapped,
        CloneType::Mixed,
    ];

    /// The name in reports.
    pub fn name(self) -> &'static str {
        match self {
            CloneType::Layout => "type-1 layout",
            CloneType::Renamed => "type-2 renamed",
            CloneType::Inserted => "type-3 inserted",
            CloneType::Deleted => "type-3 deleted",
            CloneType::Swapped => "type-3 swapped",
            CloneType::Mixed => "type-3 mixed",
        }
    }

    /// The recall target of the issue.
    pub fn target(self) -> f64 {
        match self {
            CloneType::Layout | CloneType::Renamed => 0.95,
            CloneType::Inserted => 0.85,
            CloneType::Deleted | CloneType::Swapped | CloneType::Mixed => 0.80,
        }
    }
}

/// What an evaluation run is asked to do.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The corpus's language (Python and C are supported).
    pub language: Language,
    /// Planted copies per clone type; as many decoys as copies in total.
    pub per_type: usize,
    /// Seed of every random choice.
    pub seed: u64,
    /// Reports allowed at the chosen operating point.
    pub max_false: usize,
    /// The engine configuration.
    pub config: Config,
}

/// The evaluation's outcome.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Patterns planted, by type.
    pub planted: BTreeMap<CloneType, usize>,
    /// Decoy patterns (never planted).
    pub decoys: usize,
    /// Donor functions whose transformed copy did not parse cleanly and were
    /// replaced.
    pub discarded: usize,
    /// Candidate patterns left out because they already matched the
    /// unmodified host half (natural clones).
    pub natural: usize,
    /// Host files scanned.
    pub host_files: usize,
    /// The lowest similarity threshold at which at most `max_false` reports
    /// are false.
    pub threshold: f64,
    /// Recall by type at `threshold`.
    pub recall: BTreeMap<CloneType, f64>,
    /// False reports at `threshold`.
    pub false_reports: usize,
    /// Precision at `threshold`.
    pub precision: f64,
    /// Recall by type, false reports and precision at the engine's default
    /// `min_similarity`.
    pub at_default: (BTreeMap<CloneType, f64>, usize, f64),
}

impl Outcome {
    /// A readable report, one line per figure with its target.
    pub fn render(&self, plan: &Plan) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "planted-clone evaluation, {}: {} host files, {} planted patterns, {} decoys, {} donors replaced (copy did not parse), {} natural clones left out",
            plan.language,
            self.host_files,
            self.planted.values().sum::<usize>(),
            self.decoys,
            self.discarded,
            self.natural
        );
        let line = |out: &mut String,
                    title: &str,
                    recall: &BTreeMap<CloneType, f64>,
                    false_reports: usize,
                    precision: f64| {
            let _ = writeln!(
                out,
                "  {title}: {false_reports} false reports, precision {precision:.3} (target 0.99, ratio {:.2})",
                precision / 0.99
            );
            for (kind, value) in recall {
                let _ = writeln!(
                    out,
                    "    recall {:<16} {value:.3} of {:>4} (target {:.2}, ratio {:.2})",
                    kind.name(),
                    self.planted.get(kind).copied().unwrap_or(0),
                    kind.target(),
                    value / kind.target()
                );
            }
        };
        line(
            &mut out,
            &format!(
                "at threshold {:.3} (lowest with <= {} false reports)",
                self.threshold, plan.max_false
            ),
            &self.recall,
            self.false_reports,
            self.precision,
        );
        line(
            &mut out,
            &format!(
                "at the default min_similarity {:.2}",
                plan.config.min_similarity
            ),
            &self.at_default.0,
            self.at_default.1,
            self.at_default.2,
        );
        out
    }
}

/// A small deterministic generator (SplitMix64): the evaluation must give
/// the same figures on every run.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    /// Shuffles in place.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for idx in (1..items.len()).rev() {
            items.swap(idx, self.below(idx + 1));
        }
    }
}

/// A function found in a corpus file: its byte range and 1-based lines.
#[derive(Debug, Clone, Copy)]
pub struct Function {
    /// Index of the file in the corpus.
    pub file: usize,
    /// First byte (of the line the function starts on).
    pub line_start: usize,
    /// One past the last byte.
    pub end: usize,
    /// Column the function starts at.
    pub column: usize,
    /// First line.
    pub first_line: u32,
    /// Last line.
    pub last_line: u32,
}

/// The tree-sitter grammar of a supported evaluation language.
pub fn grammar(language: Language) -> Option<tree_sitter::Language> {
    match language {
        Language::Python => Some(tree_sitter_python::LANGUAGE.into()),
        Language::C => Some(tree_sitter_c::LANGUAGE.into()),
        _ => None,
    }
}

/// Parses `text`; `None` if the grammar is not supported or the parse fails.
pub fn parse(language: Language, text: &str) -> Option<Tree> {
    let mut parser = Parser::new();
    parser.set_language(&grammar(language)?).ok()?;
    parser.parse(text, None)
}

/// Every node of a tree, in pre-order.
fn nodes(tree: &Tree) -> Vec<Node<'_>> {
    let mut out = Vec::new();
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        out.push(node);
        let mut cursor = node.walk();
        let children: Vec<Node<'_>> = node.children(&mut cursor).collect();
        stack.extend(children.into_iter().rev());
    }
    out
}

/// Functions of `sources` (file index `file` onwards numbered from
/// `first_file`) spanning `min_lines..=max_lines` lines whose subtree parses
/// without errors (and, in C, without preprocessor lines).
pub fn functions(
    language: Language,
    sources: &[Source],
    min_lines: u32,
    max_lines: u32,
) -> Vec<Function> {
    let mut out = Vec::new();
    for (file, source) in sources.iter().enumerate() {
        let Some(tree) = parse(language, &source.text) else {
            continue;
        };
        for node in nodes(&tree) {
            if node.kind() != "function_definition" || node.has_error() {
                continue;
            }
            let first_line = node.start_position().row as u32 + 1;
            let last_line = node.end_position().row as u32 + 1;
            let lines = last_line + 1 - first_line;
            if lines < min_lines || lines > max_lines {
                continue;
            }
            let text = &source.text[node.byte_range()];
            if language == Language::C && text.contains('#') {
                continue;
            }
            let column = node.start_position().column;
            let line_start = node.start_byte() - column;
            if !source.text[line_start..node.start_byte()]
                .bytes()
                .all(|byte| byte == b' ')
            {
                continue;
            }
            out.push(Function {
                file,
                line_start,
                end: node.end_byte(),
                column,
                first_line,
                last_line,
            });
        }
    }
    out
}

/// Local fingerprints of functions as
/// [`commons_fingerprint::fingerprint_lines`] makes them,
/// each file parsed once however many of its functions are asked for.
pub struct FunctionPrints<'a> {
    language: Language,
    sources: &'a [Source],
    parsed: HashMap<usize, Option<Normalized>>,
}

impl<'a> FunctionPrints<'a> {
    /// Functions of `sources`, in `language`.
    pub fn new(language: Language, sources: &'a [Source]) -> FunctionPrints<'a> {
        FunctionPrints {
            language,
            sources,
            parsed: HashMap::new(),
        }
    }

    /// The fingerprint of `function`'s lines, if its file can be read.
    pub fn get(&mut self, function: &Function, config: &Config) -> Option<Fingerprint> {
        let (language, sources) = (self.language, self.sources);
        let normalized = self.parsed.entry(function.file).or_insert_with(|| {
            let text = sources[function.file].text.as_bytes();
            normalize(language, text, &config.limits).ok()
        });
        let lines = function.first_line..=function.last_line;
        normalized.as_ref()?.fingerprint_lines(lines, config).ok()
    }
}

/// The function's text moved to column 0.
pub fn dedented(source: &Source, function: &Function) -> String {
    let text = &source.text[function.line_start..function.end];
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let spaces = line.bytes().take_while(|byte| *byte == b' ').count();
        out.push_str(&line[spaces.min(function.column)..]);
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// Replaces byte ranges (non-overlapping) of `text`.
fn apply(text: &str, mut edits: Vec<(usize, usize, String)>) -> String {
    edits.sort_by_key(|edit| (edit.0, edit.1));
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0;
    for (from, to, with) in edits {
        if from < at {
            continue;
        }
        out.push_str(&text[at..from]);
        out.push_str(&with);
        at = to;
    }
    out.push_str(&text[at..]);
    out
}

fn is_literal(language: Language, kind: &str) -> bool {
    match language {
        Language::Python => matches!(kind, "string" | "integer" | "float"),
        _ => matches!(kind, "string_literal" | "char_literal" | "number_literal"),
    }
}

/// Whether the identifier `node` is where a name is bound (parameter,
/// assignment or loop target, function name, declarator).
fn binds(language: Language, node: Node<'_>) -> bool {
    let Some(parent) = node.parent() else {
        return false;
    };
    let field_is = |name: &str| parent.child_by_field_name(name) == Some(node);
    match language {
        Language::Python => match parent.kind() {
            "function_definition" => field_is("name"),
            "parameters"
            | "lambda_parameters"
            | "typed_parameter"
            | "list_splat_pattern"
            | "dictionary_splat_pattern"
            | "pattern_list"
            | "tuple_pattern"
            | "list_pattern"
            | "as_pattern_target" => true,
            "default_parameter" | "typed_default_parameter" | "named_expression" => {
                field_is("name")
            }
            "assignment" | "augmented_assignment" | "for_statement" | "for_in_clause" => {
                field_is("left")
            }
            _ => false,
        },
        _ => {
            parent.kind().ends_with("declarator")
                || matches!(
                    parent.kind(),
                    "parameter_declaration" | "declaration" | "init_declarator"
                )
        }
    }
}

/// Type-2 edits: every bound name renamed consistently, every literal
/// changed.
pub fn rename(language: Language, text: &str, rng: &mut Rng) -> Option<String> {
    let tree = parse(language, text)?;
    let all = nodes(&tree);
    let bound: BTreeSet<&str> = all
        .iter()
        .filter(|node| node.kind() == "identifier" && binds(language, **node))
        .map(|node| &text[node.byte_range()])
        // Special method names are the language's API, not the author's.
        .filter(|name| !matches!(*name, "self" | "cls" | "main"))
        .filter(|name| !(name.starts_with("__") && name.ends_with("__")))
        .collect();
    let fresh: BTreeMap<&str, String> = bound
        .iter()
        .enumerate()
        .map(|(idx, name)| {
            (
                *name,
                format!("{}_{}", ["val", "item", "tmp", "obj"][rng.below(4)], idx),
            )
        })
        .collect();
    let mut edits = Vec::new();
    let mut skip_until = 0;
    for node in &all {
        if node.start_byte() < skip_until {
            // Inside a literal already replaced whole.
            if !(language == Language::Python && node.kind() == "interpolation") {
                continue;
            }
        }
        let kind = node.kind();
        if kind == "identifier" {
            let name = &text[node.byte_range()];
            let Some(new) = fresh.get(name) else { continue };
            let parent = node.parent();
            let is_field = parent.is_some_and(|parent| {
                (parent.kind() == "attribute"
                    && parent.child_by_field_name("attribute") == Some(*node))
                    || (parent.kind() == "keyword_argument"
                        && parent.child_by_field_name("name") == Some(*node))
            });
            if !is_field {
                edits.push((node.start_byte(), node.end_byte(), new.clone()));
            }
            continue;
        }
        if !is_literal(language, kind) {
            continue;
        }
        let n = rng.below(900) + 100;
        match kind {
            "integer" | "number_literal" => {
                edits.push((node.start_byte(), node.end_byte(), n.to_string()));
            }
            "float" => edits.push((node.start_byte(), node.end_byte(), format!("{n}.25"))),
            "char_literal" => {
                let letter = (b'a' + (n % 26) as u8) as char;
                edits.push((node.start_byte(), node.end_byte(), format!("'{letter}'")));
            }
            "string_literal" => {
                edits.push((
                    node.start_byte(),
                    node.end_byte(),
                    format!("\"changed {n}\""),
                ));
            }
            _ => {
                // A Python string: replace the content between the quotes,
                // or each content part when it interpolates code.
                let mut cursor = node.walk();
                let children: Vec<Node<'_>> = node.children(&mut cursor).collect();
                let start = children.iter().find(|c| c.kind() == "string_start")?;
                let end = children.iter().find(|c| c.kind() == "string_end")?;
                if children.iter().any(|c| c.kind() == "interpolation") {
                    for part in children.iter().filter(|c| c.kind() == "string_content") {
                        edits.push((part.start_byte(), part.end_byte(), format!("changed {n}")));
                    }
                } else {
                    edits.push((start.end_byte(), end.start_byte(), format!("changed {n}")));
                    skip_until = node.end_byte();
                }
            }
        }
    }
    Some(apply(text, edits))
}

/// Named statements of the blocks of `tree`, by block, that start a line
/// (so they can be moved or removed with their indentation).
fn statements<'t>(language: Language, tree: &'t Tree, text: &str) -> Vec<Vec<Node<'t>>> {
    let block_kind = match language {
        Language::Python => "block",
        _ => "compound_statement",
    };
    nodes(tree)
        .into_iter()
        .filter(|node| node.kind() == block_kind)
        .map(|block| {
            let mut cursor = block.walk();
            block
                .named_children(&mut cursor)
                .filter(|statement| !statement.kind().contains("comment"))
                .filter(|statement| starts_line(text, statement) && ends_line(text, statement))
                .collect::<Vec<_>>()
        })
        .filter(|list| !list.is_empty())
        .collect()
}

fn starts_line(text: &str, node: &Node<'_>) -> bool {
    let before = &text[..node.start_byte()];
    let line = before.rfind('\n').map_or(0, |at| at + 1);
    before[line..]
        .bytes()
        .all(|byte| byte == b' ' || byte == b'\t')
}

fn ends_line(text: &str, node: &Node<'_>) -> bool {
    let after = &text[node.end_byte()..];
    let line = after.find('\n').unwrap_or(after.len());
    after[..line].trim().is_empty()
}

/// The range of a statement with its indentation and line break.
fn whole_lines(text: &str, node: &Node<'_>) -> (usize, usize) {
    let start = text[..node.start_byte()].rfind('\n').map_or(0, |at| at + 1);
    let end = text[node.end_byte()..]
        .find('\n')
        .map_or(text.len(), |at| node.end_byte() + at + 1);
    (start, end)
}

/// A statement to insert, in the language's syntax.
fn new_statement(language: Language, rng: &mut Rng) -> String {
    let n = rng.below(90) + 10;
    match (language, rng.below(3)) {
        (Language::Python, 0) => format!("print(\"checkpoint\", {n})"),
        (Language::Python, 1) => format!("counter_{n} = {n} * 2"),
        (Language::Python, _) => format!("assert {n} >= 0"),
        (_, 0) => format!("printf(\"checkpoint %d\\n\", {n});"),
        (_, 1) => format!("int counter_{n} = {n} * 2;"),
        (_, _) => format!("(void){n};"),
    }
}

/// One statement edit of `kind` (inserted, deleted or swapped); `None` when
/// the function has no place for it.
fn edit_statements(
    language: Language,
    text: &str,
    kind: CloneType,
    rng: &mut Rng,
) -> Option<String> {
    let tree = parse(language, text)?;
    let blocks = statements(language, &tree, text);
    if blocks.is_empty() {
        return None;
    }
    match kind {
        CloneType::Inserted => {
            let block = &blocks[rng.below(blocks.len())];
            let before = block[rng.below(block.len())];
            let indent = " ".repeat(before.start_position().column);
            let statement = new_statement(language, rng);
            let at = before.start_byte();
            Some(apply(
                text,
                vec![(at, at, format!("{statement}\n{indent}"))],
            ))
        }
        CloneType::Deleted => {
            let candidates: Vec<&Vec<Node<'_>>> = blocks.iter().filter(|b| b.len() >= 2).collect();
            if candidates.is_empty() {
                return None;
            }
            let block = candidates[rng.below(candidates.len())];
            let victim = block[rng.below(block.len())];
            let (from, to) = whole_lines(text, &victim);
            Some(apply(text, vec![(from, to, String::new())]))
        }
        _ => {
            let candidates: Vec<(Node<'_>, Node<'_>)> = blocks
                .iter()
                .flat_map(|block| block.windows(2).map(|pair| (pair[0], pair[1])))
                .filter(|(a, b)| a.start_position().row < b.start_position().row)
                .collect();
            if candidates.is_empty() {
                return None;
            }
            let (a, b) = candidates[rng.below(candidates.len())];
            let (a_text, b_text) = (&text[a.byte_range()], &text[b.byte_range()]);
            Some(apply(
                text,
                vec![
                    (a.start_byte(), a.end_byte(), b_text.to_string()),
                    (b.start_byte(), b.end_byte(), a_text.to_string()),
                ],
            ))
        }
    }
}

/// Type-1 edits: every gap between tokens re-spaced, line breaks added
/// inside brackets, indentation widened, comments reworded and added.
pub fn relayout(language: Language, text: &str, rng: &mut Rng) -> Option<String> {
    let tree = parse(language, text)?;
    let mut atoms: Vec<Node<'_>> = Vec::new();
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        if node.child_count() == 0 || is_literal(language, node.kind()) {
            if node.end_byte() > node.start_byte() {
                atoms.push(node);
            }
            continue;
        }
        let mut cursor = node.walk();
        let children: Vec<Node<'_>> = node.children(&mut cursor).collect();
        stack.extend(children.into_iter().rev());
    }
    let python = language == Language::Python;
    let comment = if python {
        "# reworded note"
    } else {
        "/* reworded note */"
    };
    let mut out = String::with_capacity(text.len() * 2);
    let mut depth = 0i32;
    let mut at = atoms.first().map_or(0, |it| it.start_byte());
    out.push_str(&text[..at]);
    for (idx, atom) in atoms.iter().enumerate() {
        let gap = &text[at..atom.start_byte()];
        if idx > 0 {
            if gap.contains('\n') {
                let blank = if rng.chance(0.2) { "\n" } else { "" };
                let column = atom.start_position().column;
                let indent = if python {
                    " ".repeat(column + column / 4 * 2)
                } else {
                    " ".repeat(rng.below(9))
                };
                let extra = if rng.chance(0.15) {
                    format!("\n{indent}{comment}")
                } else {
                    String::new()
                };
                if !python && rng.chance(0.3) && !atoms[idx - 1].kind().contains("comment") {
                    out.push(' ');
                } else {
                    let _ = write!(out, "{blank}{extra}\n{indent}");
                }
            } else if depth > 0
                && rng.chance(0.15)
                && matches!(&text[atoms[idx - 1].byte_range()], "," | "(")
            {
                let _ = write!(out, "\n{}", " ".repeat(4 + rng.below(12)));
            } else if gap.is_empty() {
                if rng.chance(0.2) {
                    out.push(' ');
                }
            } else {
                out.push_str(&" ".repeat(1 + rng.below(3)));
            }
        }
        let atom_text = &text[atom.byte_range()];
        if atom.kind().contains("comment") {
            out.push_str(comment);
        } else {
            out.push_str(atom_text);
        }
        match atom_text {
            "(" | "[" | "{" => depth += 1,
            ")" | "]" | "}" => depth -= 1,
            _ => {}
        }
        at = atom.end_byte();
    }
    out.push_str(&text[at..]);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Some(out)
}

/// The planted copy of a function's text.
pub fn transform(language: Language, text: &str, kind: CloneType, rng: &mut Rng) -> Option<String> {
    let mut text = text.to_string();
    if kind != CloneType::Layout {
        text = rename(language, &text, rng)?;
    }
    let edits: &[CloneType] = match kind {
        CloneType::Layout | CloneType::Renamed => &[],
        CloneType::Inserted => &[CloneType::Inserted],
        CloneType::Deleted => &[CloneType::Deleted],
        CloneType::Swapped => &[CloneType::Swapped],
        CloneType::Mixed => &[CloneType::Inserted, CloneType::Deleted, CloneType::Swapped],
    };
    for edit in edits {
        text = edit_statements(language, &text, *edit, rng)?;
    }
    let text = relayout(language, &text, rng)?;
    let tree = parse(language, &text)?;
    (!tree.root_node().has_error()).then_some(text)
}

/// The top-level import statements of a Python source, one per line.
fn imports(language: Language, source: &Source) -> String {
    if language != Language::Python {
        return String::new();
    }
    let Some(tree) = parse(language, &source.text) else {
        return String::new();
    };
    let root = tree.root_node();
    let mut cursor = root.walk();
    root.children(&mut cursor)
        .filter(|node| matches!(node.kind(), "import_statement" | "import_from_statement"))
        .map(|node| format!("{}\n", &source.text[node.byte_range()]))
        .collect()
}

/// A copy planted in a host file.
#[derive(Debug, Clone)]
struct Plant {
    pattern: u64,
    /// The donor's imports, planted just before the copy: a copied
    /// function brings the imports it needs.
    imports: String,
    kind: CloneType,
    text: String,
}

/// Runs the evaluation over `sources` (the corpus, in a stable order).
pub fn evaluate(sources: &[Source], plan: &Plan, key: &CommunityKey) -> Outcome {
    let language = plan.language;
    let mut rng = Rng::new(plan.seed);
    let mut order: Vec<usize> = (0..sources.len()).collect();
    rng.shuffle(&mut order);
    let (donor_idx, host_idx) = order.split_at(order.len() / 2);
    let donors: Vec<Source> = donor_idx.iter().map(|idx| sources[*idx].clone()).collect();
    let hosts: Vec<Source> = host_idx.iter().map(|idx| sources[*idx].clone()).collect();
    let mut candidates = functions(language, &donors, 6, 120);
    rng.shuffle(&mut candidates);

    let wanted = plan.per_type * CloneType::ALL.len();
    // Patterns pass the same privacy gate as real submissions, with the
    // unmodified host half standing in for the public reference corpus: the
    // donors' code is the members' private code, so a gram of it found in
    // any host file is public and dropped (the donor half itself cannot be
    // the corpus, as every gram of a donor function is in it).
    let corpus = ReferenceCorpus::build(
        hosts.iter().map(|source| (language, source.text.as_str())),
        &plan.config,
    );
    let mut exported = Vec::new();
    let mut prints = FunctionPrints::new(language, &donors);
    for function in candidates {
        if exported.len() >= wanted * 3 {
            break;
        }
        let Some(local) = prints.get(&function, &plan.config) else {
            continue;
        };
        if local.token_count < 60 {
            continue;
        }
        if let Ok((shared, _)) = local.export(key, Some(&corpus), &plan.config) {
            exported.push((function, shared));
        }
    }
    // A pattern that already matches the unmodified host half is a natural
    // clone: its ground truth is unknown, so it is neither planted nor a decoy.
    let mut everything = Library::new();
    for (idx, (_, shared)) in exported.iter().enumerate() {
        everything
            .insert(idx as u64, shared)
            .expect("ids are fresh and exports valid");
    }
    let mut natural: BTreeSet<u64> = BTreeSet::new();
    for host in &hosts {
        if let Ok(file) = fingerprint(language, host.text.as_bytes(), &plan.config) {
            for found in everything.scan(&file, key, plan.config.min_similarity) {
                natural.insert(found.pattern);
            }
        }
    }

    // The library holds no near-duplicates (a community links them on
    // submission): a candidate whose hashes are mostly contained in an
    // accepted pattern's, or the other way round, is left out.
    let mut accepted: Vec<BTreeSet<u64>> = Vec::new();
    let mut library = Library::new();
    let mut plants: Vec<Plant> = Vec::new();
    let mut decoys = 0;
    let mut discarded = 0;
    let mut planted: BTreeMap<CloneType, usize> = BTreeMap::new();
    for (idx, (function, shared)) in exported.iter().enumerate() {
        let id = idx as u64;
        if natural.contains(&id) {
            continue;
        }
        if plants.len() >= wanted && decoys >= wanted {
            break;
        }
        let hashes: BTreeSet<u64> = shared.hashes.iter().copied().collect();
        let near = accepted.iter().any(|other| {
            let common = hashes.intersection(other).count();
            common * 2 >= hashes.len().min(other.len())
        });
        if near {
            continue;
        }
        let donor = &donors[function.file];
        if plants.len() < wanted {
            let kind = CloneType::ALL[plants.len() % CloneType::ALL.len()];
            let text = dedented(donor, function);
            let Some(copy) = transform(language, &text, kind, &mut rng) else {
                discarded += 1;
                continue;
            };
            plants.push(Plant {
                pattern: id,
                imports: imports(language, donor),
                kind,
                text: copy,
            });
            *planted.entry(kind).or_default() += 1;
        } else {
            decoys += 1;
        }
        accepted.push(hashes);
        library
            .insert(id, shared)
            .expect("ids are fresh and exports valid");
    }

    // Plant: each copy goes before a random top-level statement of a random
    // host file; remember the lines it lands on.
    let mut by_host: BTreeMap<usize, Vec<Plant>> = BTreeMap::new();
    for plant in plants {
        by_host
            .entry(rng.below(hosts.len()))
            .or_default()
            .push(plant);
    }
    // (host, first line, last line, pattern, kind)
    let mut truth: Vec<(usize, u32, u32, u64, CloneType)> = Vec::new();
    let mut scanned: Vec<String> = Vec::with_capacity(hosts.len());
    for (host, source) in hosts.iter().enumerate() {
        let Some(list) = by_host.remove(&host) else {
            scanned.push(source.text.clone());
            continue;
        };
        let tree = parse(language, &source.text).expect("grammar loads");
        let root = tree.root_node();
        let mut cursor = root.walk();
        let mut points: Vec<usize> = root
            .children(&mut cursor)
            .filter(|child| child.start_position().column == 0)
            .map(|child| child.start_byte())
            .collect();
        points.push(source.text.len());
        let mut at: Vec<usize> = list
            .iter()
            .map(|_| points[rng.below(points.len())])
            .collect();
        at.sort_unstable();
        let mut text = String::with_capacity(source.text.len() + 4096);
        let mut from = 0;
        for (point, plant) in at.into_iter().zip(list) {
            text.push_str(&source.text[from..point]);
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push('\n');
            text.push_str(&plant.imports);
            let first = text.matches('\n').count() as u32 + 1;
            text.push_str(&plant.text);
            let last = text.matches('\n').count() as u32;
            text.push_str("\n\n");
            truth.push((host, first, last, plant.pattern, plant.kind));
            from = point;
        }
        text.push_str(&source.text[from..]);
        scanned.push(text);
    }

    // Scan every host at a low floor and judge every report.
    let floor = Config {
        min_similarity: 0.2,
        ..plan.config.clone()
    };
    // (similarity, true-positive plant index or None)
    let mut reports: Vec<(f64, Option<usize>)> = Vec::new();
    for (host, text) in scanned.iter().enumerate() {
        let Ok(file) = fingerprint(language, text.as_bytes(), &floor) else {
            continue;
        };
        for found in library.scan(&file, key, floor.min_similarity) {
            let hit = truth.iter().position(|(h, first, last, pattern, _)| {
                *h == host
                    && *pattern == found.pattern
                    && found.first_line <= *last
                    && found.last_line >= *first
            });
            // `FPBENCH_VERBOSE=1` lists every report, for tuning.
            if std::env::var_os("FPBENCH_VERBOSE").is_some() {
                let kind = hit.map(|idx| truth[idx].4.name()).unwrap_or("FALSE");
                let overlapping: Vec<String> = truth
                    .iter()
                    .filter(|(h, first, last, _, _)| {
                        *h == host && found.first_line <= *last && found.last_line >= *first
                    })
                    .map(|(_, _, _, pattern, kind)| {
                        let mine: BTreeSet<u64> = exported[found.pattern as usize]
                            .1
                            .hashes
                            .iter()
                            .copied()
                            .collect();
                        let theirs = &exported[*pattern as usize].1.hashes;
                        let common = theirs.iter().filter(|it| mine.contains(it)).count();
                        format!("{pattern}:{}:{common}/{}", kind.name(), theirs.len())
                    })
                    .collect();
                eprintln!(
                    "report {kind} sim {:.3} pattern {} of {} hashes lines {}-{} host {host} tokens {} over {:?}",
                    found.similarity,
                    found.pattern,
                    found.pattern_hashes,
                    found.first_line,
                    found.last_line,
                    found.end_token - found.first_token,
                    overlapping
                );
            }
            reports.push((found.similarity, hit));
        }
    }
    let judge = |threshold: f64| {
        let mut best: BTreeSet<usize> = BTreeSet::new();
        let mut false_reports = 0;
        let mut true_reports = 0;
        for (similarity, hit) in &reports {
            if *similarity < threshold {
                continue;
            }
            match hit {
                Some(idx) => {
                    true_reports += 1;
                    best.insert(*idx);
                }
                None => false_reports += 1,
            }
        }
        let mut recall = BTreeMap::new();
        for kind in CloneType::ALL {
            let total = truth.iter().filter(|it| it.4 == kind).count();
            let found = best.iter().filter(|idx| truth[**idx].4 == kind).count();
            recall.insert(kind, found as f64 / total.max(1) as f64);
        }
        let precision = true_reports as f64 / (true_reports + false_reports).max(1) as f64;
        (recall, false_reports, precision)
    };
    let mut thresholds: Vec<f64> = reports.iter().map(|it| it.0).collect();
    thresholds.push(1.0 + f64::EPSILON);
    thresholds.sort_by(f64::total_cmp);
    thresholds.dedup();
    let threshold = thresholds
        .iter()
        .copied()
        .find(|t| judge(*t).1 <= plan.max_false)
        .unwrap_or(1.0);
    let (recall, false_reports, precision) = judge(threshold);
    Outcome {
        planted,
        decoys,
        discarded,
        natural: natural.len(),
        host_files: hosts.len(),
        threshold,
        recall,
        false_reports,
        precision,
        at_default: judge(plan.config.min_similarity),
    }
}
