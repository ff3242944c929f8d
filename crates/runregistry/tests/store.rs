//! Event store behaviour: precedence, revert, audit trail, run moves, concurrency.

mod common;

use common::*;
use kv_api::{KvStore, MemoryStore};
use runregistry::history::{lumisection_history, revert, run_with_history};
use runregistry::runs::{edit_rr_lumisections, manual_run_edit, move_run, RangeEdit};
use runregistry::{Actor, Event, LsChange, Registry, Target, ONLINE};
use serde_json::{json, Value};

fn set_dt(registry: &Registry, actor: &Actor, status: &str) -> i64 {
    let mut event = Event::new(Target::RrLs, 1, ONLINE);
    event.ranges = vec![LsChange {
        start: 1,
        end: 10,
        values: obj(json!({"dt-dt": {"status": status, "comment": "", "cause": ""}})),
    }];
    registry
        .record(actor, "test", vec![event])
        .unwrap()
        .atomic_version
}

fn dt_status(registry: &Registry, ls: u32) -> Value {
    let dataset = registry.dataset(1, ONLINE).unwrap().unwrap();
    dataset.rr_lumisections()[ls as usize - 1]["dt-dt"]["status"].clone()
}

fn seeded() -> MemoryStore {
    let store = MemoryStore::new();
    seed(
        &store,
        vec![run_input(1, rr_ls(10, "dt-dt", "NOTSET"), oms_ls(10))],
    );
    store
}

#[test]
fn manual_changes_beat_later_automatic_ones_and_revert_compensates() {
    let store = seeded();
    let registry = Registry::new(&store);
    let expert = Actor::user("expert@cern.ch");
    set_dt(&registry, &Actor::service(), "GOOD");
    let manual = set_dt(&registry, &expert, "BAD");
    set_dt(&registry, &Actor::service(), "GOOD");
    assert_eq!(dt_status(&registry, 5), json!("BAD"));

    let keys_before = store.get_keys().unwrap();
    let history_before = lumisection_history(&registry, Target::RrLs, 1, ONLINE)
        .unwrap()
        .as_array()
        .unwrap()
        .len();
    let reverter = Actor::user("reverter@cern.ch");
    let outcome = revert(&registry, &reverter, manual, "wrong run").unwrap();
    assert_eq!(outcome["reverted"], json!(manual));
    assert_eq!(outcome["events"], json!(1));
    assert_eq!(dt_status(&registry, 5), json!("GOOD"));

    let new_version = registry
        .version(outcome["atomic_version"].as_i64().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(new_version.by, "reverter@cern.ch");
    assert_eq!(
        new_version.comment,
        format!("revert of version {manual}: wrong run")
    );
    let history = lumisection_history(&registry, Target::RrLs, 1, ONLINE).unwrap();
    assert_eq!(history.as_array().unwrap().len(), history_before + 1);
    // Nothing was deleted: every key is still there, the manual BAD event still in the trail.
    let keys_after = store.get_keys().unwrap();
    assert!(keys_before.iter().all(|k| keys_after.contains(k)));
    assert!(history
        .as_array()
        .unwrap()
        .iter()
        .any(|row| row["jsonb"]["dt-dt"]["status"] == json!("BAD")));

    // Reverting the revert brings BAD back.
    revert(&registry, &reverter, new_version.atomic_version, "undo").unwrap();
    assert_eq!(dt_status(&registry, 5), json!("BAD"));
    assert_eq!(
        revert(&registry, &reverter, 9999, "x").unwrap_err().status,
        404
    );
    assert_eq!(
        revert(&registry, &reverter, manual, " ")
            .unwrap_err()
            .status,
        400
    );
}

#[test]
fn reverting_a_version_that_no_longer_matters_records_an_empty_version() {
    let store = seeded();
    let registry = Registry::new(&store);
    let first = set_dt(&registry, &Actor::user("a@cern.ch"), "BAD");
    set_dt(&registry, &Actor::user("b@cern.ch"), "GOOD");
    let outcome = revert(
        &registry,
        &Actor::user("c@cern.ch"),
        first,
        "superseded anyway",
    )
    .unwrap();
    assert_eq!(outcome["events"], json!(0));
    assert_eq!(dt_status(&registry, 1), json!("GOOD"));
}

#[test]
fn revert_of_a_run_attribute_restores_the_old_value() {
    let store = seeded();
    let registry = Registry::new(&store);
    let expert = Actor::user("expert@cern.ch");
    let edited = manual_run_edit(
        &registry,
        &expert,
        1,
        "class",
        &json!({"class": "Cosmics18"}),
        None,
    )
    .unwrap();
    assert_eq!(edited["rr_attributes"]["class"], json!("Cosmics18"));
    revert(
        &registry,
        &expert,
        edited["atomic_version"].as_i64().unwrap(),
        "mistake",
    )
    .unwrap();
    assert_eq!(
        registry.run(1).unwrap().unwrap().rr_attributes["class"],
        json!("Collisions18")
    );
    let history = run_with_history(&registry, 1).unwrap();
    let classes: Vec<&Value> = history
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|row| row.get("class"))
        .collect();
    assert_eq!(
        classes,
        vec![
            &json!("Collisions18"),
            &json!("Cosmics18"),
            &json!("Collisions18")
        ]
    );
    assert_eq!(history[1]["by"], json!("expert@cern.ch"));
    // Only :attribute is applied, whatever else the body says.
    let edited = manual_run_edit(
        &registry,
        &expert,
        1,
        "stop_reason",
        &json!({"stop_reason": "beam dump", "class": "X"}),
        None,
    )
    .unwrap();
    assert_eq!(edited["rr_attributes"]["class"], json!("Collisions18"));
    assert_eq!(
        manual_run_edit(&registry, &expert, 1, "state", &json!("COMPLETED"), None)
            .unwrap_err()
            .status,
        400
    );
}

