//! `fpbench`: the fingerprint engine's speed and detection figures, each
//! printed beside its target as a ratio (>= 1 meets it).
//!
//! ```text
//! cargo run --release -p commons-fingerprint --example fpbench -- speed [CORPUS]
//! cargo run --release -p commons-fingerprint --example fpbench -- ratios [CORPUS]
//! cargo run --release -p commons-fingerprint --example fpbench -- planted [python|c] [CORPUS] [PER_TYPE]
//! cargo run --release -p commons-fingerprint --example fpbench -- privacy [CORPUS]
//! cargo run --release -p commons-fingerprint --example fpbench -- all
//! ```
//!
//! The speed corpus is the Python 3.11 standard library without its tests:
//! the path given, else `$COMMONS_PYTHON_STDLIB`, else the pyenv install at
//! `/root/.pyenv/versions/3.11.7/lib/python3.11`, else what `python3`
//! reports. The C corpus of the planted evaluation is the aws-lc sources in
//! the cargo registry (`$COMMONS_C_CORPUS` overrides). Dolos runs when
//! `$COMMONS_DOLOS_DIR` names a directory where `npm install
//! @dodona/dolos-lib` was run, or when `npm` can install it into a
//! temporary directory; otherwise its column says why it is missing.

mod planted;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use commons_fingerprint::{
    CachedScan, CommunityKey, Config, Language, Library, ScanCache, fingerprint, normalize,
};

use planted::{FunctionPrints, Plan, Source};

const PYENV_STDLIB: &str = "/root/.pyenv/versions/3.11.7/lib/python3.11";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("speed") => speed(args.get(1).map(PathBuf::from)),
        Some("ratios") => ratios(args.get(1).map(PathBuf::from)),
        Some("planted") => planted_run(&args[1..]),
        Some("memory-probe") => memory_probe(&args[1..]),
        Some("privacy") => privacy(args.get(1).map(PathBuf::from)),
        Some("all") => speed(None).and_then(|()| {
            planted_run(&["python".to_string()])?;
            planted_run(&["c".to_string()])?;
            privacy(None)
        }),
        _ => Err(
            "usage: fpbench speed [CORPUS] | ratios [CORPUS] | planted [python|c] [CORPUS] [PER_TYPE] | privacy [CORPUS] | all".into(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("fpbench: {message}");
            ExitCode::from(2)
        }
    }
}

/// Prints one figure beside its target.
fn report(name: &str, value: f64, unit: &str, target: f64, higher_is_better: bool) {
    let ratio = if higher_is_better {
        value / target
    } else {
        target / value
    };
    let verdict = if ratio >= 1.0 { "meets" } else { "misses" };
    println!(
        "{name:<46} {value:>10.3} {unit:<8} target {target:>8.2}  ratio {ratio:>6.2} ({verdict})"
    );
}

/// The Python standard library, or why it cannot be found.
fn python_stdlib(given: Option<PathBuf>) -> Result<PathBuf, String> {
    if let Some(path) =
        given.or_else(|| std::env::var_os("COMMONS_PYTHON_STDLIB").map(PathBuf::from))
    {
        return if path.join("os.py").is_file() {
            Ok(path)
        } else {
            Err(format!(
                "{} is not a Python standard library (no os.py)",
                path.display()
            ))
        };
    }
    if Path::new(PYENV_STDLIB).join("os.py").is_file() {
        return Ok(PathBuf::from(PYENV_STDLIB));
    }
    let output = Command::new("python3")
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['stdlib'])",
        ])
        .output();
    if let Ok(output) = output {
        let path = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        if path.join("os.py").is_file() {
            return Ok(path);
        }
    }
    Err(format!(
        "the Python standard library corpus is missing: not at {PYENV_STDLIB}, and no python3 reports one; pass its path or set COMMONS_PYTHON_STDLIB"
    ))
}

