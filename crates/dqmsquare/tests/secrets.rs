//! The grep test (§12 item 5): secrets of every kind are planted in the stand-in's documents, logs and
//! cluster messages; after grabbing, no API answer, page or grabber log line contains any of them.

mod common;

use common::{bu_document, fu_document, sanitizer, MACHINES};
use dqmsquare::api::Mirror;
use dqmsquare::fake::FakeFff;
use dqmsquare::grabber::{Grabber, GrabberConfig, TransportError};
use dqmsquare::Db;
use kv_api::MemoryStore;
use serde_json::json;
use web_kit::Request;

const COOKIE_VALUE: &str = "Zx9cookieValue42";
const TOKEN: &str = "tok3nSecretValue";
const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJqZG9lIn0.c2lnbmF0dXJlMTIz";
const EMAIL: &str = "john.doe@cern.ch";
const USER: &str = "jdoe";
const PASSWORD: &str = "hunter2pass";

fn planted_log(host: &str) -> String {
    format!(
        "connecting to {host}.cms:9215 and DQMFU-C2B02-45-01\nCookie: selenium-secret-secret={COOKIE_VALUE}\n\
         Authorization: Bearer {TOKEN}\nurl?access_token={TOKEN}&x=1\npassword={PASSWORD}\nsent {JWT}\n\
         mail {EMAIL}\nopen /afs/cern.ch/user/j/{USER}/cfg.py /eos/home-j/{USER}/f /home/{USER}/g\n<script>alert(1)</script>\n"
    )
}

#[test]
fn nothing_served_contains_a_planted_secret() {
    let (kv, fake, sanitizer) = (MemoryStore::new(), FakeFff::new(), sanitizer());
    let hosts = [
        "dqmrubu-c2a06-03-01",
        "dqmfu-c2b01-45-01",
        "dqmfu-c2b02-45-01",
    ];
    for (i, host) in hosts[1..].iter().enumerate() {
        let mut doc = fu_document(
            host,
            400000,
            10 + i as i64,
            77,
            "ecal_dqm_sourceclient-live",
            json!(null),
            &planted_log(host),
        );
        doc["extra"]["stdlog_end"] = json!([planted_log(hosts[0])]);
        doc["extra"]["ps_info"]["VmRSS"] = json!(format!("1 kB on {host} by {EMAIL}"));
        doc["fi_state"] = json!(format!("token={TOKEN}"));
        doc["cmdline"][1] = json!(format!(
            "/afs/cern.ch/user/j/{USER}/CMSSW_13_0_0_{host}/src/x_cfg.py"
        ));
        doc["cmdline"][4] = json!(format!("runkey={EMAIL}"));
        fake.publish(host, doc);
    }
    fake.publish(hosts[0], bu_document(hosts[0], 400000, 5, "analyze_files"));
    fake.set_failure(
        "dqmfu-c2b03-45-01",
        Some(TransportError::Other(format!(
            "refused by dqmfu-c2b03-45-01.cms, Cookie: x={COOKIE_VALUE}"
        ))),
    );
    fake.set_cluster_status(
        Db::Playback,
        Ok(json!({
            "dqmrubu-c2a06-03-01.cms": {"up": false, "msg": format!("down: dqmrubu-c2a06-03-01.cms said password={PASSWORD} to {EMAIL}")},
            "dqmfu-c2b01-45-01.cms": {"up": true, "msg": null},
        })
        .to_string()),
    );

    let mut config =
        GrabberConfig::new(Db::Playback, hosts.iter().map(|h| h.to_string()).collect());
    config.hosts.push("dqmfu-c2b03-45-01".into());
    let mut grabber = Grabber::start(&kv, &sanitizer, &fake, config).unwrap();
    let mut served: Vec<String> = grabber
        .info_cycle(0.0)
        .iter()
        .map(|r| r.log_line(&sanitizer))
        .collect();
    grabber.status_cycle(0.0).unwrap();

    let mirror = Mirror {
        kv: &kv,
        sanitizer: (&sanitizer).into(),
        now_s: 10.0,
    };
    let get = |path: &str| String::from_utf8(mirror.handle(&Request::get(path)).body).unwrap();
    let run: serde_json::Value = serde_json::from_str(&get(
        "/dqm/dqm-square/api?what=get_run&run=400000&db=playback",
    ))
    .unwrap();
    let ids: Vec<String> = run[1][1]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[8].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 2);
    for id in &ids {
        let logs = get(&format!(
            "/dqm/dqm-square/api?what=get_logs&db=playback&id={id}"
        ));
        assert!(
            logs.contains("&lt;script&gt;")
                && logs.contains("&lt;email&gt;")
                && logs.contains("Cookie: &lt;redacted&gt;"),
            "{logs}"
        );
        served.push(logs);
    }
    for query in [
        "what=get_info&db=playback",
        "what=get_run&run=400000&db=playback",
        "what=get_graph&run=400000&db=playback",
        "what=get_runs&from=0&to=999999&db=playback",
        "what=get_clients&from=0&to=999999&db=playback",
        "what=get_cluster_status&cluster=playback",
        &format!("what=get_logs&db=playback&id=dqm-source-state-run1-hostdqmfu-c2b01-45-01-pid1%20{EMAIL}"),
        &format!("what={EMAIL}"),
    ] {
        served.push(get(&format!("/dqm/dqm-square/api?{query}")));
    }
    for page in [
        "/dqm/dqm-square/",
        "/dqm/dqm-square/timeline/",
        "/dqm/dqm-square/static/dqm2m.js",
    ] {
        served.push(get(page));
    }

    let everything = served.join("\n").to_ascii_lowercase();
    assert!(everything.contains("dqmfu-c2b01-..") && everything.contains("&lt;script&gt;alert"));
    let mut forbidden: Vec<String> = MACHINES.iter().map(|m| m.to_string()).collect();
    forbidden.extend(
        [
            COOKIE_VALUE,
            TOKEN,
            JWT,
            EMAIL,
            PASSWORD,
            "/jdoe/",
            "<script>alert",
        ]
        .map(str::to_owned),
    );
    for secret in forbidden {
        assert!(
            !everything.contains(&secret.to_ascii_lowercase()),
            "{secret:?} was served:\n{everything}"
        );
    }
}
