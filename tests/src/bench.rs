//! What the benchmark binaries (`src/bin/bench_*.rs`) share: a command line of `--quick`
//! alone, and how a run ends.

use std::process::ExitCode;

/// Reads the arguments of benchmark `name`, which takes `--quick` only: `Ok(quick)`, or
/// the exit code to leave with (`--help` printed `usage`; an unknown argument refused).
pub fn quick_flag(name: &str, usage: &str) -> Result<bool, ExitCode> {
    let mut quick = false;
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--quick" => quick = true,
            "-h" | "--help" => {
                println!("{usage}");
                return Err(ExitCode::SUCCESS);
            }
            _ => {
                eprintln!("{name}: unknown argument {a:?}\n{usage}");
                return Err(ExitCode::from(2));
            }
        }
    }
    Ok(quick)
}

/// The exit code of benchmark `name` after its run: a measurement that could not be taken
/// fails (a missed goal never does: the run prints it).
pub fn finish(name: &str, run: Result<(), String>) -> ExitCode {
    match run {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\n{name}: a measurement could not be taken:\n{e}");
            ExitCode::FAILURE
        }
    }
}