/// The aws-lc C sources in the cargo registry, or why they cannot be found.
fn c_corpus(given: Option<PathBuf>) -> Result<PathBuf, String> {
    if let Some(path) = given.or_else(|| std::env::var_os("COMMONS_C_CORPUS").map(PathBuf::from)) {
        return Ok(path);
    }
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .ok_or("neither CARGO_HOME nor HOME is set")?;
    let registry = home.join("registry").join("src");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&registry)
        .map_err(|error| format!("cannot read {}: {error}", registry.display()))?
        .filter_map(Result::ok)
        .flat_map(|index| {
            std::fs::read_dir(index.path())
                .into_iter()
                .flatten()
                .filter_map(Result::ok)
        })
        .map(|krate| krate.path())
        .filter(|path| {
            path.file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with("aws-lc-sys-"))
        })
        .map(|path| path.join("aws-lc").join("crypto"))
        .filter(|path| path.is_dir())
        .collect();
    found.sort();
    found.pop().ok_or_else(|| {
        format!(
            "the C corpus is missing: no aws-lc-sys sources under {}; pass a directory of C files or set COMMONS_C_CORPUS",
            registry.display()
        )
    })
}

/// Source files of `language` under `root`, sorted: the test code
/// (under `test`, `tests` or `idle_test` directories, or named `*_test.c`)
/// when `tests`, everything else otherwise; `site-packages` is skipped.
fn list_files(root: &Path, language: Language, tests: bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![(root.to_path_buf(), false)];
    while let Some((dir, in_tests)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                if !matches!(name.as_str(), "site-packages" | "__pycache__") {
                    let test_dir = matches!(name.as_str(), "test" | "tests" | "idle_test");
                    stack.push((entry.path(), in_tests || test_dir));
                }
            } else if kind.is_file()
                && Language::from_path(&name) == Some(language)
                && (in_tests || name.ends_with("_test.c")) == tests
            {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    out
}

fn read_sources(files: &[PathBuf]) -> Vec<Source> {
    files
        .iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(path).ok()?;
            Some(Source { text })
        })
        .collect()
}

/// CPU time of this process (user + system), from `/proc/self/stat`.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at ")".
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |idx: usize| {
        fields
            .get(idx)
            .and_then(|it| it.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after ")".
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

/// Peak resident memory of this process, from `/proc/self/status`.
fn peak_rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kb| kb * 1024)
}

fn key() -> CommunityKey {
    CommunityKey::new([42; 32], 1)
}

/// A library of `count` patterns made from functions of `sources` (the
/// standard library's tests, which the speed corpus excludes).
fn library_of(sources: &[Source], count: usize, config: &Config) -> Library {
    let mut library = Library::new();
    let functions = planted::functions(Language::Python, sources, 6, 80);
    let mut rng = planted::Rng::new(7);
    let mut order: Vec<usize> = (0..functions.len()).collect();
    rng.shuffle(&mut order);
    let mut prints = FunctionPrints::new(Language::Python, sources);
    for idx in order {
        if library.len() >= count {
            break;
        }
        let function = functions[idx];
        let Some(local) = prints.get(&function, config) else {
            continue;
        };
        if let Ok((shared, _)) = local.export(&key(), None, config) {
            library
                .insert(library.len() as u64, &shared)
                .expect("fresh ids and valid exports");
        }
    }
    library
}

/// Runs `work` over every source on `threads` threads; returns the wall time
/// and the number of matches.
fn run_threads(
    sources: &[Source],
    threads: usize,
    work: &(dyn Fn(&Source) -> usize + Sync),
) -> (Duration, usize) {
    let next = AtomicUsize::new(0);
    let found = AtomicUsize::new(0);
    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let idx = next.fetch_add(1, Ordering::Relaxed);
                    let Some(source) = sources.get(idx) else {
                        break;
                    };
                    found.fetch_add(work(source), Ordering::Relaxed);
                }
            });
        }
    });
    (start.elapsed(), found.load(Ordering::Relaxed))
}

