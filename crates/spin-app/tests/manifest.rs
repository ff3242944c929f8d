//! Manifest v2 rules of spin-host.md §1: strict keys, version, IDs, variables, sources, triggers, normalisation.


use spin_app::app::{Executor, Route, Source, StaticResponse, TriggerTarget};
use spin_app::{App, RuntimeConfig};
use std::path::Path;

const HEAD: &str = "spin_manifest_version = 2\n[application]\nname = \"demo\"\n";

fn load(body: &str) -> Result<App, String> {
    App::from_text(&format!("{HEAD}{body}"), Path::new("/srv/app/spin.toml")).map_err(|e| e.to_string())
}

fn err(body: &str) -> String {
    load(body).expect_err("manifest should be rejected")
}

fn assert_err(body: &str, expected: &str) {
    let e = err(body);
    assert!(e.contains(expected), "error {e:?} should contain {expected:?}");
}

const SIMPLE: &str = "[[trigger.http]]\nroute = \"/...\"\ncomponent = \"web\"\n[component.web]\nsource = \"web.wasm\"\n";

#[test]
fn loads_a_simple_app() {
    let app = load(SIMPLE).unwrap();
    assert_eq!(app.name, "demo");
    assert_eq!(app.app_dir, Path::new("/srv/app"));
    let web = app.component("web").unwrap();
    assert_eq!(web.source, Source::Local("/srv/app/web.wasm".into()));
    assert_eq!(app.triggers.len(), 1);
    let t = &app.triggers[0];
    assert_eq!(t.id, "web-http-trigger");
    assert_eq!(t.route, Route::Path("/...".into()));
    assert_eq!(t.target, TriggerTarget::Component("web".into()));
    assert_eq!(t.executor, Executor::Http);
}

#[test]
fn version_detection() {
    let e = App::from_text("spin_manifest_version = \"1\"\nname = \"x\"\n", Path::new("/a/spin.toml")).unwrap_err();
    assert!(e.message().contains("only takes `spin_manifest_version = 2`"), "{e}");
    let e = App::from_text("spin_manifest_version = 3\n", Path::new("/a/spin.toml")).unwrap_err();
    assert_eq!(e.message(), "invalid manifest version: 3");
    let e = App::from_text("[application]\nname = \"x\"\n", Path::new("/a/spin.toml")).unwrap_err();
    assert!(e.message().starts_with("invalid manifest version"), "{e}");
}

#[test]
fn unknown_keys_are_rejected_in_every_table() {
    let cases = [
        format!("bogus = 1\n{SIMPLE}"),
        SIMPLE.replace("[[trigger.http]]\n", "[[trigger.http]]\nbogus = 1\n"),
        format!("{SIMPLE}bogus = 1\n"),
        format!("{SIMPLE}[component.web.build]\ncommand = \"make\"\nbogus = 1\n"),
        format!("{SIMPLE}[variables.v]\ndefault = \"x\"\nbogus = 1\n"),
        format!("{SIMPLE}files = [{{ source = \"a\", destination = \"/a\", bogus = 1 }}]\n"),
        "[[trigger.http]]\nroute = \"/\"\nstatic_response = { body = \"x\", bogus = 1 }\n".to_string(),
        SIMPLE.replace("component = \"web\"", "component = \"web\"\nexecutor = { type = \"http\", bogus = 1 }"),
        "[[trigger.http]]\nroute = \"/\"\ncomponent = { source = \"x.wasm\", bogus = 1 }\n".to_string(),
        SIMPLE.replace("route = \"/...\"", "route = { private = true, bogus = 1 }"),
    ];
    for body in cases {
        let e = load(&body).expect_err(&body);
        assert!(e.contains("unknown field `bogus`"), "{body}\n=> {e}");
    }
    let e = App::from_text(
        &format!("spin_manifest_version = 2\n[application]\nname = \"d\"\nbogus = 1\n{SIMPLE}"),
        Path::new("/a/spin.toml"),
    )
    .unwrap_err();
    assert!(e.message().contains("unknown field `bogus`"), "{e}");
}

#[test]
fn component_id_rules_use_spin_texts() {
    assert_err(&SIMPLE.replace("web", "my_web"), "words must be separated with '-', not '_'");
    assert_err(&SIMPLE.replace("web", "Web"), "must be all lowercase or all UPPERCASE");
    assert_err(&SIMPLE.replace("web", "9web"), "must start with an ASCII letter or digit; got '9'");
}

