//! `files` / `exclude_files` resolution (spin-host.md §1 and §7).

mod common;

use common::Scratch;
use spin_app::App;

fn app_with_files(dir: &Scratch, files: &str, exclude: &str) -> Result<Vec<(String, String)>, String> {
    let manifest = format!(
        "spin_manifest_version = 2\n[application]\nname = \"f\"\n[[trigger.http]]\nroute = \"/\"\ncomponent = \"c\"\n\
         [component.c]\nsource = \"c.wasm\"\nfiles = {files}\nexclude_files = {exclude}\n"
    );
    let path = dir.write("spin.toml", &manifest);
    let app = App::load(&path).map_err(|e| e.to_string())?;
    let mut mounts: Vec<(String, String)> = app.components["c"]
        .files
        .iter()
        .map(|m| (m.source.strip_prefix(dir.path()).unwrap().display().to_string(), m.destination.clone()))
        .collect();
    mounts.sort();
    Ok(mounts)
}

fn tree() -> Scratch {
    let dir = Scratch::new();
    dir.write("static/index.html", "i");
    dir.write("static/css/a.css", "a");
    dir.write("static/tmp.bak", "b");
    dir.write("data/one.json", "1");
    dir.write("README.md", "r");
    dir
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

#[test]
fn glob_keeps_app_relative_paths() {
    let dir = tree();
    let got = app_with_files(&dir, "[\"static/**/*\"]", "[]").unwrap();
    assert_eq!(
        got,
        pairs(&[
            ("static/css/a.css", "/static/css/a.css"),
            ("static/index.html", "/static/index.html"),
            ("static/tmp.bak", "/static/tmp.bak"),
        ])
    );
}

#[test]
fn plain_file_and_directory_paths() {
    let dir = tree();
    let got = app_with_files(&dir, "[\"README.md\", \"data\"]", "[]").unwrap();
    assert_eq!(got, pairs(&[("README.md", "/README.md"), ("data/one.json", "/data/one.json")]));
}

#[test]
fn placements_of_directory_contents_and_single_file() {
    let dir = tree();
    let got = app_with_files(
        &dir,
        "[{ source = \"static\", destination = \"/www\" }, { source = \"README.md\", destination = \"/doc/readme.txt\" }]",
        "[]",
    )
    .unwrap();
    assert_eq!(
        got,
        pairs(&[
            ("README.md", "/doc/readme.txt"),
            ("static/css/a.css", "/www/css/a.css"),
            ("static/index.html", "/www/index.html"),
            ("static/tmp.bak", "/www/tmp.bak"),
        ])
    );
}

#[test]
fn exclude_files_match_app_relative_paths() {
    let dir = tree();
    let got = app_with_files(&dir, "[\"static\"]", "[\"**/*.bak\", \"static/css/*\"]").unwrap();
    assert_eq!(got, pairs(&[("static/index.html", "/static/index.html")]));
    let e = app_with_files(&dir, "[\"static\"]", "[\"[\"]").unwrap_err();
    assert!(e.contains("Invalid exclude_files glob pattern"), "{e}");
}

#[test]
fn spin_errors_for_missing_and_outside_paths() {
    let dir = tree();
    let e = app_with_files(&dir, "[\"nope.txt\"]", "[]").unwrap_err();
    assert!(e.contains("\"nope.txt\" does not exist and doesn't appear to be a glob pattern"), "{e}");
    let e = app_with_files(&dir, "[{ source = \"gone\", destination = \"/g\" }]", "[]").unwrap_err();
    assert!(e.contains("File or directory \"gone\" does not exist"), "{e}");
    let outside = Scratch::new();
    outside.write("secret.txt", "s");
    let rel = format!("../{}/secret.txt", outside.path().file_name().unwrap().to_string_lossy());
    let e = app_with_files(&dir, &format!("[\"{rel}\"]"), "[]").unwrap_err();
    assert!(e.contains("cannot be mapped because it is outside the application directory"), "{e}");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).unwrap();
        let e = app_with_files(&dir, "[\"link\"]", "[]").unwrap_err();
        assert!(e.contains("outside the application directory"), "{e}");
    }
}

#[test]
fn placement_destination_cannot_climb_out() {
    let dir = tree();
    let e = app_with_files(&dir, "[{ source = \"README.md\", destination = \"/../etc/passwd\" }]", "[]").unwrap_err();
    assert!(e.contains("must stay inside the guest's `/`"), "{e}");
}

#[test]
fn a_glob_matching_nothing_is_fine() {
    let dir = tree();
    assert_eq!(app_with_files(&dir, "[\"nothing/*.txt\"]", "[]").unwrap(), vec![]);
}
