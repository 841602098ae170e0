fn main() -> std::process::ExitCode {
    azaudit::cli::main()
}
