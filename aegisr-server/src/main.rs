//! `aegisr-server`: parses flags, loads the configuration, starts the node.

use aegisr_server::config::{Cli, Tool};
use aegisr_server::server;

/// mimalloc, counting the bytes it hands out for INFO's used_memory and maxmemory.
#[global_allocator]
static GLOBAL: server::allocator::CountingAlloc = server::allocator::CountingAlloc;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse_args();
    if let Some(Tool::CheckData { dir, repair }) = &cli.command {
        return check_data(dir, *repair);
    }
    let config = match cli.load() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("aegisr-server: {e:#}");
            return std::process::ExitCode::from(2);
        }
    };
    let logfile = config.string("logfile");
    let log_to = if logfile.is_empty() {
        None
    } else {
        match std::fs::OpenOptions::new().create(true).append(true).open(&logfile) {
            Ok(file) => Some(file),
            Err(e) => {
                eprintln!("aegisr-server: can't open the log file '{logfile}': {e}");
                return std::process::ExitCode::from(2);
            }
        }
    };
    init_logging(&config.string("loglevel"), config.string("log-format") == "json", log_to);
    // The first line of every start says what runs and as which process, as Redis's does.
    let file = config.file().map_or_else(|| "none".to_owned(), |path| path.display().to_string());
    tracing::info!("Aegisr {} starting, PID: {}, config file: {file}", env!("CARGO_PKG_VERSION"), std::process::id());
    let pidfile = config.string("pidfile");
    if !pidfile.is_empty()
        && let Err(e) = std::fs::write(&pidfile, format!("{}\n", std::process::id()))
    {
        // As Redis: a pidfile that cannot be written is worth a warning, not a refusal.
        tracing::warn!("failed to write PID file '{pidfile}': {e}");
    }
    if let Err(e) = server::allocator::disable_transparent_huge_pages(config.bool("disable-thp")) {
        tracing::warn!("could not turn transparent huge pages off (disable-thp): {e}");
    }
    let threads = server::worker_threads(config.u64("threads"));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name("aegisr-worker")
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("aegisr-server: cannot start {threads} worker threads: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(server::run(config, threads));
    if !pidfile.is_empty() {
        let _ = std::fs::remove_file(&pidfile);
    }
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("aegisr-server: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// `check-data`: reports on stdout; exit 0 when the directory is sound (or repaired).
fn check_data(dir: &std::path::Path, repair: bool) -> std::process::ExitCode {
    let mut out = std::io::stdout();
    match aegisr_server::persist::check::check_data(dir, repair, &mut out) {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("aegisr-server check-data: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

/// Logs to stdout (or `file`: the `logfile` option), as text or as one JSON object per
/// line; Redis's level names map onto
/// tracing's (notice = info). openraft (the cluster control plane) narrates every election
/// and membership step at info and reports every failed message to an unreachable peer as
/// an error: only its other errors are shown (our transport warns about unreachable peers
/// itself, once in a while).
fn init_logging(level: &str, json: bool, file: Option<std::fs::File>) {
    let filter = match level {
        "debug" => "debug,openraft=info",
        "verbose" => "debug,openraft=info",
        "warning" => "warn,openraft=error,openraft::replication=off",
        "nothing" => "off",
        _ => "info,openraft=error,openraft::replication=off",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("AEGISR_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    // Colours only for a terminal, never in a file.
    let ansi = file.is_none() && std::io::IsTerminal::is_terminal(&std::io::stdout());
    let writer = match file {
        Some(file) => tracing_subscriber::fmt::writer::BoxMakeWriter::new(std::sync::Mutex::new(file)),
        None => tracing_subscriber::fmt::writer::BoxMakeWriter::new(std::io::stdout),
    };
    let builder = builder.with_writer(writer);
    if json {
        builder.json().init();
    } else {
        builder.with_ansi(ansi).init();
    }
}