#[test]
fn variables_required_xor_default_and_names() {
    assert_err(&format!("{SIMPLE}[variables.v]\nrequired = true\ndefault = \"x\"\n"), "must be `required` OR have a `default`");
    assert_err(&format!("{SIMPLE}[variables.v]\ndescription = \"d\"\n"), "must be `required` OR have a `default`");
    assert_err(&format!("{SIMPLE}[variables.BAD]\ndefault = \"x\"\n"), "Lower-case identifiers must be all lowercase");
    assert_err(&format!("{SIMPLE}[variables.a__b]\ndefault = \"x\"\n"), "words must not be empty");
    let app = load(&format!("{SIMPLE}[variables.token]\nrequired = true\nsecret = true\n[variables.mode]\ndefault = \"fast\"\n")).unwrap();
    assert!(app.variables["token"].required && app.variables["token"].secret);
    assert_eq!(app.variables["mode"].default.as_deref(), Some("fast"));
}

#[test]
fn three_source_forms() {
    let url = SIMPLE.replace("\"web.wasm\"", "{ url = \"https://x/y.wasm\", digest = \"sha256:abc\" }");
    assert_eq!(
        load(&url).unwrap().component("web").unwrap().source,
        Source::Url { url: "https://x/y.wasm".into(), digest: "sha256:abc".into() }
    );
    assert_err(&url.replace("sha256:abc", "md5:abc"), "must start with 'sha256:'");
    let reg = SIMPLE.replace("\"web.wasm\"", "{ registry = \"ghcr.io\", package = \"a:b\", version = \"1.2.3\" }");
    assert_eq!(
        load(&reg).unwrap().component("web").unwrap().source,
        Source::Registry { registry: Some("ghcr.io".into()), package: "a:b".into(), version: "1.2.3".into() }
    );
    assert_err(&reg.replace("1.2.3", "^1.2"), "exact semver version");
    assert_err(&SIMPLE.replace("\"web.wasm\"", "{ url = \"u\", digest = \"sha256:x\", extra = 1 }"), "unknown field `extra`");
    assert_err(&SIMPLE.replace("\"web.wasm\"", "{ package = \"a:b\" }"), "missing field `version`");
    assert_err(&SIMPLE.replace("\"web.wasm\"", "42"), "expected a path or a table");
}

#[test]
fn trigger_needs_exactly_one_target() {
    assert_err("[[trigger.http]]\nid = \"t\"\nroute = \"/\"\n", "Triggers must specify either component or static_response - t has neither");
    assert_err(
        &SIMPLE.replace("component = \"web\"", "id = \"t\"\ncomponent = \"web\"\nstatic_response = { body = \"x\" }"),
        "Triggers must specify either component or static_response - t has both",
    );
    assert_err("[component.web]\nsource = \"w.wasm\"\n", "No triggers in app");
    assert_err(&SIMPLE.replace("component = \"web\"", "component = \"nope\""), "no such component \"nope\"");
    assert_err(&SIMPLE.replace("component = \"web\"", "component = \"my_web\""), "words must be separated with '-', not '_'");
    assert_err(&SIMPLE.replace("route = \"/...\"", "route = { private = false }"), "has { private = false }");
    assert_err(&SIMPLE.replace("trigger.http", "trigger.redis"), "trigger type \"redis\" is not supported");
}

#[test]
fn static_response_private_route_and_executors() {
    let body = "[[trigger.http]]\nroute = \"/s\"\nstatic_response = { status_code = 404, headers = { x-a = \"1\" }, body = \"nope\" }\n\
                [[trigger.http]]\nroute = \"/d\"\nstatic_response = {}\n\
                [[trigger.http]]\nroute = { private = true }\ncomponent = \"web\"\nexecutor = { type = \"spin\" }\n\
                [[trigger.http]]\nroute = \"/w\"\ncomponent = \"web\"\nexecutor = { type = \"wagi\", argv = \"a b\" }\n\
                [component.web]\nsource = \"web.wasm\"\n";
    let app = load(body).unwrap();
    let TriggerTarget::Static(s) = &app.triggers[0].target else { panic!("static") };
    assert_eq!(s.status_code, 404);
    assert_eq!(s.headers["x-a"], "1");
    assert_eq!(app.triggers[1].target, TriggerTarget::Static(StaticResponse { status_code: 200, headers: Default::default(), body: None }));
    assert_eq!(app.triggers[2].route, Route::Private);
    assert_eq!(app.triggers[2].executor, Executor::Http);
    assert_eq!(app.triggers[3].executor, Executor::Wagi { argv: Some("a b".into()), entrypoint: None });
}

