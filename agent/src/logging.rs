//! Logs with `tracing`: human lines on a terminal (or JSON), optionally to a file and to
//! journald. PINs never reach a log: they live in zeroizing buffers without `Debug`.

use std::io::IsTerminal;
use std::sync::Mutex;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use passerelle_installation::config::{LogConfig, LogFormat};

/// Installs the global subscriber. `RUST_LOG`, when set, overrides `log.level`.
pub fn init(config: &LogConfig) -> std::io::Result<()> {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| EnvFilter::try_new(v).ok())
        .unwrap_or_else(|| EnvFilter::new(&config.level));
    let json = config.format == LogFormat::Json;
    let stderr = if json {
        tracing_subscriber::fmt::layer()
            .json()
            .with_writer(std::io::stderr)
            .boxed()
    } else {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(std::io::stderr().is_terminal())
            .boxed()
    };
    let file = if config.file.as_os_str().is_empty() {
        None
    } else {
        if let Some(dir) = config.file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&config.file)?;
        let writer = Mutex::new(f);
        Some(if json {
            tracing_subscriber::fmt::layer()
                .json()
                .with_writer(writer)
                .boxed()
        } else {
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(writer)
                .boxed()
        })
    };
    let journald = if config.journald {
        Some(tracing_journald::layer()?)
    } else {
        None
    };
    // A second init (tests) keeps the first subscriber.
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(stderr)
        .with(file)
        .with(journald)
        .try_init();
    Ok(())
}
