//! Prints the normalized token stream of a file: `cargo run --example render -- LANG FILE`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let language = commons_fingerprint::Language::from_name(&args.next().unwrap_or_default())?;
    let path = args.next().ok_or("usage: render LANG FILE")?;
    let source = std::fs::read(path)?;
    let normalized = commons_fingerprint::normalize(language, &source, &Default::default())?;
    println!("{}", normalized.render());
    Ok(())
}
