//! The supported languages: names, file extensions and their tree-sitter grammars.

use std::fmt;
use std::str::FromStr;

/// A programming language the engine can fingerprint.
///
/// Each language is parsed by its official tree-sitter grammar; the grammar
/// crate and its version are part of every fingerprint's scheme, because a new
/// grammar may shape the same code into a different tree.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Language {
    /// Python 3.
    Python,
    /// JavaScript, including JSX.
    JavaScript,
    /// TypeScript without JSX.
    TypeScript,
    /// TypeScript with JSX (`.tsx`).
    Tsx,
    /// Rust.
    Rust,
    /// Go.
    Go,
    /// Java.
    Java,
    /// C.
    C,
    /// C++.
    Cpp,
    /// C#.
    CSharp,
}

/// A language name that is not one of [`Language::ALL`]'s names or aliases.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown language `{name}` (known: {})", Language::known_names())]
pub struct UnknownLanguage {
    /// The name as given.
    pub name: String,
}

impl Language {
    /// Every supported language, in a stable order.
    pub const ALL: [Language; 10] = [
        Language::Python,
        Language::JavaScript,
        Language::TypeScript,
        Language::Tsx,
        Language::Rust,
        Language::Go,
        Language::Java,
        Language::C,
        Language::Cpp,
        Language::CSharp,
    ];

    /// The canonical name, as printed and as stored in fingerprints
    /// (`python`, `javascript`, `typescript`, `tsx`, `rust`, `go`, `java`, `c`,
    /// `cpp`, `csharp`).
    pub fn name(self) -> &'static str {
        match self {
            Language::Python => "python",
            Language::JavaScript => "javascript",
            Language::TypeScript => "typescript",
            Language::Tsx => "tsx",
            Language::Rust => "rust",
            Language::Go => "go",
            Language::Java => "java",
            Language::C => "c",
            Language::Cpp => "cpp",
            Language::CSharp => "csharp",
        }
    }

    /// Parses a name as a user types it on a command line: the canonical name
    /// or a common alias (`py`, `js`, `ts`, `rs`, `golang`, `c++`, `cs`, `c#`),
    /// case-insensitively.
    pub fn from_name(name: &str) -> Result<Language, UnknownLanguage> {
        let lowered = name.trim().to_ascii_lowercase();
        let language = match lowered.as_str() {
            "python" | "py" | "python3" => Language::Python,
            "javascript" | "js" | "jsx" | "node" => Language::JavaScript,
            "typescript" | "ts" => Language::TypeScript,
            "tsx" => Language::Tsx,
            "rust" | "rs" => Language::Rust,
            "go" | "golang" => Language::Go,
            "java" => Language::Java,
            "c" => Language::C,
            "cpp" | "c++" | "cxx" | "cplusplus" => Language::Cpp,
            "csharp" | "c#" | "cs" | "c-sharp" => Language::CSharp,
            _ => {
                return Err(UnknownLanguage {
                    name: name.to_string(),
                });
            }
        };
        Ok(language)
    }

    /// The language of a file, judged by its extension alone (the part after
    /// the last dot of `file_name`, case-insensitive). `.h` counts as C.
    /// `None` for anything else, including files without an extension.
    pub fn from_path(file_name: &str) -> Option<Language> {
        let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
        let (stem, extension) = base.rsplit_once('.')?;
        if stem.is_empty() {
            return None;
        }
        Language::from_extension(extension)
    }

    /// The language a file extension (without the dot) stands for.
    pub fn from_extension(extension: &str) -> Option<Language> {
        let lowered = extension.to_ascii_lowercase();
        let language = match lowered.as_str() {
            "py" | "pyw" | "pyi" => Language::Python,
            "js" | "mjs" | "cjs" | "jsx" => Language::JavaScript,
            "ts" | "mts" | "cts" => Language::TypeScript,
            "tsx" => Language::Tsx,
            "rs" => Language::Rust,
            "go" => Language::Go,
            "java" => Language::Java,
            "c" | "h" => Language::C,
            "cc" | "cpp" | "cxx" | "c++" | "hh" | "hpp" | "hxx" | "h++" | "ipp" | "tpp" => {
                Language::Cpp
            }
            "cs" => Language::CSharp,
            _ => return None,
        };
        Some(language)
    }

    /// The grammar crate and version compiled into this build, e.g.
    /// `tree-sitter-python 0.25.0`. A test checks it against `Cargo.lock`.
    pub fn grammar_version(self) -> &'static str {
        match self {
            Language::Python => "tree-sitter-python 0.25.0",
            Language::JavaScript => "tree-sitter-javascript 0.25.0",
            Language::TypeScript => "tree-sitter-typescript 0.23.2",
            Language::Tsx => "tree-sitter-typescript 0.23.2 (tsx)",
            Language::Rust => "tree-sitter-rust 0.24.2",
            Language::Go => "tree-sitter-go 0.25.0",
            Language::Java => "tree-sitter-java 0.23.5",
            Language::C => "tree-sitter-c 0.24.2",
            Language::Cpp => "tree-sitter-cpp 0.23.4",
            Language::CSharp => "tree-sitter-c-sharp 0.23.5",
        }
    }

    /// The tree-sitter grammar.
    pub(crate) fn grammar(self) -> tree_sitter::Language {
        match self {
            Language::Python => tree_sitter_python::LANGUAGE.into(),
            Language::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Language::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Language::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
            Language::Rust => tree_sitter_rust::LANGUAGE.into(),
            Language::Go => tree_sitter_go::LANGUAGE.into(),
            Language::Java => tree_sitter_java::LANGUAGE.into(),
            Language::C => tree_sitter_c::LANGUAGE.into(),
            Language::Cpp => tree_sitter_cpp::LANGUAGE.into(),
            Language::CSharp => tree_sitter_c_sharp::LANGUAGE.into(),
        }
    }

    /// Position in [`Language::ALL`], for per-language tables.
    pub(crate) fn index(self) -> usize {
        Language::ALL
            .iter()
            .position(|it| *it == self)
            .expect("ALL lists every variant")
    }

    fn known_names() -> String {
        Language::ALL.map(Language::name).join(", ")
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Language {
    type Err = UnknownLanguage;

    fn from_str(name: &str) -> Result<Language, UnknownLanguage> {
        Language::from_name(name)
    }
}
