use super::*;

fn sanitizer() -> Sanitizer {
    Sanitizer::new([
        "dqmrubu-c2a06-03-01",
        "dqmfu-c2b01-45-01.cms",
        "srv-c2f11-29-01",
    ])
}

#[test]
fn host_rule_keeps_the_original_shapes() {
    assert_eq!(censor_host("dqmfu-c2b01-45-01"), "dqmfu-c2b01-..");
    assert_eq!(censor_host("dqmrubu-c2a06-03-01.cms"), "dqmrubu-c2a06-..");
    assert_eq!(censor_host("fu-c2f11-11-04"), "fu..04");
    assert_eq!(censor_host("fu-c2f11-11-01.cms"), "fu..01");
    assert_eq!(censor_host("bu-c2f11-09-01"), "bu..01");
    assert_eq!(censor_host("localhost"), "..");
    assert_eq!(censor_host(""), "");
}

#[test]
fn client_rule_is_a_substring_test_then_drops_22_characters() {
    assert_eq!(short_client("ecalgpu_dqm_sourceclient-live"), "ecalgpu");
    assert_eq!(
        short_client("hlt_dqm_clientPB-live"),
        "hlt_dqm_clientPB-live"
    );
    assert_eq!(
        short_client("visualization-live-secondInstance_dqm_sourceclient-live"),
        "visualization-live-secondInstance"
    );
    assert_eq!(short_client(""), "");
}

#[test]
fn client_path_serves_only_the_cmssw_version() {
    let path = "/cmsnfsdqmdata/dqmdata/dqm_cmssw/production_0909_CMSSW_12_4_8_39145_39162_39341_39326_39353/src/x_cfg.py";
    assert_eq!(cmssw_version(path), "12_4_8_39145_39162_39341_39326_39353");
    assert_eq!(cmssw_version("/no/version/here.py"), "");
    assert_eq!(cmssw_version("/opt/CMSSWfoo/x"), "");
    assert_eq!(cmssw_version(""), "");
}

#[test]
fn runkey_prefix_is_stripped() {
    assert_eq!(strip_runkey("runkey=cosmic_run"), "cosmic_run");
    assert_eq!(strip_runkey("pp_run"), "pp_run");
}

#[test]
fn emails_become_a_placeholder() {
    let s = Sanitizer::default();
    assert_eq!(
        s.clean_text("mail from user john.doe@cern.ch today"),
        "mail from user <email> today"
    );
}

#[test]
fn cookie_and_auth_headers_lose_their_whole_value() {
    let s = Sanitizer::default();
    assert_eq!(
        s.clean_text("Cookie: selenium-secret-secret=abc"),
        "Cookie: <redacted>"
    );
    assert_eq!(
        s.clean_text("set-cookie=sid=1; Path=/\nnext"),
        "set-cookie: <redacted>\nnext"
    );
    assert_eq!(
        s.clean_text("Authorization: Basic dXNlcjpwdw=="),
        "Authorization: <redacted>"
    );
}

#[test]
fn bearer_tokens_are_redacted() {
    let s = Sanitizer::default();
    assert_eq!(
        s.clean_text("sent bearer abc.DEF-123/+= ok"),
        "sent Bearer <redacted> ok"
    );
}

#[test]
fn key_value_secrets_are_redacted() {
    let s = Sanitizer::default();
    assert_eq!(
        s.clean_text("token=eyJhbGciOi.eyJzdWIiOi.sig"),
        "token=<redacted>"
    );
    assert_eq!(
        s.clean_text("password: hunter2 and pwd=x&y=1"),
        "password=<redacted> and pwd=<redacted>&y=1"
    );
    assert_eq!(
        s.clean_text("selenium-secret-secret=s3cr3t;"),
        "selenium-secret-secret=<redacted>;"
    );
    assert_eq!(
        s.clean_text("api-key=K1 sessionid=S2"),
        "api-key=<redacted> sessionid=<redacted>"
    );
    assert_eq!(s.clean_text("runkey=cosmic_run"), "runkey=cosmic_run");
}