/// CPU time of the calling thread, in nanoseconds from
/// `/proc/thread-self/schedstat` where the kernel has it (the process's
/// 10 ms ticks otherwise).
fn thread_cpu_time() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|stat| stat.split_whitespace().next()?.parse::<u64>().ok())
        .filter(|nanos| *nanos > 0)
        .map_or_else(cpu_time, Duration::from_nanos)
}

/// CPU seconds of `work` over every source on this thread.
fn cpu_of(sources: &[Source], work: &dyn Fn(&Source) -> usize) -> (f64, usize) {
    let start = thread_cpu_time();
    let found: usize = sources.iter().map(work).sum();
    ((thread_cpu_time() - start).as_secs_f64(), found)
}

/// A measured configuration: its name and the work it does per source.
type Work<'a> = (&'a str, &'a dyn Fn(&Source) -> usize);

/// The median of `values` (the upper one of an even count).
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Measures parse-only, a full scan with the small library and one with the
/// large library in `FPBENCH_ROUNDS` rounds (5 by default), interleaved and
/// in a rotating order, so a burst of load from other processes falls on
/// one round of each configuration rather than on one configuration. Each
/// ratio is taken within a round and the median over rounds is reported,
/// with the ratio of the fastest rounds beside it. Returns the median CPU
/// seconds of the full scan with the small library.
fn cpu_ratios(sources: &[Source], small: &Library, large: &Library, config: &Config) -> f64 {
    let rounds = std::env::var("FPBENCH_ROUNDS")
        .ok()
        .and_then(|it| it.parse::<usize>().ok())
        .unwrap_or(5)
        .max(1);
    // Warm up the grammar tables and the caches.
    let _ = cpu_of(&sources[..sources.len().min(50)], &|s| {
        full_scan(s, small, config)
    });
    // The stages between parsing and a full scan show where its cost goes.
    let works: [Work<'_>; 5] = [
        ("parse only", &parse_only),
        ("full scan, 10 patterns", &|s| full_scan(s, small, config)),
        ("full scan, 10,000 patterns", &|s| {
            full_scan(s, large, config)
        }),
        ("stage: normalize", &|s| {
            normalize(Language::Python, s.text.as_bytes(), &config.limits).map_or(0, |it| it.len())
        }),
        ("stage: fingerprint", &|s| {
            fingerprint(Language::Python, s.text.as_bytes(), config).map_or(0, |it| it.grams.len())
        }),
    ];
    let mut seconds = [const { Vec::new() }; 5];
    let mut counts = [0usize; 5];
    for round in 0..rounds {
        for step in 0..works.len() {
            let idx = (round + step) % works.len();
            let (cpu, count) = cpu_of(sources, works[idx].1);
            seconds[idx].push(cpu);
            counts[idx] = count;
        }
    }
    println!("one thread, {rounds} interleaved rounds, CPU seconds (thread time):");
    for (idx, (name, _)) in works.iter().enumerate() {
        let times: Vec<String> = seconds[idx].iter().map(|it| format!("{it:.3}")).collect();
        println!(
            "  {name:<28} median {:.3}, rounds [{}] ({} {})",
            median(&seconds[idx]),
            times.join(", "),
            counts[idx],
            match idx {
                0 => "files with syntax errors",
                1 | 2 => "matches",
                3 => "tokens",
                _ => "selected grams",
            }
        );
    }
    for (name, over, under, target) in [
        ("full scan / parse-only CPU", 1, 0, 1.3),
        ("10,000-pattern / 10-pattern scan CPU", 2, 1, 1.2),
    ] {
        let per_round: Vec<f64> = (0..rounds)
            .map(|round| seconds[over][round] / seconds[under][round])
            .collect();
        let fastest = |idx: usize| seconds[idx].iter().copied().fold(f64::INFINITY, f64::min);
        report(
            &format!("{name} (median)"),
            median(&per_round),
            "x",
            target,
            false,
        );
        let ratios: Vec<String> = per_round.iter().map(|it| format!("{it:.3}")).collect();
        println!(
            "  per round [{}]; fastest rounds {:.3}",
            ratios.join(", "),
            fastest(over) / fastest(under)
        );
    }
    median(&seconds[1])
}

