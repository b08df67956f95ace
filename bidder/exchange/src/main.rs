use clap::Parser;
use exchange::{Args, Settings};

fn main() -> anyhow::Result<()> {
    rtbhttp::process::init_tracing();
    let settings = Settings::from_args(Args::parse())?;
    rtbhttp::process::run_service(settings.workers, settings.listen, |listener, shutdown| {
        exchange::run(settings, listener, shutdown)
    })
}
