//! `mkiso OUT.iso VOLUME_ID NAME=FILE...`: writes an image with the given files in its root,
//! e.g. a NoCloud seed: `mkiso seed.iso cidata user-data=./ud meta-data=./md`.

use std::process::ExitCode;

fn run(args: &[String]) -> Result<(), String> {
    let [out, volume_id, files @ ..] = args else {
        return Err("usage: mkiso OUT.iso VOLUME_ID NAME=FILE...".into());
    };
    let mut iso = iso9660::IsoImage::new(volume_id).map_err(|e| e.to_string())?;
    for spec in files {
        let (name, path) = spec
            .split_once('=')
            .ok_or_else(|| format!("{spec:?}: expected NAME=FILE"))?;
        let data = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
        iso.add_file(name, data).map_err(|e| e.to_string())?;
    }
    let bytes = iso.to_bytes().map_err(|e| e.to_string())?;
    std::fs::write(out, bytes).map_err(|e| format!("{out}: {e}"))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mkiso: {e}");
            ExitCode::FAILURE
        }
    }
}