fn parse_only(source: &Source) -> usize {
    thread_local! {
        static PARSER: std::cell::RefCell<tree_sitter::Parser> = std::cell::RefCell::new({
            let mut parser = tree_sitter::Parser::new();
            parser
                .set_language(&tree_sitter_python::LANGUAGE.into())
                .expect("the Python grammar loads");
            parser
        });
    }
    PARSER.with(|parser| {
        let tree = parser.borrow_mut().parse(&source.text, None);
        usize::from(tree.is_some_and(|tree| tree.root_node().has_error()))
    })
}

fn full_scan(source: &Source, library: &Library, config: &Config) -> usize {
    fingerprint(Language::Python, source.text.as_bytes(), config)
        .map(|file| library.scan(&file, &key(), config.min_similarity).len())
        .unwrap_or(0)
}

/// The speed corpus and the two libraries scanned against it.
struct SpeedSetup {
    root: PathBuf,
    files: Vec<PathBuf>,
    sources: Vec<Source>,
    small: Library,
    large: Library,
    config: Config,
}

fn speed_setup(given: Option<PathBuf>) -> Result<SpeedSetup, String> {
    let root = python_stdlib(given)?;
    let files = list_files(&root, Language::Python, false);
    let sources = read_sources(&files);
    let lines: usize = sources.iter().map(|it| it.text.lines().count()).sum();
    let bytes: usize = sources.iter().map(|it| it.text.len()).sum();
    println!(
        "speed corpus: {} ({} files, {} lines, {:.1} MB, tests excluded)",
        root.display(),
        sources.len(),
        lines,
        bytes as f64 / 1e6
    );
    let config = Config::default();
    let test_sources = read_sources(&list_files(&root, Language::Python, true));
    let small = library_of(&test_sources, 10, &config);
    let large = library_of(&test_sources, 10_000, &config);
    println!(
        "libraries: {} and {} patterns from functions of the standard library's tests",
        small.len(),
        large.len()
    );
    Ok(SpeedSetup {
        root,
        files,
        sources,
        small,
        large,
        config,
    })
}

/// Only the one-thread CPU ratios of `speed`.
fn ratios(given: Option<PathBuf>) -> Result<(), String> {
    let setup = speed_setup(given)?;
    cpu_ratios(&setup.sources, &setup.small, &setup.large, &setup.config);
    Ok(())
}

