//! The image built without a container engine (`image/build.sh`, which
//! `make image` and `make image-dev` run) holds what the Dockerfile's final
//! stage describes: the same files, user, environment, command and labels,
//! no shell, and static binaries. The tests' image is the one checked; the
//! release image comes from the same script with release binaries.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

fn root() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
        .join("..")
}

/// What the Dockerfile's last stage says the image is.
#[derive(Debug, Default)]
struct Stage {
    files: BTreeSet<String>,
    user: String,
    env: Vec<String>,
    cmd: Vec<String>,
    labels: BTreeMap<String, String>,
}

/// Reads the final stage: its COPY destinations, USER, ENV, CMD and LABEL
/// instructions (continuation lines joined, `ARG` values left empty).
fn final_stage(dockerfile: &str) -> Stage {
    let joined = dockerfile.replace("\\\n", " ");
    let lines: Vec<&str> = joined
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let last_from = lines.iter().rposition(|l| l.starts_with("FROM ")).unwrap();
    let mut stage = Stage::default();
    for line in &lines[last_from + 1..] {
        let (instruction, rest) = line.split_once(' ').unwrap();
        match instruction {
            "COPY" => {
                let words: Vec<&str> = rest
                    .split_whitespace()
                    .filter(|w| !w.starts_with("--"))
                    .collect();
                let (destination, sources) = words.split_last().unwrap();
                for source in sources {
                    let file = if destination.ends_with('/') {
                        format!(
                            "{destination}{}",
                            Path::new(source).file_name().unwrap().to_str().unwrap()
                        )
                    } else {
                        (*destination).to_owned()
                    };
                    stage.files.insert(file.trim_start_matches('/').to_owned());
                }
            }
            "USER" => stage.user = rest.trim().to_owned(),
            "ENV" => stage.env.push(rest.trim().to_owned()),
            "CMD" => stage.cmd = serde_json::from_str(rest).unwrap(),
            "LABEL" => {
                for (key, value) in labels(rest) {
                    stage.labels.insert(key, value);
                }
            }
            "ARG" | "ENTRYPOINT" | "WORKDIR" | "EXPOSE" => {}
            other => panic!("the final stage has a {other} this test does not know"),
        }
    }
    stage
}

/// `key="value" key2="value two"` pairs; an `ARG` reference reads empty.
fn labels(text: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut rest = text.trim();
    while let Some((key, after)) = rest.split_once("=\"") {
        let (value, next) = after.split_once('"').unwrap();
        let value = if value.starts_with("${") { "" } else { value };
        pairs.push((key.trim().to_owned(), value.to_owned()));
        rest = next.trim();
    }
    pairs
}

/// The tests' image: `PAWANG_TEST_IMAGE`, or what `make image-dev` built.
fn image_archive() -> PathBuf {
    if let Some(path) = std::env::var_os("PAWANG_TEST_IMAGE") {
        return path.into();
    }
    let exe = std::env::current_exe().unwrap();
    let profile = exe
        .ancestors()
        .find(|d| d.file_name().is_some_and(|n| n == "debug"))
        .unwrap();
    profile
        .parent()
        .unwrap()
        .join("image")
        .join(format!("pawang-{}-dev.oci.tar", env!("CARGO_PKG_VERSION")))
}

/// Every file of an OCI archive, by path.
fn entries(archive: &Path) -> BTreeMap<String, Vec<u8>> {
    let file = std::fs::File::open(archive).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; build the image with `make image-dev`",
            archive.display()
        )
    });
    let mut tar = tar::Archive::new(file);
    let mut out = BTreeMap::new();
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        out.insert(path, bytes);
    }
    out
}

fn blob<'a>(layout: &'a BTreeMap<String, Vec<u8>>, digest: &str) -> &'a [u8] {
    let hex = digest.strip_prefix("sha256:").unwrap();
    &layout[&format!("blobs/sha256/{hex}")]
}

