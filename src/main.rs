fn main() -> std::process::ExitCode {
    threatboard::cli::main()
}