#[test]
fn audit_trail_lists_every_change_in_order_with_ranges() {
    let store = seeded();
    let registry = Registry::new(&store);
    let expert = Actor::user("expert@cern.ch");
    let edit = |start, end, status: &str, comment: &str| RangeEdit {
        start,
        end,
        status: json!(status),
        comment: comment.into(),
        cause: String::new(),
    };
    edit_rr_lumisections(
        &registry,
        &expert,
        1,
        ONLINE,
        "dt-dt",
        &edit(3, 4, "BAD", "HV trip"),
        Some("seen in the shift"),
    )
    .unwrap();
    let second = edit_rr_lumisections(
        &registry,
        &expert,
        1,
        ONLINE,
        "dt-dt",
        &edit(1, 10, "GOOD", ""),
        None,
    )
    .unwrap();
    // Only LS whose triplet changed are emitted: 1-10 GOOD over NOTSET,BAD is all ten, as one range.
    assert_eq!(
        second["ranges"],
        json!([{"start": 1, "end": 10, "dt-dt": {"status": "GOOD", "comment": "", "cause": ""}}])
    );
    let third = edit_rr_lumisections(
        &registry,
        &expert,
        1,
        ONLINE,
        "dt-dt",
        &edit(2, 6, "GOOD", ""),
        None,
    )
    .unwrap();
    assert_eq!(third["ranges"], json!([]));
    let rows = lumisection_history(&registry, Target::RrLs, 1, ONLINE).unwrap();
    let summary: Vec<(bool, Value, Value, Value)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["manual_change"].as_bool().unwrap(),
                r["start"].clone(),
                r["end"].clone(),
                r["jsonb"]["dt-dt"]["status"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (false, json!(1), json!(10), json!("NOTSET")),
            (true, json!(3), json!(4), json!("BAD")),
            (true, json!(1), json!(10), json!("GOOD")),
        ]
    );
    assert_eq!(
        rows[1]["comment"],
        json!("seen in the shift (edit of dt-dt in lumisections 3-4 of run 1 online)")
    );
    let versions = registry.versions_page(0, 2).unwrap();
    assert_eq!(versions["count"], json!(4));
    assert_eq!(versions["pages"], json!(2));
    let listed: Vec<i64> = versions["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["atomic_version"].as_i64().unwrap())
        .collect();
    assert_eq!(listed, vec![4, 3]);
    let bad = edit_rr_lumisections(
        &registry,
        &expert,
        1,
        ONLINE,
        "dt-dt",
        &edit(1, 1, "BAD", "no"),
        None,
    )
    .unwrap_err();
    assert_eq!((bad.status, bad.body.get("err").is_some()), (400, true));
}

fn certified_run(store: &MemoryStore, status_at_5: &str) {
    let mut lumisections = Vec::new();
    for ls in 1..=10 {
        let mut row = serde_json::Map::new();
        for component in runregistry::model::CERTIFIABLE_ONLINE {
            let status = if ls == 5 && *component == "hlt-hlt" {
                status_at_5
            } else {
                "GOOD"
            };
            row.insert(
                component.to_string(),
                json!({"status": status, "comment": "", "cause": ""}),
            );
        }
        lumisections.push(row);
    }
    seed(store, vec![run_input(7, lumisections, oms_ls(10))]);
}

