use super::*;

/// The plain char-by-char escaping both former writers (rootfile's and dqmsquare's) were checked against.
fn char_by_char(s: &str) -> String {
    let mut out = String::from('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if !(' '..='~').contains(&c) => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[test]
fn strings_escape_like_python() {
    let mut every_char: String = (0u32..0x800).filter_map(char::from_u32).collect();
    every_char.push_str("😀\u{10ffff}\u{ffff}end");
    let cases = [
        "",
        "plain",
        "\"",
        "a\\b",
        "a\"b\\c",
        "é",
        "x\u{1F600}y",
        "x\u{7f}y\u{1}",
        "\u{0}\u{1f}\u{7f}~ ",
        "\n\r\t\u{8}\u{c}",
        "µs\"",
        "end\\",
        &every_char,
        "dqm-source-state-run1-hostfu..01-pid000001",
    ];
    for s in cases {
        let mut out = String::new();
        write_string(&mut out, s);
        assert_eq!(out, char_by_char(s), "{s:?}");
        let mut inside = String::new();
        write_escaped(&mut inside, s);
        assert_eq!(format!("\"{inside}\""), out, "{s:?}");
    }
    let mut out = String::new();
    write_string(&mut out, "é\u{1F600}");
    assert_eq!(out, r#""\u00e9\ud83d\ude00""#);
}

#[test]
fn integers_are_decimal() {
    for n in [0, 1, -1, 9, 10, -10, 358791, i64::MAX, i64::MIN, i64::MIN + 1] {
        let mut out = String::new();
        write_int(&mut out, n);
        assert_eq!(out, n.to_string());
    }
}

#[test]
fn floats_are_python_repr() {
    // Python: repr(x) for each x.
    let cases = [
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (1.0, "1.0"),
        (-1.0, "-1.0"),
        (0.987, "0.987"),
        (1e-4, "0.0001"),
        (1e-5, "1e-05"),
        (-2.5e-7, "-2.5e-07"),
        (1e15, "1000000000000000.0"),
        (1e16, "1e+16"),
        (1.5e300, "1.5e+300"),
        (0.1 + 0.2, "0.30000000000000004"),
        (f64::NAN, "nan"),
        (f64::INFINITY, "inf"),
        (f64::NEG_INFINITY, "-inf"),
    ];
    for (value, python) in cases {
        assert_eq!(repr(value), python, "{value:e}");
    }
}
