//! Variable resolution of spin-host.md §5, with an injected environment.

use spin_app::variables::{parse_dotenv, EnvLookup, EnvProvider, Provider, Resolver, StaticProvider, VariableError};
use spin_app::{App, RuntimeConfig};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

const APP: &str = "spin_manifest_version = 2\n[application]\nname = \"v\"\n\
    [variables.token]\nrequired = true\n[variables.mode]\ndefault = \"slow\"\n[variables.host]\ndefault = \"example.com\"\n\
    [[trigger.http]]\nroute = \"/\"\ncomponent = \"c\"\n\
    [component.c]\nsource = \"c.wasm\"\nvariables = { url = \"https://{{ host }}/{{mode}}\", tok = \"{{ token }}\", fixed = \"plain\" }\n";

fn app() -> App {
    App::from_text(APP, Path::new("/app/spin.toml")).unwrap()
}

fn env(pairs: &[(&str, &str)]) -> EnvLookup {
    let map: BTreeMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Arc::new(move |k| map.get(k).cloned())
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn env_resolver(pairs: &[(&str, &str)], dotenv: &[(&str, &str)]) -> Resolver {
    Resolver::new(&app(), vec![Box::new(EnvProvider::new(None, env(pairs), map(dotenv)))])
}

#[test]
fn env_then_dotenv_then_default() {
    let r = env_resolver(&[("SPIN_VARIABLE_TOKEN", "t-env"), ("SPIN_VARIABLE_MODE", "fast")], &[("SPIN_VARIABLE_MODE", "dot")]);
    assert_eq!(r.get("c", "tok").unwrap(), "t-env");
    assert_eq!(r.get("c", "url").unwrap(), "https://example.com/fast");
    assert_eq!(r.get("c", "fixed").unwrap(), "plain");
    let r = env_resolver(&[("SPIN_VARIABLE_TOKEN", "t")], &[("SPIN_VARIABLE_MODE", "dot")]);
    assert_eq!(r.get("c", "url").unwrap(), "https://example.com/dot");
    let r = env_resolver(&[("SPIN_VARIABLE_TOKEN", "t")], &[]);
    assert_eq!(r.get("c", "url").unwrap(), "https://example.com/slow");
}

#[test]
fn providers_are_asked_in_order() {
    let r = Resolver::new(
        &app(),
        vec![
            Box::new(StaticProvider(map(&[("mode", "static")]))),
            Box::new(EnvProvider::new(None, env(&[("SPIN_VARIABLE_MODE", "env"), ("SPIN_VARIABLE_TOKEN", "t")]), map(&[]))),
        ],
    );
    assert_eq!(r.app_variable("mode").unwrap(), "static");
    assert_eq!(r.app_variable("token").unwrap(), "t");
}

#[test]
fn custom_prefix_is_joined_with_underscore() {
    let p = EnvProvider::new(Some("MYAPP"), env(&[("MYAPP_TOKEN", "x")]), map(&[]));
    assert_eq!(p.key("token"), "MYAPP_TOKEN");
    assert_eq!(p.get("token").as_deref(), Some("x"));
    assert_eq!(EnvProvider::new(None, env(&[]), map(&[])).key("api_key"), "SPIN_VARIABLE_API_KEY");
}

#[test]
fn required_check_at_startup() {
    let r = env_resolver(&[], &[]);
    assert_eq!(r.check_required().unwrap_err().message(), "no provider resolved required variable(s): [Key(\"token\")]");
    env_resolver(&[("SPIN_VARIABLE_TOKEN", "t")], &[]).check_required().unwrap();
    assert_eq!(
        r.get("c", "tok").unwrap_err(),
        VariableError::Provider("no provider resolved required variable \"token\"".into())
    );
}

#[test]
fn guest_errors() {
    let r = env_resolver(&[("SPIN_VARIABLE_TOKEN", "t")], &[]);
    assert_eq!(
        r.get("c", "Bad"),
        Err(VariableError::InvalidName(
            "\"Bad\": invalid character 'B'. Variable names may contain only lower-case letters, numbers, and underscores.".into()
        ))
    );
    assert_eq!(r.get("c", "missing").unwrap_err(), VariableError::Undefined("no variable for \"c\".\"missing\"".into()));
    assert_eq!(r.get("other", "tok").unwrap_err(), VariableError::Undefined("no variable for component \"other\"".into()));
}

#[test]
fn runtime_config_providers_come_before_env() {
    let rc = RuntimeConfig::parse(
        "[[variables_provider]]\ntype = \"static\"\nvalues = { token = \"from-static\" }\n\
         [[variables_provider]]\ntype = \"env\"\nprefix = \"OTHER\"\n",
        Path::new("/nonexistent-dir"),
    )
    .unwrap();
    let r = Resolver::from_runtime_config(&app(), &rc, env(&[("OTHER_MODE", "o"), ("SPIN_VARIABLE_MODE", "s"), ("SPIN_VARIABLE_TOKEN", "e")]))
        .unwrap();
    assert_eq!(r.app_variable("token").unwrap(), "from-static");
    assert_eq!(r.app_variable("mode").unwrap(), "o");
    r.check_required().unwrap();
    let mut r = r;
    r.prepend_provider(Box::new(StaticProvider(map(&[("token", "from-cli")]))));
    assert_eq!(r.app_variable("token").unwrap(), "from-cli", "--variable beats every provider");
}

#[test]
fn dotenv_format() {
    let got = parse_dotenv("# c\n\nA=1\nexport B = \"two words\"\nC='x'\nnot a pair\nD=a=b\n");
    assert_eq!(got, map(&[("A", "1"), ("B", "two words"), ("C", "x"), ("D", "a=b")]));
}
