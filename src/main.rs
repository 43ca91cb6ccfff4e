//! The `familyflow` command: a thin shell over [`familyflow::cli`].

fn main() -> std::process::ExitCode {
    familyflow::cli::main()
}
