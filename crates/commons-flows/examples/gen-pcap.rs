//! `gen-pcap OUT [--size-mb N] [--seed S]`: writes the deterministic
//! benchmark capture (default 100 MiB, seed 1).

use std::io::{BufWriter, Write};
use std::process::ExitCode;

use commons_flows::generate::{PcapConfig, write_pcap};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut out = None;
    let mut config = PcapConfig::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let number = |value: Option<&String>| value.and_then(|it| it.parse::<u64>().ok());
        match arg.as_str() {
            "--size-mb" => match number(args.next()) {
                Some(mb) => config.target_bytes = mb << 20,
                None => return usage("--size-mb takes a number"),
            },
            "--seed" => match number(args.next()) {
                Some(seed) => config.seed = seed,
                None => return usage("--seed takes a number"),
            },
            path if out.is_none() && !path.starts_with("--") => out = Some(path.to_string()),
            other => return usage(&format!("unexpected argument {other}")),
        }
    }
    let Some(out) = out else {
        return usage("missing OUT");
    };
    let file = match std::fs::File::create(&out) {
        Ok(file) => file,
        Err(error) => {
            eprintln!("gen-pcap: creating {out}: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut writer = BufWriter::with_capacity(1 << 20, file);
    let written = write_pcap(&config, &mut writer).and_then(|stats| writer.flush().map(|()| stats));
    match written {
        Ok(stats) => {
            println!(
                "{out}: {} packets, {} bytes, {} sessions ({} TLS, {} HTTP requests, {} DNS)",
                stats.packets, stats.bytes, stats.sessions, stats.tls, stats.http, stats.dns
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("gen-pcap: writing {out}: {error}");
            ExitCode::FAILURE
        }
    }
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("gen-pcap: {problem}\nusage: gen-pcap OUT [--size-mb N] [--seed S]");
    ExitCode::from(2)
}
