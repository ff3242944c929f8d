//! Spec §11 item 13: callbacks are sent from the store queue with one token per target, reused while
//! less than 75 % of its lifetime has passed; failures back off and stay queued.

use kv_api::MemoryStore;
use stats2::callbacks::{
    enqueue, send_due, CallbackConfig, CallbackHttp, Credentials, Notification, Target, TokenCache,
};
use std::cell::RefCell;

/// method, url, headers, body
type Sent = (String, String, Vec<(&'static str, String)>, Option<Vec<u8>>);

#[derive(Default)]
struct FakeHttp {
    token_requests: RefCell<Vec<String>>,
    sent: RefCell<Vec<Sent>>,
    fail_urls_containing: RefCell<Option<String>>,
}

impl CallbackHttp for FakeHttp {
    fn post_form(&self, url: &str, form: &str) -> Result<Vec<u8>, String> {
        let mut requests = self.token_requests.borrow_mut();
        requests.push(format!("{url} {form}"));
        Ok(format!(
            r#"{{"access_token": "tok{}", "expires_in": 400}}"#,
            requests.len()
        )
        .into_bytes())
    }
    fn send(
        &self,
        method: &str,
        url: &str,
        headers: &[(&'static str, String)],
        body: Option<&[u8]>,
    ) -> Result<(), String> {
        if self
            .fail_urls_containing
            .borrow()
            .as_deref()
            .is_some_and(|part| url.contains(part))
        {
            return Err("HTTP 503".into());
        }
        self.sent.borrow_mut().push((
            method.to_owned(),
            url.to_owned(),
            headers.to_vec(),
            body.map(<[u8]>::to_vec),
        ));
        Ok(())
    }
}

fn config() -> CallbackConfig {
    CallbackConfig::default()
}

fn credentials() -> Credentials {
    Credentials {
        client_id: Some("id".into()),
        client_secret: Some("secret".into()),
        application_client_id: Some("prod-app".into()),
        dev_application_client_id: Some("dev-app".into()),
    }
}

#[test]
fn one_token_serves_many_callbacks_until_it_is_three_quarters_old() {
    let store = MemoryStore::new();
    let http = FakeHttp::default();
    let mut tokens = TokenCache::default();
    let notifications = [
        Notification::Mcm {
            workflow: "wf_1".into(),
        },
        Notification::ReReco {
            prepid: "ReReco-1".into(),
        },
        Notification::RelVal {
            prepid: "CMSSW_1".into(),
        },
    ];
    enqueue(&store, &[Target::Prod], &notifications, 1000).unwrap();
    let report = send_due(&store, &http, &credentials(), &config(), &mut tokens, 1000).unwrap();
    assert_eq!(report.sent, 3);
    assert_eq!(
        http.token_requests.borrow().len(),
        1,
        "one token for three callbacks"
    );
    assert!(http.token_requests.borrow()[0].ends_with("audience=prod-app"));
    let sent = http.sent.borrow();
    assert_eq!(sent[0].0, "GET");
    assert_eq!(
        sent[0].1,
        "https://cms-pdmv-prod.web.cern.ch/mcm/restapi/requests/fetch_stats_by_wf/wf_1"
    );
    assert!(sent[0]
        .2
        .contains(&("Authorization", "Bearer tok1".to_owned())));
    assert_eq!(sent[1].3.as_deref(), Some(&br#"{"prepid":"ReReco-1"}"#[..]));
    drop(sent);

    enqueue(&store, &[Target::Prod], &notifications[..1], 1299).unwrap();
    send_due(&store, &http, &credentials(), &config(), &mut tokens, 1299).unwrap();
    assert_eq!(
        http.token_requests.borrow().len(),
        1,
        "reused before 75 % of 400 s"
    );
    enqueue(&store, &[Target::Prod], &notifications[..1], 1300).unwrap();
    send_due(&store, &http, &credentials(), &config(), &mut tokens, 1300).unwrap();
    assert_eq!(http.token_requests.borrow().len(), 2, "renewed at 75 %");
    assert!(http
        .sent
        .borrow()
        .last()
        .unwrap()
        .2
        .contains(&("Authorization", "Bearer tok2".to_owned())));
}

#[test]
fn failures_stay_queued_with_backoff_and_missing_credentials_fail_softly() {
    let store = MemoryStore::new();
    let http = FakeHttp::default();
    *http.fail_urls_containing.borrow_mut() = Some("/rereco/".into());
    let mut tokens = TokenCache::default();
    let notifications = [
        Notification::ReReco {
            prepid: "ReReco-1".into(),
        },
        Notification::Mcm {
            workflow: "wf".into(),
        },
    ];
    enqueue(&store, &[Target::Dev], &notifications, 0).unwrap();
    let report = send_due(&store, &http, &credentials(), &config(), &mut tokens, 0).unwrap();
    assert_eq!((report.sent, report.retrying), (1, 1));
    assert!(report.errors[0].contains("HTTP 503"));
    assert_eq!(
        send_due(&store, &http, &credentials(), &config(), &mut tokens, 10).unwrap(),
        Default::default(),
        "backing off"
    );
    *http.fail_urls_containing.borrow_mut() = None;
    assert_eq!(
        send_due(&store, &http, &credentials(), &config(), &mut tokens, 1000)
            .unwrap()
            .sent,
        1
    );

    let no_secret = Credentials {
        client_secret: None,
        ..credentials()
    };
    enqueue(&store, &[Target::Prod], &notifications[1..], 2000).unwrap();
    let report = send_due(&store, &http, &no_secret, &config(), &mut TokenCache::default(), 2000).unwrap();
    assert_eq!(report.retrying, 1);
    assert!(report.errors[0].contains("CALLBACK_CLIENT_SECRET"));
}

#[test]
fn configured_urls_and_backoff_are_used() {
    let store = MemoryStore::new();
    let http = FakeHttp::default();
    let config = CallbackConfig {
        prod_url: "http://127.0.0.1:9/prod/".into(),
        dev_url: "http://127.0.0.1:9/dev".into(),
        token_url: "http://127.0.0.1:9/token".into(),
        backoff_secs: 2,
    };
    let mcm = [Notification::Mcm { workflow: "wf".into() }];
    enqueue(&store, &[Target::Prod, Target::Dev], &mcm, 0).unwrap();
    send_due(&store, &http, &credentials(), &config, &mut TokenCache::default(), 0).unwrap();
    let urls: Vec<String> = http.sent.borrow().iter().map(|s| s.1.clone()).collect();
    assert_eq!(
        urls,
        [
            "http://127.0.0.1:9/prod/mcm/restapi/requests/fetch_stats_by_wf/wf",
            "http://127.0.0.1:9/dev/mcm/restapi/requests/fetch_stats_by_wf/wf"
        ]
    );
    assert!(http.token_requests.borrow().iter().all(|r| r.starts_with("http://127.0.0.1:9/token grant_type=")));
    assert_eq!((config.backoff(1), config.backoff(2), config.backoff(30)), (4, 8, 3600));
    assert_eq!(CallbackConfig::default().backoff(1), 120);
}
