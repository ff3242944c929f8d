//! Runtime-config rules of spin-host.md §4 and §9.

use spin_app::runtime_config::{state_dir, KvBackend, KvStoreConfig, StateDir, VariablesProviderConfig};
use spin_app::RuntimeConfig;
use std::path::Path;

fn parse(text: &str) -> Result<RuntimeConfig, String> {
    RuntimeConfig::parse(text, Path::new("/etc/app")).map_err(|e| e.to_string())
}

#[test]
fn kv_store_types() {
    let rc = parse(
        "[key_value_store.default]\ntype = \"redis\"\nurl = \"redis://localhost:6379\"\n\
         [key_value_store.files]\ntype = \"spin\"\npath = \"data/kv.db\"\nignored_key = 1\n\
         [key_value_store.mem]\ntype = \"spin\"\n\
         [key_value_store.cloud]\ntype = \"azure_cosmos\"\naccount = \"a\"\n",
    )
    .unwrap();
    assert_eq!(rc.key_value_stores["files"], KvStoreConfig::Spin { path: Some("/etc/app/data/kv.db".into()) });
    assert_eq!(rc.kv_backend("default", Some(Path::new("/s"))).unwrap(), Some(KvBackend::Redis("redis://localhost:6379".into())));
    assert_eq!(rc.kv_backend("files", None).unwrap(), Some(KvBackend::Sqlite("/etc/app/data/kv.db".into())));
    assert_eq!(rc.kv_backend("mem", None).unwrap(), Some(KvBackend::Memory), "no path means in-memory");
    assert_eq!(rc.kv_backend("nope", None).unwrap(), None);
    let e = rc.kv_backend("cloud", None).unwrap_err();
    assert!(e.message().contains("\"azure_cosmos\" is not supported"), "{e}");
}

#[test]
fn default_always_exists() {
    let rc = RuntimeConfig::default();
    assert_eq!(
        rc.kv_backend("default", Some(Path::new("/app/.spin"))).unwrap(),
        Some(KvBackend::Sqlite("/app/.spin/sqlite_key_value.db".into()))
    );
    assert_eq!(rc.kv_backend("default", None).unwrap(), Some(KvBackend::Memory));
    let all = parse("[key_value_store.extra]\ntype = \"spin\"\n").unwrap().kv_backends(None).unwrap();
    assert_eq!(all.keys().collect::<Vec<_>>(), ["default", "extra"]);
}

#[test]
fn unknown_top_level_keys_fail() {
    assert_eq!(parse("bogus = 1\nother = 2\n").unwrap_err(), "unused runtime config key(s): bogus, other");
    parse("[outbound_networking]\nblock_networks = []\n[sqlite_database.default]\ntype = \"spin\"\n").unwrap();
}

#[test]
fn bad_store_tables() {
    assert!(parse("[key_value_store.x]\npath = \"a\"\n").unwrap_err().contains("missing field `type`"));
    assert!(parse("[key_value_store.x]\ntype = \"redis\"\n").unwrap_err().contains("missing field `url`"));
    assert!(parse("[key_value_store.x]\ntype = \"nosuch\"\n").unwrap_err().contains("unknown key_value_store type"));
    assert!(parse("key_value_store = 3\n").unwrap_err().contains("must be a table"));
}

#[test]
fn providers_state_dir_and_memory() {
    let rc = parse(
        "state_dir = \"state\"\nmax_instance_memory = 10485760\n\
         [[variables_provider]]\ntype = \"env\"\nprefix = \"P\"\ndotenv_path = \"x.env\"\n\
         [[variables_provider]]\ntype = \"vault\"\nurl = \"u\"\n\
         [[variables_provider]]\ntype = \"static\"\nvalues = { a = \"1\" }\n",
    )
    .unwrap();
    assert_eq!(rc.state_dir, Some(StateDir::Path(std::env::current_dir().unwrap().join("state"))), "relative to the cwd, as in Spin");
    assert_eq!(rc.max_instance_memory, Some(10_485_760));
    assert_eq!(
        rc.variables_providers[0],
        VariablesProviderConfig::Env { prefix: Some("P".into()), dotenv_path: Some("/etc/app/x.env".into()) }
    );
    assert_eq!(rc.variables_providers[1], VariablesProviderConfig::Unsupported { kind: "vault".into() });
    assert!(matches!(&rc.variables_providers[2], VariablesProviderConfig::Static { values } if values["a"] == "1"));
    assert!(parse("max_instance_memory = -1\n").is_err());
    assert_eq!(parse("state_dir = \"\"\n").unwrap().state_dir, Some(StateDir::Unset));
}

#[test]
fn config_provider_is_the_legacy_spelling() {
    let legacy = parse("[[config_provider]]\ntype = \"env\"\n").unwrap();
    assert_eq!(legacy.variables_providers, [VariablesProviderConfig::Env { prefix: None, dotenv_path: None }]);
    let both = "[[variables_provider]]\ntype = \"env\"\n[[config_provider]]\ntype = \"env\"\n";
    assert_eq!(parse(both).unwrap_err(), "unused runtime config key(s): config_provider");
}

#[test]
fn state_dir_precedence() {
    let app_dir = Path::new("/app");
    let none = RuntimeConfig::default();
    let with = parse("state_dir = \"/rc-state\"\n").unwrap();
    let unset = parse("state_dir = \"\"\n").unwrap();
    assert_eq!(state_dir(None, &unset, app_dir), None);
    assert_eq!(state_dir(None, &none, app_dir), Some("/app/.spin".into()));
    assert_eq!(state_dir(None, &with, app_dir), Some("/rc-state".into()));
    assert_eq!(state_dir(Some("/cli"), &with, app_dir), Some("/cli".into()));
    assert_eq!(state_dir(Some("rel"), &none, app_dir), Some(std::env::current_dir().unwrap().join("rel")));
    assert_eq!(state_dir(Some(""), &with, app_dir), None, "an empty --state-dir unsets it");
}

#[test]
fn load_resolves_against_the_file_dir() {
    let dir = std::env::temp_dir().join(format!("spin-app-rc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("runtime-config.toml");
    std::fs::write(&file, "[key_value_store.default]\ntype = \"spin\"\npath = \"kv.db\"\n").unwrap();
    let rc = RuntimeConfig::load(&file).unwrap();
    assert_eq!(rc.kv_backend("default", None).unwrap(), Some(KvBackend::Sqlite(dir.join("kv.db"))));
    std::fs::write(&file, "nope = 1\n").unwrap();
    assert!(RuntimeConfig::load(&file).unwrap_err().message().contains("unused runtime config key(s): nope"));
    std::fs::remove_dir_all(&dir).unwrap();
}
