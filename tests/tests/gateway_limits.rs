//! Limits beyond Spin: a trapping, looping or memory-hungry component costs only its own request a JSON 500,
//! while a concurrent healthy request is served; oversized bodies get 413.

use std::time::Duration;

use dqm_spin_tests::{request, Gateway, TestApp};

const REGION: (&str, &str) = ("SPIN_VARIABLE_REGION", "cern");

/// Runs `bad` in the background, and checks healthy requests are answered promptly meanwhile.
/// `slow`: the bad request must still be running when the healthy ones are done.
fn misbehaviour_spares_healthy_requests(gateway: &Gateway, bad: &'static str, expected: &str, slow: bool) {
    let addr = gateway.addr;
    let bad_request = std::thread::spawn(move || request(addr, "GET", bad, &[], b"").expect("bad request"));
    std::thread::sleep(Duration::from_millis(100));
    for _ in 0..5 {
        let healthy = gateway.get("/echo/healthy");
        assert_eq!(healthy.status, 200, "{}", healthy.text());
    }
    if slow {
        assert!(!bad_request.is_finished(), "{bad} ended before the healthy requests");
    }
    let failed = bad_request.join().expect("bad request thread");
    assert_eq!(failed.status, 500, "{}", failed.text());
    assert_eq!(failed.header("content-type"), Some("application/json"));
    let message = failed.json()["message"].as_str().expect("message").to_owned();
    assert!(message.contains(expected), "{bad}: {message}");
    assert_eq!(gateway.get("/echo/after").status, 200, "gateway still serves after {bad}");
}

#[test]
fn trap_is_a_json_500() {
    let app = TestApp::new("gateway");
    let gateway = Gateway::start(&app, &[], &[REGION]);
    misbehaviour_spares_healthy_requests(&gateway, "/trap", "trapped", false);
}

#[test]
fn infinite_loop_times_out() {
    let app = TestApp::new("gateway");
    let gateway = Gateway::start(&app, &["--request-timeout", "5"], &[REGION]);
    misbehaviour_spares_healthy_requests(&gateway, "/loop", "timed out", true);
}

#[test]
fn memory_hog_hits_the_instance_limit() {
    let app = TestApp::new("gateway");
    let gateway = Gateway::start(&app, &["--max-instance-memory", "67108864"], &[REGION]);
    misbehaviour_spares_healthy_requests(&gateway, "/hog", "memory limit", false);
}

#[test]
fn oversized_body_is_413() {
    let app = TestApp::new("gateway");
    let gateway = Gateway::start(&app, &["--max-request-body", "1024"], &[REGION]);
    let small = gateway.send("POST", "/echo/upload", &[], &[7u8; 1024]);
    assert_eq!((small.status, small.json()["body_len"].as_u64()), (200, Some(1024)));
    let large = gateway.send("POST", "/echo/upload", &[], &[7u8; 1025]);
    assert_eq!(large.status, 413);
    assert!(large.json()["message"].as_str().unwrap().contains("1024"));
}
