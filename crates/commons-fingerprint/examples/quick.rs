//! scratch
use std::time::Instant;
fn main() {
    let root = std::env::args().nth(1).unwrap();
    let mut files = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(root)];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            let n = p.file_name().unwrap().to_str().unwrap().to_string();
            if p.is_dir() {
                if !["test", "tests", "idle_test", "site-packages", "__pycache__"]
                    .contains(&n.as_str())
                {
                    stack.push(p)
                }
            } else if n.ends_with(".py") {
                files.push(std::fs::read(&p).unwrap());
            }
        }
    }
    let bytes: usize = files.iter().map(|f| f.len()).sum();
    println!("{} files, {} bytes", files.len(), bytes);
    let mode = std::env::args().nth(2).unwrap_or_default();
    for round in 0..2 {
        if mode == "norm" {
            let t = Instant::now();
            let mut tokens = 0;
            for _ in 0..3 {
                for f in &files {
                    tokens += commons_fingerprint::normalize(
                        commons_fingerprint::Language::Python,
                        f,
                        &Default::default(),
                    )
                    .unwrap()
                    .len();
                }
            }
            println!("norm x3 {:?} {tokens}", t.elapsed());
            continue;
        }
        if mode == "parse" {
            let t = Instant::now();
            let mut parser = tree_sitter::Parser::new();
            parser
                .set_language(&tree_sitter_python::LANGUAGE.into())
                .unwrap();
            let mut n = 0;
            for _ in 0..3 {
                for f in &files {
                    n += parser.parse(f, None).unwrap().root_node().child_count();
                }
            }
            println!("parse x3 {:?} {n}", t.elapsed());
            continue;
        }
        let t = Instant::now();
        let mut parser = tree_sitter::Parser::new();
        parser
            .set_language(&tree_sitter_python::LANGUAGE.into())
            .unwrap();
        let mut nodes = 0;
        for f in &files {
            let tree = parser.parse(f, None).unwrap();
            nodes += tree.root_node().child_count();
        }
        println!("parse {:?} {nodes}", t.elapsed());
        let t = Instant::now();
        let mut tokens = 0;
        for f in &files {
            tokens += commons_fingerprint::normalize(
                commons_fingerprint::Language::Python,
                f,
                &Default::default(),
            )
            .unwrap()
            .len();
        }
        println!("normalize {:?} tokens {tokens}", t.elapsed());
        let t = Instant::now();
        let mut grams = 0;
        for f in &files {
            grams += commons_fingerprint::fingerprint(
                commons_fingerprint::Language::Python,
                f,
                &Default::default(),
            )
            .unwrap()
            .grams
            .len();
        }
        println!("fingerprint {:?} grams {grams} round {round}", t.elapsed());
    }
}