#[test]
fn automatic_trigger_and_inline_component_ids() {
    let body = "[[trigger.http]]\nroute = \"/a\"\ncomponent = \"web\"\n\
                [[trigger.http]]\nroute = \"/b\"\ncomponent = \"web\"\n\
                [[trigger.http]]\nroute = \"/c\"\ncomponent = { source = \"c.wasm\" }\n\
                [[trigger.http]]\nid = \"named\"\nroute = \"/d\"\ncomponent = { source = \"d.wasm\" }\n\
                [component.web]\nsource = \"web.wasm\"\n";
    let app = load(body).unwrap();
    let ids: Vec<&str> = app.triggers.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["web-http-trigger", "http-trigger1", "http-trigger2", "named"]);
    assert_eq!(app.triggers[2].target, TriggerTarget::Component("http-trigger2-component".into()));
    assert_eq!(app.triggers[3].target, TriggerTarget::Component("named-component".into()));
    assert_eq!(app.component("named-component").unwrap().source, Source::Local("/srv/app/d.wasm".into()));
    // A trigger ID that is not kebab-case cannot name its component: fall back to inline-component<N>.
    let app = load("[[trigger.http]]\nid = \"my_t\"\nroute = \"/\"\ncomponent = { source = \"x.wasm\" }\n").unwrap();
    assert_eq!(app.triggers[0].target, TriggerTarget::Component("inline-component1".into()));
}

#[test]
fn base_field() {
    let app = App::from_text(
        &format!("spin_manifest_version = 2\n[application]\nname = \"d\"\n[application.trigger.http]\nbase = \"/\"\n{SIMPLE}"),
        Path::new("/a/spin.toml"),
    )
    .unwrap();
    assert_eq!(app.warnings.len(), 1);
    assert!(app.warnings[0].starts_with("This application has the deprecated trigger 'base' set to the default value '/'."));
    let e = App::from_text(
        &format!("spin_manifest_version = 2\n[application]\nname = \"d\"\n[application.trigger.http]\nbase = \"/api\"\n{SIMPLE}"),
        Path::new("/a/spin.toml"),
    )
    .unwrap_err();
    assert!(e.message().starts_with("This application is using the deprecated trigger 'base' field."), "{e}");
}

#[test]
fn component_variable_templates() {
    let vars = "[variables.host]\ndefault = \"example.com\"\n";
    let app = load(&format!("{vars}{SIMPLE}variables = {{ url = \"https://{{{{ host }}}}/x\" }}\n")).unwrap();
    assert_eq!(app.component("web").unwrap().variables["url"].variables().collect::<Vec<_>>(), ["host"]);
    assert_err(
        &format!("{vars}{SIMPLE}variables = {{ url = \"{{{{ nope }}}}\" }}\n"),
        "invalid variable template: unknown variable \"nope\"",
    );
    assert_err(&format!("{vars}{SIMPLE}variables = {{ url = \"{{{{ host\" }}\n"), "unmatched '{{' in template");
    assert_err(&format!("{vars}{SIMPLE}variables = {{ Url = \"x\" }}\n"), "invalid variable name \"Url\"");
}

#[test]
fn environment_outbound_kv_and_build() {
    let body = format!(
        "{SIMPLE}environment = {{ A = \"1\" }}\nallowed_outbound_hosts = [\"https://example.com\", \"redis://{{{{ h }}}}\"]\n\
         key_value_stores = [\"default\", \"cache\"]\n[component.web.build]\ncommand = [\"cargo build\", \"cp a b\"]\nworkdir = \"web\"\nwatch = [\"src/**/*.rs\"]\n\
         [variables.h]\ndefault = \"localhost\"\n"
    );
    let app = load(&body).unwrap();
    let web = app.component("web").unwrap();
    assert_eq!(web.environment["A"], "1");
    assert_eq!(web.allowed_outbound_hosts.len(), 2);
    let build = web.build.as_ref().unwrap();
    assert_eq!(build.commands, ["cargo build", "cp a b"]);
    assert_eq!(build.workdir, Path::new("/srv/app/web"));
    assert_eq!(build.watch, ["src/**/*.rs"]);

    let e = app.check_key_value_stores(&RuntimeConfig::default()).unwrap_err();
    assert_eq!(e.message(), "unknown key_value_stores label \"cache\" for component \"web\"");
    let rc = RuntimeConfig::parse("[key_value_store.cache]\ntype = \"spin\"\n", Path::new("/rc")).unwrap();
    app.check_key_value_stores(&rc).unwrap();

    let single = load(&format!("{SIMPLE}[component.web.build]\ncommand = \"make\"\n")).unwrap();
    let build = single.component("web").unwrap().build.clone().unwrap();
    assert_eq!((build.commands, build.workdir), (vec!["make".to_string()], "/srv/app".into()));

    assert_err(&format!("{SIMPLE}key_value_stores = [\"bad label\"]\n"), "expected kebab-case or snake_case");
    assert_err(&format!("{SIMPLE}allowed_outbound_hosts = [\"example.com\"]\n"), "`allowed_outbound_hosts` is malformed");
    assert_err(&format!("{SIMPLE}allowed_outbound_hosts = [\"insecure:allow-all\"]\n"), "`allowed_outbound_hosts` is malformed");
    assert_err(&format!("{SIMPLE}allowed_http_hosts = [\"example.com\"]\n"), "allowed_http_hosts");
}
