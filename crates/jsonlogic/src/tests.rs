use super::*;
use serde_json::json;

fn run(rule: Value, data: &Value) -> Value {
    apply(&rule, data).unwrap_or_else(|e| panic!("{rule} failed: {e}"))
}

fn context() -> Value {
    json!({"dataset": {"name": "/PromptReco/Collisions2018A/DQM", "global_state": "COMPLETED", "dt_state": "COMPLETED"},
      "run": {"run_number": 316701,
              "oms": {"energy": 6500, "b_field": 3.8, "injection_scheme": "25ns_2556b_2544_2215_2332_144bpi_20injV3",
                      "hlt_key": "/cdaq/physics/Run2018/2e34/v3.6.1/HLT/V2", "recorded_lumi": 0.35},
              "rr": {"class": "Collisions18", "state": "COMPLETED", "significant": true, "stop_reason": ""}},
      "lumisection": {"lumisection_number": 12,
                      "oms": {"cms_active": true, "bpix_ready": true, "beam1_stable": true, "recorded": 0.0012, "delivered": 0.0013},
                      "rr": {"dt-dt": "GOOD", "tracker-pixel": "GOOD", "dc-lowlumi": "BAD"}}})
}

#[test]
fn acceptance_vectors_of_the_spec() {
    let d = context();
    assert_eq!(run(json!({"==": [null, 0]}), &d), json!(false));
    assert_eq!(run(json!({"==": ["1", 1]}), &d), json!(true));
    assert_eq!(run(json!({">=": [null, 0]}), &d), json!(true));
    assert_eq!(run(json!({"in": ["25ns", "25ns_2556b"]}), &d), json!(true));
    assert_eq!(run(json!({"in": ["25ns", null]}), &d), json!(false));
    assert_eq!(run(json!({"var": "run.name"}), &d), json!(null));
    assert_eq!(run(json!({"var": ["x.y", 7]}), &d), json!(7));
    assert!(!passes(&json!({"!!": {"and": []}}), &d).unwrap());
    assert!(!passes(&json!({"and": []}), &d).unwrap());
    assert_eq!(run(json!({"if": [false, 1, 2]}), &d), json!(2));
    assert_eq!(run(json!({"<": [1, 2, 3]}), &d), json!(true));
    assert_eq!(run(json!({"<": [1, 3, 2]}), &d), json!(false));
}

#[test]
fn loose_equality_follows_js() {
    let d = json!({});
    for (rule, want) in [
        (json!({"==": [null, false]}), false),
        (json!({"==": ["", 0]}), true),
        (json!({"==": [true, 1]}), true),
        (json!({"==": [true, "1"]}), true),
        (json!({"==": [false, "0"]}), true),
        (json!({"==": ["abc", 0]}), false),
        (json!({"==": [[1, 2], "1,2"]}), true),
        (json!({"==": [[1], 1]}), true),
        (json!({"==": [[1], [1]]}), false),
        (json!({"==": [{"var": "nope"}, null]}), true),
        (json!({"!=": [1, "1"]}), false),
        (json!({"===": [1, "1"]}), false),
        (json!({"===": [null, null]}), true),
        (json!({"!==": [1, 1.0]}), false),
        (json!({"==": [{"/": [0, 0]}, {"/": [0, 0]}]}), false),
    ] {
        assert_eq!(run(rule.clone(), &d), json!(want), "{rule}");
    }
}

#[test]
fn relations_compare_strings_lexically_and_everything_else_as_numbers() {
    let d = json!({});
    for (rule, want) in [
        (json!({"<": ["10", "9"]}), true),
        (json!({"<": ["10", 9]}), false),
        (json!({"<": ["a", "b"]}), true),
        (json!({"<": ["x", 1]}), false),
        (json!({">=": ["x", 1]}), false),
        (json!({"<=": [null, 0]}), true),
        (json!({">": [true, 0]}), true),
        (json!({"<": [{"var": "missing"}, 1]}), true), // a missing var is null, and null < 1
        (json!({"<=": [1, 1, 2]}), true),
        (json!({"<=": [1, 3, 2]}), false),
        (json!({">": [2, 1]}), true),
    ] {
        assert_eq!(run(rule.clone(), &d), json!(want), "{rule}");
    }
}

