//! Writes seed corpora from the ROOT fixtures: `cargo run --bin seeds -- ../../../tests/fixtures`.
//! Small files go to `corpus/container/`, every decodable payload to `corpus/models/`.

use rootfile::{FileSource, RootFile};
use std::path::Path;

fn main() {
    let fixtures = std::env::args().nth(1).unwrap_or_else(|| "../../../tests/fixtures".to_owned());
    let (container, models) = (Path::new("corpus/container"), Path::new("corpus/models"));
    std::fs::create_dir_all(container).unwrap();
    std::fs::create_dir_all(models).unwrap();
    let mut files = Vec::new();
    for dir in ["root-conformance", "root-conformance/skhep", "dqm"] {
        for entry in std::fs::read_dir(Path::new(&fixtures).join(dir)).unwrap().flatten() {
            if entry.path().extension().is_some_and(|e| e == "root") {
                files.push(entry.path());
            }
        }
    }
    let mut n = 0;
    for path in files {
        let size = std::fs::metadata(&path).unwrap().len();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if size <= 64 * 1024 {
            std::fs::copy(&path, container.join(&name)).unwrap();
        }
        let Ok(file) = RootFile::open(FileSource::open(&path).unwrap(), &name) else { continue };
        let _ = file.visit_keys(|_, key, _| {
            let Some(selector) = rootfile_fuzz::CLASSES.iter().position(|c| *c == key.class_name) else {
                return Ok(());
            };
            let Ok(payload) = file.payload(&key) else { return Ok(()) };
            if payload.len() > 64 * 1024 {
                return Ok(());
            }
            let mut seed = vec![selector as u8];
            seed.extend_from_slice(&(key.key_len as u32).to_be_bytes());
            seed.extend_from_slice(&payload);
            std::fs::write(models.join(format!("{name}-{n}")), seed).unwrap();
            n += 1;
            Ok(())
        });
    }
    println!("wrote {n} model seeds");
}
