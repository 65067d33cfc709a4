use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = server::cli::Cli::parse();
    kernel::tls::init();
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tinhso: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(server::cli::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tinhso: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
