//! Writes the `WhatsAppAccount` CRD generated from the Rust types.

use std::path::PathBuf;

use clap::Parser;

/// Generate the WhatsAppAccount CustomResourceDefinition YAML.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Directory to write the CRD file into; `-` prints it instead.
    #[arg(default_value = "deploy/crds")]
    out_dir: PathBuf,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let yaml = crds::crd_yaml()?;
    if args.out_dir.as_os_str() == "-" {
        print!("{yaml}");
        return Ok(());
    }
    std::fs::create_dir_all(&args.out_dir)?;
    let path = args.out_dir.join(crds::CRD_FILE);
    std::fs::write(&path, yaml)?;
    eprintln!("wrote {}", path.display());
    Ok(())
}
