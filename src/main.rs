//! The `carecast` binary: all work is in the library's `cli` module.

fn main() -> std::process::ExitCode {
    carecast::cli::run(std::env::args_os())
}
