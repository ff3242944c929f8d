//! Operator command: validates a layouts folder and prints the value of the `dqmgui/layouts` key, e.g.
//! `scraper-host kv set dqmgui/layouts "$(dqmgui-layouts layouts/)"`.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir] = args.as_slice() else {
        eprintln!("usage: dqmgui-layouts <folder of *.toml|*.json layouts>");
        return ExitCode::from(2);
    };
    match dqmgui::layouts::load_dir(Path::new(dir)) {
        Ok(layouts) => {
            // A closed pipe (`| head`) is not an error worth a panic.
            let _ = writeln!(std::io::stdout(), "{}", String::from_utf8_lossy(&dqmgui::layouts::encode(&layouts)));
            eprintln!("{} layouts; store them under {}", layouts.len(), dqmgui::schema::LAYOUTS_KEY);
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("dqmgui-layouts: {message}");
            ExitCode::FAILURE
        }
    }
}