#[test]
fn bare_jwts_are_replaced() {
    let s = Sanitizer::default();
    assert_eq!(
        s.clean_text("got eyJhbGciOiJI.eyJzdWIiOiIx.c2lnbmF0dXJl end"),
        "got <token> end"
    );
}

#[test]
fn user_names_in_paths_are_replaced() {
    let s = Sanitizer::default();
    assert_eq!(
        s.clean_text("/afs/cern.ch/user/j/jdoe/x"),
        "/afs/cern.ch/user/j/<user>/x"
    );
    assert_eq!(s.clean_text("/home/alice/cfg.py"), "/home/<user>/cfg.py");
    assert_eq!(
        s.clean_text("/eos/user/b/bob/f /eos/home-c/carol/g"),
        "/eos/user/b/<user>/f /eos/home-c/<user>/g"
    );
    assert_eq!(
        s.clean_text("/nfshome0/dave/a /Users/erin/b"),
        "/nfshome0/<user>/a /Users/<user>/b"
    );
}

#[test]
fn host_names_inside_text_are_censored() {
    let s = sanitizer();
    assert_eq!(
        s.clean_text("connect to fu-c2f11-11-01.cms:9215"),
        "connect to fu..01:9215"
    );
    assert_eq!(
        s.clean_text("collector dqmfu-c2b01-45-01.cms up"),
        "collector dqmfu-c2b01-.. up"
    );
    assert_eq!(
        s.clean_text("DQMRUBU-C2A06-03-01 restarted"),
        "dqmrubu-c2a06-.. restarted"
    );
    // A configured name that the pattern alone would miss.
    assert_eq!(s.clean_text("on srv-c2f11-29-01.cms now"), "on srv..01 now");
    assert_eq!(
        s.clean_text("dqm-source-state is fine"),
        "dqm-source-state is fine"
    );
}

#[test]
fn served_ids_have_their_host_segment_censored() {
    let s = sanitizer();
    assert_eq!(
        s.censor_id("dqm-source-state-run358788-hostfu-c2f11-11-01-pid039363"),
        "dqm-source-state-run358788-hostfu..01-pid039363"
    );
    assert_eq!(
        s.censor_id("dqm-files-bu-c2f11-09-01-analyze_files-run358792"),
        "dqm-files-bu..01-analyze_files-run358792"
    );
    assert_eq!(s.censor_id("dqm-stats-fu-c2f11-11-03"), "dqm-stats-fu..03");
    let served = "dqm-source-state-run358788-hostfu..01-pid039363";
    assert_eq!(
        s.censor_id(served),
        served,
        "censoring a served id changes nothing"
    );
}

#[test]
fn html_escaping_covers_markup_and_quotes() {
    assert_eq!(
        html_escape("<script>a&b\"c'</script>"),
        "&lt;script&gt;a&amp;b&quot;c&#x27;&lt;/script&gt;"
    );
    let s = Sanitizer::default();
    assert_eq!(html_escape(&s.clean_text("to x@y.ch")), "to &lt;email&gt;");
}

#[test]
fn the_host_prefilter_skips_only_text_without_a_dash_and_two_digits() {
    let s = Sanitizer::default();
    // A prefix without a `-NN` part cannot match the pattern and is left alone…
    assert_eq!(
        s.clean_text("dqm-source-state-run1-pid7"),
        "dqm-source-state-run1-pid7"
    );
    // …while any name the pattern knows is still censored, wherever the `-NN` sits.
    assert_eq!(
        s.clean_text("on dqm-c2b01-45 and ru-x1-01-02.cms."),
        "on dqm-c2b01-.. and ru..02."
    );
    assert_eq!(s.clean_text("bu-c2f11-09-01"), "bu..01");
}
