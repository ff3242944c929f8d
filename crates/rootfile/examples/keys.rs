//! Prints every key of a ROOT file, recursively: `cargo run -p rootfile --example keys FILE`.

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: keys FILE");
        std::process::exit(2);
    };
    let run = || -> rootfile::Result<()> {
        let file = rootfile::RootFile::open(rootfile::FileSource::open(&path)?, &path)?;
        for k in file.list_recursive()? {
            let decoded = if rootfile::models::is_supported(&k.key.class_name) {
                match file.object(&k.key) {
                    Ok(o) => format!("ok {}", o.class_name()),
                    Err(e) => format!("ERR {e}"),
                }
            } else {
                String::new()
            };
            println!("{:?} {} ;{} {}", k.path, k.key.class_name, k.key.cycle, decoded);
        }
        Ok(())
    };
    if let Err(e) = run() {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