fn speed(given: Option<PathBuf>) -> Result<(), String> {
    let setup = speed_setup(given)?;
    let full_cpu = cpu_ratios(&setup.sources, &setup.small, &setup.large, &setup.config);
    let (root, files, sources) = (setup.root, setup.files, setup.sources);
    let (small, config) = (setup.small, setup.config);

    match dolos(&files) {
        Ok((dolos_cpu, dolos_rss)) => {
            println!(
                "dolos (k=23, w=17, one thread): {dolos_cpu:.2} s CPU, peak {:.0} MB",
                dolos_rss as f64 / 1e6
            );
            report(
                "speed-up over Dolos (CPU)",
                dolos_cpu / full_cpu,
                "x",
                12.0,
                true,
            );
        }
        Err(why) => println!("dolos: not run: {why}"),
    }

    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (one, _) = run_threads(&sources, 1, &|s| full_scan(s, &small, &config));
    let (many, _) = run_threads(&sources, cores, &|s| full_scan(s, &small, &config));
    let speedup = one.as_secs_f64() / many.as_secs_f64();
    println!(
        "wall time: 1 thread {:.2} s, {cores} threads {:.2} s (a shared machine makes this noisy)",
        one.as_secs_f64(),
        many.as_secs_f64()
    );
    report(
        &format!("speed-up on {cores} threads"),
        speedup,
        "x",
        0.8 * cores as f64,
        true,
    );

    let probe = Command::new(std::env::current_exe().map_err(|e| e.to_string())?)
        .arg("memory-probe")
        .arg(&root)
        .output()
        .map_err(|error| format!("cannot run the memory probe: {error}"))?;
    let probe_out = String::from_utf8_lossy(&probe.stdout);
    let peak: f64 = probe_out
        .trim()
        .parse()
        .map_err(|_| format!("memory probe said {probe_out:?}"))?;
    report(
        "peak memory of a one-thread scan",
        peak / 1e6,
        "MB",
        100.0,
        false,
    );

    // Unchanged tree: first scan fills the cache, second reads files, hashes
    // them and finds every result cached (the cache is written and read back
    // in between, as `commons scan` does).
    let context = ScanCache::context(&small, &key(), &config);
    let scan_with = |cache: &mut ScanCache| {
        let start = Instant::now();
        let mut found = 0;
        for path in &files {
            let Ok(bytes) = std::fs::read(path) else {
                continue;
            };
            let content = ScanCache::content_hash(&bytes);
            if let Some(cached) = cache.get(&content) {
                found += cached.matches.len();
                continue;
            }
            let Ok(file) = fingerprint(Language::Python, &bytes, &config) else {
                continue;
            };
            let matches = small.scan(&file, &key(), config.min_similarity);
            found += matches.len();
            cache.insert(
                content,
                CachedScan {
                    syntax_errors: file.syntax_errors,
                    matches,
                },
            );
        }
        (start.elapsed().as_secs_f64(), found)
    };
    let mut cache = ScanCache::new(context);
    let (cold, cold_found) = scan_with(&mut cache);
    let start = Instant::now();
    let bytes = cache.to_bytes();
    let mut cache = ScanCache::from_bytes(&bytes, context);
    let (_, warm_found) = scan_with(&mut cache);
    let warm = start.elapsed().as_secs_f64();
    assert_eq!(cold_found, warm_found, "the cache changes no result");
    println!(
        "scan from disk, one thread, wall time: cold {cold:.2} s, unchanged tree {warm:.3} s ({} cached contents, {} bytes)",
        cache.len(),
        bytes.len()
    );
    report(
        "unchanged-tree re-scan speed-up",
        cold / warm,
        "x",
        10.0,
        true,
    );
    Ok(())
}

/// The dictionary attack of a community member: every gram of the public
/// corpus (the standard library without tests), keyed with the community's
/// key, against the shared hashes of patterns from code outside it (the
/// standard library's tests) that pass the privacy gate, whose reference
/// corpus is the same public code. An outsider's dictionary (other key, or
/// unkeyed) must recover nothing.
fn privacy(given: Option<PathBuf>) -> Result<(), String> {
    let root = python_stdlib(given)?;
    let config = tuned(Config::default());
    let public = read_sources(&list_files(&root, Language::Python, false));
    // The gate's corpus as a member would build it from the same public
    // code the attacker uses, and a harder case: the gate knows only every
    // other file while the attacker's dictionary holds them all.
    for (label, step) in [("same corpus", 1), ("gate knows half", 2)] {
        let corpus = commons_fingerprint::ReferenceCorpus::build(
            public
                .iter()
                .step_by(step)
                .map(|source| (Language::Python, source.text.as_str())),
            &config,
        );
        privacy_with(&root, &public, &corpus, &config, label)?;
    }
    Ok(())
}

