//! Embeds every file under `assets/` (recursively) as a table `(path, bytes, etag)`, so a new asset needs no
//! code change. The ETag is an FNV-1a 64 hash of the contents.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).expect("assets dir").map(|e| e.expect("dir entry").path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100000001b3))
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut paths = Vec::new();
    files(&root, &mut paths);
    let mut table = String::from("pub(crate) static ASSETS: &[Asset] = &[\n");
    for path in paths {
        let bytes = std::fs::read(&path).expect("asset");
        let name = path.strip_prefix(&root).expect("under assets").to_string_lossy().replace('\\', "/");
        writeln!(
            table,
            "    Asset {{ path: {name:?}, body: include_bytes!({:?}), hash: \"{:016x}\" }},",
            path.display().to_string(),
            fnv1a(&bytes)
        )
        .expect("write");
    }
    table.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("assets.rs");
    std::fs::write(out, table).expect("write assets.rs");
}
