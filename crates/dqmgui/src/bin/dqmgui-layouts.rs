//! Operator command: validates a layouts folder and prints the value of the `dqmgui/layouts` key, or with
//! `--dirs` of its folder index `dqmgui/layout-dirs`. Store both, the layouts first (as `POST /api/v1/layouts`
//! does): a stale index hides the new layouts from listings.
//! `scraper-host kv set dqmgui/layouts "$(dqmgui-layouts layouts/)"`
//! `scraper-host kv set dqmgui/layout-dirs "$(dqmgui-layouts --dirs layouts/)"`

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (dirs, dir) = match args.as_slice() {
        [flag, dir] if flag == "--dirs" => (true, dir),
        [dir] if dir != "--dirs" => (false, dir),
        _ => {
            eprintln!("usage: dqmgui-layouts [--dirs] <folder of *.toml|*.json layouts>");
            return ExitCode::from(2);
        }
    };
    match dqmgui::layouts::load_dir(Path::new(dir)) {
        Ok(layouts) => {
            let (value, key) = if dirs {
                (dqmgui::layouts::encode_dirs(&layouts), dqmgui::schema::LAYOUT_DIRS_KEY)
            } else {
                (dqmgui::layouts::encode(&layouts), dqmgui::schema::LAYOUTS_KEY)
            };
            // A closed pipe (`| head`) is not an error worth a panic.
            let _ = writeln!(std::io::stdout(), "{}", String::from_utf8_lossy(&value));
            eprintln!("{} layouts; store this under {key}", layouts.len());
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("dqmgui-layouts: {message}");
            ExitCode::FAILURE
        }
    }
}