fn privacy_with(
    root: &Path,
    public: &[Source],
    corpus: &commons_fingerprint::ReferenceCorpus,
    config: &Config,
    label: &str,
) -> Result<(), String> {
    let every_gram = Config {
        window: 1,
        ..config.clone()
    };
    let outsider = CommunityKey::new([9; 32], 1);
    let mut member: std::collections::HashSet<u64> = std::collections::HashSet::new();
    let mut other: std::collections::HashSet<u64> = std::collections::HashSet::new();
    for source in public {
        if let Ok(file) = fingerprint(Language::Python, source.text.as_bytes(), &every_gram) {
            for gram in &file.grams {
                member.insert(key().keyed(gram.hash));
                other.insert(outsider.keyed(gram.hash));
                other.insert(gram.hash);
            }
        }
    }
    let private = read_sources(&list_files(root, Language::Python, true));
    let functions = planted::functions(Language::Python, &private, 8, 80);
    let mut rng = planted::Rng::new(11);
    let mut order: Vec<usize> = (0..functions.len()).collect();
    rng.shuffle(&mut order);
    let mut prints = FunctionPrints::new(Language::Python, &private);
    let (mut patterns, mut refused, mut over, mut leaked) = (0usize, 0usize, 0usize, 0usize);
    let mut shares: Vec<f64> = Vec::new();
    for idx in order.into_iter().take(2_000) {
        let function = functions[idx];
        let Some(local) = prints.get(&function, config) else {
            continue;
        };
        let Ok((shared, _)) = local.export(&key(), Some(corpus), config) else {
            refused += 1;
            continue;
        };
        patterns += 1;
        let recovered = shared
            .hashes
            .iter()
            .filter(|hash| member.contains(hash))
            .count();
        let share = recovered as f64 / shared.hashes.len() as f64;
        shares.push(share);
        over += usize::from(share > 0.10);
        leaked += shared
            .hashes
            .iter()
            .filter(|hash| other.contains(hash))
            .count();
    }
    shares.sort_by(f64::total_cmp);
    let mean = shares.iter().sum::<f64>() / shares.len().max(1) as f64;
    let median = shares.get(shares.len() / 2).copied().unwrap_or(0.0);
    println!(
        "privacy, {label} (k={}): {} public files in the dictionary ({} keyed grams); {patterns} patterns from the standard library's tests passed the gate, {refused} refused",
        config.k,
        public.len(),
        member.len()
    );
    println!(
        "  member's dictionary recovers: mean {:.1}%, median {:.1}% of a pattern's shared hashes; {over} patterns above 10%",
        mean * 100.0,
        median * 100.0
    );
    report(
        "mean share recovered with the key",
        mean * 100.0,
        "%",
        10.0,
        false,
    );
    report(
        "patterns with at most 10% recovered",
        (patterns - over) as f64 / patterns.max(1) as f64 * 100.0,
        "%",
        100.0,
        true,
    );
    println!("  outsider's dictionary (other key or unkeyed) recovers {leaked} hashes (target 0)");
    Ok(())
}

/// Scans the corpus file by file from disk, as `commons scan --threads 1`
/// does, and prints the peak resident memory in bytes.
fn memory_probe(args: &[String]) -> Result<(), String> {
    let root = python_stdlib(args.first().map(PathBuf::from))?;
    let config = Config::default();
    let test_sources = read_sources(&list_files(&root, Language::Python, true));
    let library = library_of(&test_sources[..test_sources.len().min(40)], 10, &config);
    drop(test_sources);
    let mut found = 0;
    for path in list_files(&root, Language::Python, false) {
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        if let Ok(file) = fingerprint(Language::Python, &bytes, &config) {
            found += library.scan(&file, &key(), config.min_similarity).len();
        }
    }
    eprintln!("{found} matches");
    println!("{}", peak_rss_bytes());
    Ok(())
}