#[test]
fn a_run_with_an_uncertified_ls_cannot_be_signed_off() {
    let store = MemoryStore::new();
    certified_run(&store, "NO VALUE FOUND");
    let registry = Registry::new(&store);
    let expert = Actor::user("expert@cern.ch");
    let err = move_run(&registry, &expert, 7, "OPEN", "SIGNOFF", &[], None).unwrap_err();
    assert_eq!(err.status, 400);
    assert!(
        err.message().starts_with(
            "There is a NO VALUE FOUND lumisection at position 5 of this run in component hlt-hlt."
        ),
        "{err}"
    );
    let err = move_run(&registry, &expert, 7, "SIGNOFF", "COMPLETED", &[], None).unwrap_err();
    assert_eq!(err.status, 409);
}

#[test]
fn signing_off_creates_offline_datasets_waiting_for_the_gui() {
    let store = MemoryStore::new();
    certified_run(&store, "GOOD");
    let registry = Registry::new(&store);
    let expert = Actor::user("expert@cern.ch");
    let name = "/PromptReco/Collisions2018A/DQM".to_string();
    move_run(
        &registry,
        &expert,
        7,
        "OPEN",
        "SIGNOFF",
        std::slice::from_ref(&name),
        None,
    )
    .unwrap();
    assert_eq!(
        registry.run(7).unwrap().unwrap().rr_attributes["state"],
        json!("SIGNOFF")
    );
    let offline = registry.dataset(7, &name).unwrap().unwrap();
    assert_eq!(
        offline.dataset_attributes["global_state"],
        json!("waiting dqm gui")
    );
    assert_eq!(
        offline.rr_lumisections()[4]["hlt-hlt"]["status"],
        json!("GOOD")
    );
    // OMS LS come from online.
    assert_eq!(offline.oms_lumisections()[0]["cms_active"], json!(true));
    assert_eq!(
        registry.dataset_names(7).unwrap(),
        vec![ONLINE.to_string(), name]
    );
    assert_eq!(
        move_run(&registry, &expert, 7, "SIGNOFF", "SIGNOFF", &[], None)
            .unwrap_err()
            .status,
        400
    );
    // Online LS are frozen once signed off; an automatic RR change is refused and flags the run.
    let edit = RangeEdit {
        start: 1,
        end: 1,
        status: json!("BAD"),
        comment: "late".into(),
        cause: String::new(),
    };
    assert_eq!(
        edit_rr_lumisections(&registry, &expert, 7, ONLINE, "hlt-hlt", &edit, None)
            .unwrap_err()
            .status,
        400
    );
    let mut update = run_input(7, rr_ls(10, "hlt-hlt", "BAD"), vec![]);
    update.rr_attributes.clear();
    let err = runregistry::runs::automatic_run_update(
        &registry,
        &Actor::service(),
        update.clone(),
        "cron",
    )
    .unwrap_err();
    assert_eq!(
        (err.status, err.body["message"].clone()),
        (409, json!("run 7 needs a manual update"))
    );
    assert_eq!(
        registry.run(7).unwrap().unwrap().rr_attributes["run_needs_to_be_updated_manually"],
        json!(true)
    );
    // Once flagged, the change goes through.
    assert!(
        runregistry::runs::automatic_run_update(&registry, &Actor::service(), update, "cron")
            .unwrap()
            .is_some()
    );
}

#[test]
fn automatic_no_op_updates_write_nothing() {
    let store = seeded();
    let registry = Registry::new(&store);
    let before = registry.latest_version().unwrap();
    let same = run_input(1, rr_ls(10, "dt-dt", "NOTSET"), oms_ls(10));
    assert_eq!(
        runregistry::runs::automatic_run_update(&registry, &Actor::service(), same, "cron")
            .unwrap(),
        None
    );
    assert_eq!(registry.latest_version().unwrap(), before);
    let shorter = run_input(1, rr_ls(9, "dt-dt", "NOTSET"), vec![]);
    assert_eq!(
        runregistry::ingest::ingest(&registry, &Actor::service(), "x", vec![shorter])
            .unwrap_err()
            .message(),
        "Lumisections cannot be deleted"
    );
}

#[test]
fn concurrent_writers_lose_no_event() {
    let store = seeded();
    let (threads, per_thread) = (8u32, 12u32);
    std::thread::scope(|scope| {
        for t in 0..threads {
            let store = &store;
            scope.spawn(move || {
                let registry = Registry::new(store);
                let actor = Actor::user(&format!("writer{t}@cern.ch"));
                for i in 0..per_thread {
                    let mut event = Event::new(Target::RrLs, 1, ONLINE);
                    let ls = t * per_thread + i + 1;
                    event.ranges = vec![LsChange { start: ls, end: ls, values: obj(json!({"dt-dt": {"status": "BAD", "comment": format!("w{t}"), "cause": ""}})) }];
                    registry.record(&actor, "concurrent", vec![event]).unwrap();
                }
            });
        }
    });
    let registry = Registry::new(&store);
    let total = (threads * per_thread) as usize;
    assert_eq!(registry.latest_version().unwrap() as usize, total + 1);
    assert_eq!(
        registry
            .entity_events(Target::RrLs, 1, ONLINE)
            .unwrap()
            .len(),
        total + 1
    );
    let dataset = registry.dataset(1, ONLINE).unwrap().unwrap();
    let bad = dataset
        .rr_lumisections()
        .iter()
        .filter(|ls| ls["dt-dt"]["status"] == json!("BAD"))
        .count();
    assert_eq!(bad, total);
    assert_eq!(dataset, registry.fold_dataset(1, ONLINE).unwrap());
}