#[test]
fn truthiness_and_short_circuits_return_operands() {
    let d = json!({});
    assert_eq!(run(json!({"or": [0, "", []]}), &d), json!([]));
    assert_eq!(run(json!({"or": [0, "x", 1]}), &d), json!("x"));
    assert_eq!(run(json!({"and": [1, "a", 0, 2]}), &d), json!(0));
    assert_eq!(run(json!({"and": [1, "a"]}), &d), json!("a"));
    assert_eq!(run(json!({"!": [[]]}), &d), json!(true));
    assert_eq!(run(json!({"!!": ["0"]}), &d), json!(true));
    assert_eq!(run(json!({"!!": [[0]]}), &d), json!(true));
    assert_eq!(run(json!({"!": 0}), &d), json!(true));
    assert_eq!(run(json!({"if": [5]}), &d), json!(5));
    assert_eq!(run(json!({"if": [false, 1]}), &d), json!(null));
    assert_eq!(run(json!({"?:": [[], 1, 2]}), &d), json!(2));
    assert_eq!(run(json!({"if": [0, 1, "", 2, 3]}), &d), json!(3));
    // A plain JS `if` passes an empty array, json-logic's truthy does not.
    assert!(passes(&json!([]), &d).unwrap());
    assert!(!truthy(&json!([])));
}

#[test]
fn var_walks_dotted_paths_and_array_indices() {
    let d = json!({"a": {"b": [10, {"c": null}]}, "s": "text"});
    assert_eq!(run(json!({"var": "a.b.0"}), &d), json!(10));
    assert_eq!(run(json!({"var": ["a.b.1.c", 5]}), &d), json!(null));
    assert_eq!(run(json!({"var": ["a.b.1.c.d", 5]}), &d), json!(5));
    assert_eq!(run(json!({"var": ["a.x", "def"]}), &d), json!("def"));
    assert_eq!(run(json!({"var": ""}), &d), d);
    assert_eq!(run(json!({"var": null}), &d), d);
    assert_eq!(run(json!({"var": [["a"]]}), &d), d["a"]);
    assert_eq!(run(json!({"var": "s.length"}), &d), json!(4));
    assert_eq!(run(json!({"var": 1}), &json!(["x", "y"])), json!("y"));
}

#[test]
fn in_is_substring_or_strict_membership_in_its_argument_order() {
    let d = context();
    assert_eq!(
        run(
            json!({"in": ["25ns", {"var": "run.oms.injection_scheme"}]}),
            &d
        ),
        json!(true)
    );
    assert_eq!(
        run(
            json!({"in": [{"var": "run.oms.injection_scheme"}, "25ns"]}),
            &d
        ),
        json!(false)
    );
    assert_eq!(run(json!({"in": [1, [1, 2]]}), &d), json!(true));
    assert_eq!(run(json!({"in": ["1", [1, 2]]}), &d), json!(false));
    assert_eq!(run(json!({"in": ["", ""]}), &d), json!(false));
    assert_eq!(run(json!({"in": [1, "a1"]}), &d), json!(true));
    assert_eq!(run(json!({"in": ["a", 5]}), &d), json!(false));
}

#[test]
fn arithmetic_and_strings() {
    let d = json!({});
    assert_eq!(run(json!({"+": ["3", "4"]}), &d), json!(7));
    assert_eq!(run(json!({"+": ["1.5abc", 1]}), &d), json!(2.5));
    assert_eq!(run(json!({"+": []}), &d), json!(0));
    assert_eq!(run(json!({"+": [true]}), &d), json!(null)); // parseFloat(true) is NaN
    assert_eq!(run(json!({"*": ["3"]}), &d), json!("3")); // one argument comes back untouched
    assert_eq!(run(json!({"*": ["3", 2, "0.5"]}), &d), json!(3));
    assert!(apply(&json!({"*": []}), &d).is_err());
    assert_eq!(run(json!({"-": [5]}), &d), json!(-5));
    assert_eq!(run(json!({"-": ["5", 2]}), &d), json!(3));
    assert_eq!(run(json!({"/": [1, 4]}), &d), json!(0.25));
    assert_eq!(run(json!({"%": [7, 3]}), &d), json!(1));
    assert_eq!(run(json!({"min": [3, 1, 2]}), &d), json!(1));
    assert_eq!(run(json!({"max": [3, "7", 2]}), &d), json!(7));
    assert_eq!(run(json!({"max": []}), &d), json!(null)); // -Infinity
    assert_eq!(
        run(json!({"cat": ["a", 1, null, true, [1, 2]]}), &d),
        json!("a1true1,2")
    );
    assert_eq!(run(json!({"substr": ["jsonlogic", 4]}), &d), json!("logic"));
    assert_eq!(
        run(json!({"substr": ["jsonlogic", -5]}), &d),
        json!("logic")
    );
    assert_eq!(
        run(json!({"substr": ["jsonlogic", 1, 3]}), &d),
        json!("son")
    );
    assert_eq!(
        run(json!({"substr": ["jsonlogic", 4, -2]}), &d),
        json!("log")
    );
    assert_eq!(
        run(json!({"merge": [[1, 2], 3, [[4]]]}), &d),
        json!([1, 2, 3, [4]])
    );
}

