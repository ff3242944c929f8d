//! The real app's `spin.toml` against the repository: it loads under our strict Spin parser, every component
//! crate in `components/` is served, and each component's source is the wasm its own build command produces.

use std::collections::BTreeSet;
use std::path::Path;

use spin_app::app::{Source, TriggerTarget};
use spin_app::App;

fn repo() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn package_name(manifest: &Path) -> String {
    let text = std::fs::read_to_string(manifest).unwrap();
    let line = text.lines().find(|l| l.trim_start().starts_with("name")).expect("package name");
    line.split('"').nth(1).expect("quoted name").to_owned()
}

#[test]
fn spin_toml_serves_every_component_crate_with_its_own_build() {
    let app = App::load(&repo().join("spin.toml")).unwrap_or_else(|e| panic!("spin.toml: {}", e.message()));
    let mut built = BTreeSet::new();
    for component in app.components.values() {
        let build = component.build.as_ref().unwrap_or_else(|| panic!("{} has no [build]", component.id));
        let command = build.commands.join(" && ");
        let package = command.split(" -p ").nth(1).unwrap_or_else(|| panic!("{}: {command}", component.id)).trim();
        let Source::Local(source) = &component.source else { panic!("{}: non-local source", component.id) };
        let expected = format!("target/wasm32-wasip2/release/{}.wasm", package.replace('-', "_"));
        assert!(source.ends_with(&expected), "{}: source {} is not what `{command}` builds", component.id, source.display());
        built.insert(package.to_owned());
    }
    let crates: BTreeSet<String> = std::fs::read_dir(repo().join("components"))
        .unwrap()
        .map(|entry| entry.unwrap().path().join("Cargo.toml"))
        .filter(|manifest| manifest.is_file())
        .map(|manifest| package_name(&manifest))
        .collect();
    assert_eq!(built, crates, "components/ and spin.toml disagree");
}

#[test]
fn every_route_targets_a_declared_component() {
    let app = App::load(&repo().join("spin.toml")).unwrap();
    let routed: BTreeSet<&str> = app
        .triggers
        .iter()
        .filter_map(|t| match &t.target {
            TriggerTarget::Component(id) => Some(id.as_str()),
            TriggerTarget::Static(_) => None,
        })
        .collect();
    let declared: BTreeSet<&str> = app.components.keys().map(String::as_str).collect();
    assert_eq!(routed, declared, "a component without a route, or a route without a component");
}