#[test]
fn the_real_oms_lumisections_ingest_with_their_summary() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/runregistry/oms_lumisections_run328645.json"
    );
    let oms: Vec<serde_json::Map<String, Value>> =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let store = MemoryStore::new();
    let mut stable = oms.clone();
    for key in [
        "beam1_present",
        "beam2_present",
        "beam1_stable",
        "beam2_stable",
    ] {
        stable[40].insert(key.into(), json!(true));
    }
    seed(
        &store,
        vec![
            run_input(328645, rr_ls(94, "dt-dt", "GOOD"), oms),
            run_input(328646, vec![], stable),
        ],
    );
    let registry = Registry::new(&store);
    let run = registry.run(328645).unwrap().unwrap();
    assert_eq!(run.oms_attributes["ls_duration"], json!(94));
    assert_eq!(run.oms_attributes["beams_present_and_stable"], json!(false));
    assert_eq!(
        registry.run(328646).unwrap().unwrap().oms_attributes["beams_present_and_stable"],
        json!(true)
    );
    let cache = registry.cache(328645, ONLINE).unwrap().unwrap();
    assert_eq!(
        cache["dcs_summary"]["cms_active"],
        json!({"TRUE": 85, "FALSE": 9, "NULL": 0, "EMPTY": 0})
    );
    assert_eq!(cache["triplet_summary"]["dt-dt"]["GOOD"], json!(94));
    // Only the stored attributes are kept (no run_number, init_lumi, …), and `null` bits stay null.
    let first = &registry
        .dataset(328645, ONLINE)
        .unwrap()
        .unwrap()
        .oms_lumisections()[0];
    assert!(first.get("run_number").is_none() && first.get("init_lumi").is_none());
    assert_eq!(first["rp_time_ready"], Value::Null);
    assert_eq!(cache["dcs_summary"]["rp_time_ready"]["NULL"], json!(94));
}

/// A store with Spin's CAS semantics: compare-and-swap on an absent key upserts unconditionally.
struct SpinLike(MemoryStore);

impl KvStore for SpinLike {
    fn get(&self, key: &str) -> kv_api::KvResult<Option<Vec<u8>>> {
        self.0.get(key)
    }
    fn set(&self, key: &str, value: &[u8]) -> kv_api::KvResult<()> {
        self.0.set(key, value)
    }
    fn delete(&self, key: &str) -> kv_api::KvResult<()> {
        self.0.delete(key)
    }
    fn get_keys(&self) -> kv_api::KvResult<Vec<String>> {
        self.0.get_keys()
    }
    fn increment(&self, key: &str, delta: i64) -> kv_api::KvResult<i64> {
        self.0.increment(key, delta)
    }
    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> kv_api::KvResult<kv_api::CasOutcome> {
        if expected.is_none() {
            self.0.set(key, new)?;
            return Ok(kv_api::CasOutcome::Swapped);
        }
        self.0.compare_and_swap(key, expected, new)
    }
}

#[test]
fn concurrent_first_writers_converge_under_spin_cas_semantics() {
    for round in 0..25u64 {
        let store = SpinLike(MemoryStore::new());
        std::thread::scope(|scope| {
            for t in 0..6u32 {
                let store = &store;
                scope.spawn(move || {
                    let registry = Registry::new(store);
                    let mut event = Event::new(Target::RrLs, 500 + round, ONLINE);
                    event.ranges = vec![LsChange {
                        start: t + 1,
                        end: t + 1,
                        values: obj(
                            json!({"dt-dt": {"status": "GOOD", "comment": "", "cause": ""}}),
                        ),
                    }];
                    registry
                        .record(&Actor::user("w@cern.ch"), "race", vec![event])
                        .unwrap();
                });
            }
        });
        let registry = Registry::new(&store);
        let folded = registry.fold_dataset(500 + round, ONLINE).unwrap();
        assert_eq!(
            registry.dataset(500 + round, ONLINE).unwrap().unwrap(),
            folded
        );
        assert_eq!(folded.rr_present, vec![[1, 6]]);
        assert_eq!(
            registry.cache(500 + round, ONLINE).unwrap().unwrap()["triplet_summary"]["dt-dt"]
                ["GOOD"],
            json!(6)
        );
    }
}