#[test]
fn array_operators() {
    let d = json!({"xs": [1, 2, 3], "pie": {"filling": "apple"}});
    assert_eq!(
        run(json!({"map": [{"var": "xs"}, {"*": [{"var": ""}, 2]}]}), &d),
        json!([2, 4, 6])
    );
    assert_eq!(
        run(
            json!({"filter": [{"var": "xs"}, {">": [{"var": ""}, 1]}]}),
            &d
        ),
        json!([2, 3])
    );
    assert_eq!(run(json!({"filter": [5, true]}), &d), json!([]));
    assert_eq!(
        run(
            json!({"reduce": [{"var": "xs"}, {"+": [{"var": "current"}, {"var": "accumulator"}]}, 10]}),
            &d
        ),
        json!(16)
    );
    // The start value is not evaluated.
    assert_eq!(
        run(
            json!({"reduce": [[], {"var": "current"}, {"var": "xs"}]}),
            &d
        ),
        json!({"var": "xs"})
    );
    assert_eq!(
        run(json!({"all": [{"var": "xs"}, {">": [{"var": ""}, 0]}]}), &d),
        json!(true)
    );
    assert_eq!(run(json!({"all": [[], true]}), &d), json!(false));
    assert!(apply(&json!({"all": [null, true]}), &d).is_err());
    assert_eq!(
        run(
            json!({"none": [{"var": "xs"}, {">": [{"var": ""}, 5]}]}),
            &d
        ),
        json!(true)
    );
    assert_eq!(
        run(
            json!({"some": [{"var": "xs"}, {">": [{"var": ""}, 2]}]}),
            &d
        ),
        json!(true)
    );
    assert_eq!(
        run(
            json!({"missing": ["xs", "nope", "pie.filling", "pie.crust"]}),
            &d
        ),
        json!(["nope", "pie.crust"])
    );
    assert_eq!(
        run(json!({"missing_some": [1, ["nope", "xs"]]}), &d),
        json!([])
    );
    assert_eq!(
        run(json!({"missing_some": [2, ["nope", "xs"]]}), &d),
        json!(["nope"])
    );
}

#[test]
fn literals_arrays_and_errors() {
    let d = json!({"a": 1});
    assert_eq!(run(json!({"x": 1, "y": 2}), &d), json!({"x": 1, "y": 2}));
    assert_eq!(run(json!([{"var": "a"}, 2]), &d), json!([1, 2]));
    assert_eq!(run(json!({"var": "a"}), &d), json!(1));
    assert_eq!(
        apply(&json!({"foo": [1]}), &d),
        Err(Error("Unrecognized operation foo".into()))
    );
    assert!(apply(&json!({"method": ["abc", "toUpperCase"]}), &d).is_err());
    assert!(validate(&json!({"and": [{"method": []}]})).is_err());
    assert!(validate(&json!({"and": [{"==": [1, {"var": "a"}]}]})).is_ok());
    let mut deep = json!(true);
    for _ in 0..200 {
        deep = Value::Object(Map::from_iter([(
            "!".to_string(),
            Value::Array(vec![deep]),
        )]));
    }
    assert!(apply(&deep, &d).is_err());
    assert!(validate(&deep).is_err());
}

fn rule_file(name: &str) -> Value {
    let text = std::fs::read_to_string(format!(
        "{}/../../tests/fixtures/runregistry/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let body: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//") && !l.starts_with('/'))
        .collect::<Vec<_>>()
        .join("\n");
    serde_json::from_str(&body).unwrap()
}