/// Whether an ELF file asks for a dynamic loader (a PT_INTERP header).
fn is_dynamic(elf: &[u8]) -> bool {
    assert_eq!(&elf[..4], b"\x7fELF", "not an ELF file");
    assert_eq!(elf[4], 2, "not 64-bit");
    let u16_at = |at: usize| usize::from(u16::from_le_bytes([elf[at], elf[at + 1]]));
    let u64_at = |at: usize| {
        let bytes: [u8; 8] = elf[at..at + 8].try_into().unwrap();
        usize::try_from(u64::from_le_bytes(bytes)).unwrap()
    };
    let (offset, size, count) = (u64_at(0x20), u16_at(0x36), u16_at(0x38));
    (0..count).any(|n| {
        let header = offset + n * size;
        u32::from_le_bytes(elf[header..header + 4].try_into().unwrap()) == 3
    })
}

#[test]
fn the_image_holds_what_the_dockerfile_describes() {
    let dockerfile = std::fs::read_to_string(root().join("Dockerfile")).unwrap();
    let stage = final_stage(&dockerfile);
    assert!(
        stage.files.contains("usr/local/bin/tenant-bot"),
        "{stage:?}"
    );

    let layout = entries(&image_archive());
    let index: Value = serde_json::from_slice(&layout["index.json"]).unwrap();
    let described = &index["manifests"][0];
    assert_eq!(
        described["annotations"]["io.containerd.image.name"],
        format!("localhost/pawang:{}", env!("CARGO_PKG_VERSION")),
        "the operator's default tenant image"
    );
    let manifest: Value =
        serde_json::from_slice(blob(&layout, described["digest"].as_str().unwrap())).unwrap();
    let config: Value = serde_json::from_slice(blob(
        &layout,
        manifest["config"]["digest"].as_str().unwrap(),
    ))
    .unwrap();
    let layers = manifest["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 1);

    // The same user, environment, command and labels.
    let run = &config["config"];
    assert_eq!(run["User"], stage.user);
    let env: Vec<String> = serde_json::from_value(run["Env"].clone()).unwrap();
    assert_eq!(env, stage.env);
    let cmd: Vec<String> = serde_json::from_value(run["Cmd"].clone()).unwrap();
    assert_eq!(cmd, stage.cmd);
    let labels: BTreeMap<String, String> = serde_json::from_value(run["Labels"].clone()).unwrap();
    assert_eq!(labels, stage.labels);

    // The same files, and nothing else: no shell, no libc.
    let mut gz = Vec::new();
    flate2::read::GzDecoder::new(blob(&layout, layers[0]["digest"].as_str().unwrap()))
        .read_to_end(&mut gz)
        .unwrap();
    let mut files = BTreeMap::new();
    for entry in tar::Archive::new(gz.as_slice()).entries().unwrap() {
        let mut entry = entry.unwrap();
        if entry.header().entry_type().is_dir() {
            continue;
        }
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        let header = entry.header();
        assert_eq!(
            (header.uid().unwrap(), header.gid().unwrap()),
            (0, 0),
            "{path}"
        );
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        files.insert(path, bytes);
    }
    let names: BTreeSet<String> = files.keys().cloned().collect();
    assert_eq!(names, stage.files);
    for binary in ["usr/local/bin/operator", "usr/local/bin/tenant-bot"] {
        assert!(
            !is_dynamic(&files[binary]),
            "{binary} needs a dynamic loader"
        );
    }
    assert!(
        String::from_utf8_lossy(&files["etc/ssl/certs/ca-certificates.crt"])
            .contains("BEGIN CERTIFICATE")
    );
}

#[test]
fn the_dockerfiles_final_stage_is_read_as_written() {
    let stage = final_stage(
        "FROM rust AS build\nRUN make\nFROM scratch\nARG X=\"\"\nLABEL a=\"1\" \\\n  b=\"${X}\"\n\
         COPY --from=build /etc/x.crt /etc/x.crt\nCOPY --from=build /out/a /out/b /bin/\n\
         ENV PATH=/bin\nUSER 1:1\nCMD [\"/bin/a\", \"--help\"]\n",
    );
    let files: Vec<&str> = stage.files.iter().map(String::as_str).collect();
    assert_eq!(files, ["bin/a", "bin/b", "etc/x.crt"]);
    assert_eq!(stage.user, "1:1");
    assert_eq!(stage.env, ["PATH=/bin"]);
    assert_eq!(stage.cmd, ["/bin/a", "--help"]);
    assert_eq!(stage.labels["a"], "1");
    assert_eq!(stage.labels["b"], "");
}
