//! Embeds every file under `assets/` (recursively) as a table `(path, bytes, hash)`, so a new asset needs no code
//! change. The hash is FNV-1a 64 of the contents. In HTML pages, stylesheet links `href="/x.css"` become
//! `href="/x.css?v=<hash>"`, which the server marks immutable (scripts are left alone: a module must keep one
//! URL, whoever imports it). Text assets over 1 KiB are also stored gzipped (best level), served to clients that
//! accept it.

use std::fmt::Write as _;
use std::io::Write as _;
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

fn fnv1a(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf29ce484222325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100000001b3));
    format!("{hash:016x}")
}

/// The gzip of a text asset, when it is worth it.
fn gzip(name: &str, bytes: &[u8]) -> Option<Vec<u8>> {
    let text = [".html", ".css", ".js", ".mjs", ".json", ".svg", "LICENSE"].iter().any(|ext| name.ends_with(ext));
    if !text || bytes.len() < 1024 {
        return None;
    }
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).expect("gzip");
    let packed = encoder.finish().expect("gzip");
    (packed.len() * 10 < bytes.len() * 9).then_some(packed)
}

fn main() {
    // Read at run time, not compile time: a target dir reused from another checkout keeps the compiled script.
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR")).join("assets");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    println!("cargo:rerun-if-changed={}", root.display());
    let mut paths = Vec::new();
    files(&root, &mut paths);
    let name_of = |path: &Path| path.strip_prefix(&root).expect("under assets").to_string_lossy().replace('\\', "/");
    let stylesheets: Vec<(String, String)> = paths
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "css"))
        .map(|p| (name_of(p), fnv1a(&std::fs::read(p).expect("stylesheet"))))
        .collect();
    let mut table = String::from("pub(crate) static ASSETS: &[Asset] = &[\n");
    for (i, path) in paths.iter().enumerate() {
        let name = name_of(path);
        let mut bytes = std::fs::read(path).expect("asset");
        let mut source = path.clone();
        if name.ends_with(".html") {
            let mut text = String::from_utf8(bytes).expect("HTML is UTF-8");
            for (css, hash) in &stylesheets {
                text = text.replace(&format!("href=\"/{css}\""), &format!("href=\"/{css}?v={hash}\""));
            }
            bytes = text.into_bytes();
            source = out_dir.join(format!("page-{i}.html"));
            std::fs::write(&source, &bytes).expect("write page");
        }
        let packed = match gzip(&name, &bytes) {
            Some(packed) => {
                let file = out_dir.join(format!("asset-{i}.gz"));
                std::fs::write(&file, packed).expect("write gzip");
                format!("Some(include_bytes!({:?}))", file.display().to_string())
            }
            None => "None".to_owned(),
        };
        writeln!(
            table,
            "    Asset {{ path: {name:?}, body: include_bytes!({:?}), gzip: {packed}, hash: {:?} }},",
            source.display().to_string(),
            fnv1a(&bytes)
        )
        .expect("write");
    }
    table.push_str("];\n");
    std::fs::write(out_dir.join("assets.rs"), table).expect("write assets.rs");
}