#[test]
fn the_real_rule_fails_on_the_sample_context_for_the_documented_causes() {
    let rule = rule_file("sample_json_logic__runregistry_backend.txt");
    let d = context();
    assert!(!passes(&rule, &d).unwrap());
    let tree = explain(&rule, &d).unwrap();
    let found = causes(&tree);
    assert_eq!(causes_of(&rule, &d).unwrap(), found);
    assert!(found.contains(&json!({"==": [{"var": "lumisection.rr.l1t-l1tmu"}, "GOOD"]})));
    assert!(found.contains(&json!({"==": [{"var": "lumisection.oms.fpix_ready"}, true]})));
    assert!(!found.contains(&json!({"==": [{"var": "lumisection.rr.dc-lowlumi"}, "BAD"]})));
    assert!(!found.contains(&json!({"==": [{"var": "lumisection.rr.tracker-pixel"}, "GOOD"]})));
    assert!(
        found.iter().all(|c| !c.to_string().contains("run.oms.")),
        "{found:?}"
    );
    // Top-level: one tuple for the `and`, false, whose children each carry their own verdict.
    assert_eq!(tree[0][1], json!({"resulted_value": false}));
    assert_eq!(tree[0][0]["and"][0][1], json!({"resulted_value": true}));
}

#[test]
fn the_test_rule_with_run_name_never_passes() {
    let rule = rule_file("json_logic_json__test.jsonc");
    let mut d = context();
    for key in [
        "csc-csc",
        "l1t-l1tmu",
        "hlt-hlt",
        "tracker-strip",
        "tracker-track",
        "ecal-ecal",
        "ecal-es",
        "hcal-hcal",
    ] {
        d["lumisection"]["rr"][key] = json!("GOOD");
    }
    assert!(!passes(&rule, &d).unwrap());
    let found = causes(&explain(&rule, &d).unwrap());
    // The `or` over run.name is false, so each of its leaves is a cause; the reversed `in` is one too.
    assert!(found.contains(&json!({"==": [{"var": "run.name"}, "/PromptReco/Collisions18A/DQM"]})));
    assert!(found.contains(&json!({"in": [{"var": "run.oms.injection_scheme"}, "25ns"]})));
}

#[test]
fn explanation_marks_non_true_results_false_and_skips_if() {
    let d = json!({"a": "GOOD"});
    let tree = explain(
        &json!([{"var": "a"}, {"if": [true, 1]}, {"or": [{"==": [{"var": "a"}, "GOOD"]}, false]}]),
        &d,
    )
    .unwrap();
    assert_eq!(
        tree,
        json!([
            [{"var": "a"}, {"resulted_value": false}],
            [{"or": [[{"==": [{"var": "a"}, "GOOD"]}, {"resulted_value": true}]]}, {"resulted_value": true}]
        ])
    );
    assert!(causes(&tree).iter().all(|c| c == &json!({"var": "a"})));
    let rules =
        json!([{"var": "a"}, {"if": [true, 1]}, {"or": [{"==": [{"var": "a"}, "GOOD"]}, false]}]);
    assert_eq!(causes_of(&rules, &d).unwrap(), causes(&tree));
    let nested = json!({"and": [{"or": [false, {"==": [{"var": "a"}, "BAD"]}]}, {"var": "a"}, {"and": [true, 0]}]});
    assert_eq!(
        causes_of(&nested, &d).unwrap(),
        causes(&explain(&nested, &d).unwrap())
    );
    assert_eq!(
        causes_of(&nested, &d).unwrap(),
        vec![json!({"==": [{"var": "a"}, "BAD"]}), json!({"var": "a"})]
    );
    // Literals have no keys, so they are never causes (Object.entries of a primitive is empty).
}

#[test]
fn stringify_matches_js() {
    assert_eq!(
        js_stringify(&json!({"==": [{"var": "lumisection.rr.dt-dt"}, "GOOD"]})),
        r#"{"==":[{"var":"lumisection.rr.dt-dt"},"GOOD"]}"#
    );
    assert_eq!(
        js_stringify(&serde_json::from_str::<Value>(r#"[1.0, 3.7, -0.5]"#).unwrap()),
        "[1,3.7,-0.5]"
    );
}
