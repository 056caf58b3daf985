//! Writes the `WhatsAppAccount` CRD generated from the Rust types.

use std::path::PathBuf;

use clap::Parser;

/// Generate the WhatsAppAccount CustomResourceDefinition YAML.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Directories to write the CRD file into; `-` prints it instead.
    #[arg(default_value = "deploy/crds")]
    out_dirs: Vec<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let yaml = crds::crd_yaml()?;
    for dir in &args.out_dirs {
        if dir.as_os_str() == "-" {
            print!("{yaml}");
            continue;
        }
        std::fs::create_dir_all(dir)?;
        let path = dir.join(crds::CRD_FILE);
        std::fs::write(&path, &yaml)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
