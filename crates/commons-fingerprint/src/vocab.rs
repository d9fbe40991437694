//! The shipped vocabularies of public API names that fingerprints keep verbatim.
//!
//! Each language reads one or more files under `vocab/` (compiled in with
//! `include_str!`). The files are meant to be read and reviewed by people:
//! what is listed there is the only source text, besides the grammar's own
//! keywords and operators, that can shape a fingerprint.

use std::sync::OnceLock;

use rustc_hash::FxHashMap;

use crate::language::Language;

/// The vocabulary files, by file stem.
const FILES: &[(&str, &str)] = &[
    ("python", include_str!("../vocab/python.txt")),
    ("javascript", include_str!("../vocab/javascript.txt")),
    ("rust", include_str!("../vocab/rust.txt")),
    ("go", include_str!("../vocab/go.txt")),
    ("java", include_str!("../vocab/java.txt")),
    ("c", include_str!("../vocab/c.txt")),
    ("cpp", include_str!("../vocab/cpp.txt")),
    ("csharp", include_str!("../vocab/csharp.txt")),
];

/// A language's vocabulary: names in a stable order (their index is their
/// symbol) and the version string that enters the fingerprint scheme.
pub(crate) struct Vocabulary {
    /// `python 1`, or `c 1 + cpp 1` for a language that reads two files.
    pub(crate) version: String,
    pub(crate) names: Vec<&'static str>,
    index: FxHashMap<&'static [u8], Entry>,
}

/// A listed name: its index and whether it is kept everywhere (a global)
/// or only in member positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) idx: u32,
    pub(crate) global: bool,
}

/// A problem in a vocabulary file; only tests see these, since the files are
/// compiled in and checked before a release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VocabularyProblem {
    pub(crate) file: &'static str,
    pub(crate) message: String,
}

impl Vocabulary {
    /// The vocabulary of `language`, parsed once per process.
    pub(crate) fn of(language: Language) -> &'static Vocabulary {
        static CACHE: [OnceLock<Vocabulary>; Language::ALL.len()] =
            [const { OnceLock::new() }; Language::ALL.len()];
        CACHE[language.index()].get_or_init(|| {
            let (vocabulary, problems) = Vocabulary::build(files_of(language));
            debug_assert!(problems.is_empty(), "{problems:?}");
            vocabulary
        })
    }

    /// The entry of `text` if it is a listed name.
    pub(crate) fn get(&self, text: &[u8]) -> Option<Entry> {
        self.index.get(text).copied()
    }

    fn build(stems: &[&'static str]) -> (Vocabulary, Vec<VocabularyProblem>) {
        let mut problems = Vec::new();
        let mut versions = Vec::new();
        let mut names = Vec::new();
        let mut index = FxHashMap::default();
        for stem in stems {
            let text = FILES
                .iter()
                .find(|(name, _)| name == stem)
                .map(|(_, text)| *text)
                .unwrap_or_default();
            let (version, file_names) = parse_file(stem, text, &mut problems);
            versions.push(format!("{stem} {version}"));
            for (name, global) in file_names {
                match index.entry(name.as_bytes()) {
                    std::collections::hash_map::Entry::Vacant(entry) => {
                        entry.insert(Entry {
                            idx: names.len() as u32,
                            global,
                        });
                        names.push(name);
                    }
                    // Listed in both sections (or two files): global wins.
                    std::collections::hash_map::Entry::Occupied(mut entry) => {
                        entry.get_mut().global |= global;
                    }
                }
            }
        }
        let vocabulary = Vocabulary {
            version: versions.join(" + "),
            names,
            index,
        };
        (vocabulary, problems)
    }
}

/// Every problem in every vocabulary file.
#[cfg(test)]
pub(crate) fn problems() -> Vec<VocabularyProblem> {
    Language::ALL
        .iter()
        .flat_map(|language| Vocabulary::build(files_of(*language)).1)
        .collect()
}

fn files_of(language: Language) -> &'static [&'static str] {
    match language {
        Language::Python => &["python"],
        Language::JavaScript | Language::TypeScript | Language::Tsx => &["javascript"],
        Language::Rust => &["rust"],
        Language::Go => &["go"],
        Language::Java => &["java"],
        Language::C => &["c"],
        Language::Cpp => &["c", "cpp"],
        Language::CSharp => &["csharp"],
    }
}

/// Splits a file into its version and its names, each with whether it is in
/// the `[globals]` section; a name is any run of non-space characters outside
/// comments.
fn parse_file(
    file: &'static str,
    text: &'static str,
    problems: &mut Vec<VocabularyProblem>,
) -> (u32, Vec<(&'static str, bool)>) {
    let mut version = None;
    let mut names = Vec::new();
    let mut section = None;
    for line in text.lines() {
        let content = line.split('#').next().unwrap_or_default().trim();
        if content.is_empty() {
            continue;
        }
        if version.is_none() {
            match content
                .strip_prefix("version ")
                .and_then(|it| it.trim().parse::<u32>().ok())
            {
                Some(number) => version = Some(number),
                None => problems.push(VocabularyProblem {
                    file,
                    message: format!("expected `version N` before any name, found `{content}`"),
                }),
            }
            continue;
        }
        match content {
            "[globals]" => section = Some(true),
            "[members]" => section = Some(false),
            _ => match section {
                Some(global) => names.extend(content.split_whitespace().map(|it| (it, global))),
                None => problems.push(VocabularyProblem {
                    file,
                    message: format!("names before `[globals]` or `[members]`: `{content}`"),
                }),
            },
        }
    }
    if version.is_none() {
        problems.push(VocabularyProblem {
            file,
            message: "no `version N` line".to_string(),
        });
    }
    if names.is_empty() {
        problems.push(VocabularyProblem {
            file,
            message: "no names".to_string(),
        });
    }
    (version.unwrap_or(0), names)
}