/// Runs Dolos over `files`; its CPU seconds and peak memory.
fn dolos(files: &[PathBuf]) -> Result<(f64, u64), String> {
    let dir = match std::env::var_os("COMMONS_DOLOS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let dir = std::env::temp_dir().join("commons-fpbench-dolos");
            if !dir.join("node_modules/@dodona/dolos-lib").is_dir() {
                std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
                eprintln!(
                    "installing @dodona/dolos-lib into {} with npm",
                    dir.display()
                );
                let status = Command::new("npm")
                    .args([
                        "install",
                        "--no-audit",
                        "--no-fund",
                        "--silent",
                        "@dodona/dolos-lib",
                    ])
                    .current_dir(&dir)
                    .stdout(Stdio::null())
                    .status()
                    .map_err(|error| format!("cannot run npm: {error}"))?;
                if !status.success() {
                    return Err(format!("npm install @dodona/dolos-lib failed ({status})"));
                }
            }
            dir
        }
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/fpbench/dolos.mjs");
    let mut child = Command::new("node")
        .arg(&script)
        .arg(&dir)
        .args(["python", "23", "17"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|error| format!("cannot run node: {error}"))?;
    let list: String = files
        .iter()
        .map(|path| format!("{}\n", path.display()))
        .collect();
    child
        .stdin
        .take()
        .ok_or("no stdin for node")?
        .write_all(list.as_bytes())
        .map_err(|e| e.to_string())?;
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(format!("node exited with {}", output.status));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let number = |field: &str| -> Option<f64> {
        let at = text.find(&format!("\"{field}\":"))? + field.len() + 3;
        let rest = &text[at..];
        let end = rest.find([',', '}'])?;
        rest[..end].trim().parse().ok()
    };
    let cpu = number("cpu_seconds").ok_or_else(|| format!("unexpected Dolos output {text:?}"))?;
    let rss = number("peak_rss_bytes").unwrap_or(0.0);
    Ok((cpu, rss as u64))
}

/// The default configuration with `FPBENCH_K`, `FPBENCH_WINDOW`,
/// `FPBENCH_SHARE_WINDOW` and `FPBENCH_COMMON` (the gate's common fraction)
/// applied, for tuning runs.
fn tuned(mut config: Config) -> Config {
    let var = |name: &str| {
        std::env::var(name)
            .ok()
            .and_then(|it| it.parse::<u32>().ok())
    };
    if let Some(k) = var("FPBENCH_K") {
        config.k = k;
    }
    if let Some(window) = var("FPBENCH_WINDOW") {
        config.window = window;
    }
    if let Some(window) = var("FPBENCH_SHARE_WINDOW") {
        config.share_window = window;
    }
    if let Some(min) = var("FPBENCH_MIN_HASHES") {
        config.gate.min_hashes = min as usize;
    }
    if let Some(fraction) = std::env::var("FPBENCH_COMMON")
        .ok()
        .and_then(|it| it.parse::<f64>().ok())
    {
        config.gate.common_fraction = fraction;
    }
    config
}

fn planted_run(args: &[String]) -> Result<(), String> {
    let language = match args.first().map(String::as_str) {
        None | Some("python") => Language::Python,
        Some("c") => Language::C,
        Some(other) => {
            return Err(format!(
                "planted: unsupported language `{other}` (python or c)"
            ));
        }
    };
    let given = args.get(1).filter(|it| !it.is_empty()).map(PathBuf::from);
    let per_type: usize = match args.get(2) {
        Some(n) => n
            .parse()
            .map_err(|_| format!("PER_TYPE `{n}` is not a number"))?,
        // The C corpus has functions enough for 60 copies per type and as
        // many decoys.
        None if language == Language::C => 60,
        None => 100,
    };
    let root = match language {
        Language::Python => python_stdlib(given)?,
        _ => c_corpus(given)?,
    };
    let sources = read_sources(&list_files(&root, language, false));
    if sources.len() < 10 {
        return Err(format!(
            "{} holds only {} {language} files",
            root.display(),
            sources.len()
        ));
    }
    println!("corpus: {} ({} files)", root.display(), sources.len());
    // `FPBENCH_SEED` draws another split and other copies: a held-out run
    // for whatever was tuned on the default seed.
    let seed = std::env::var("FPBENCH_SEED")
        .ok()
        .and_then(|it| it.parse::<u64>().ok())
        .unwrap_or(20_261_204);
    let plan = Plan {
        language,
        per_type,
        seed,
        max_false: 3,
        config: tuned(Config::default()),
    };
    let start = Instant::now();
    let outcome = planted::evaluate(&sources, &plan, &key());
    print!("{}", outcome.render(&plan));
    println!("  ({:.1} s)", start.elapsed().as_secs_f64());
    Ok(())
}
