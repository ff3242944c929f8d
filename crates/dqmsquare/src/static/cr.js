// DQM² control room: each button calls cr/exe and shows the JSON answer (textContent only, no HTML from data).
// Changing actions are POSTed with the session's CSRF token and need a confirmation.
const PREFIX = "{{PREFIX}}";
const csrf = document.querySelector('meta[name="dqm2m-csrf"]').content;

function value(id) {
  return document.getElementById(id).value.trim();
}

function paramsFor(what) {
  const params = { what, cluster: value("cr-cluster") };
  if (what === "start_playback_run") Object.assign(params, { run: value("cr-run"), runkey: value("cr-runkey") });
  if (what === "change_dqm_client") Object.assign(params, { client: value("cr-client"), state: value("cr-state") });
  return params;
}

async function call(what, change) {
  const status = document.getElementById("cr-status");
  const answer = document.getElementById("cr-answer");
  const params = paramsFor(what);
  if (change && !window.confirm(`${what} on ${params.cluster}?`)) return;
  status.textContent = `${what} …`;
  answer.textContent = "";
  const init = change
    ? { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "x-csrf-token": csrf },
        body: new URLSearchParams(params).toString() }
    : { method: "GET" };
  const url = change ? `${PREFIX}/cr/exe` : `${PREFIX}/cr/exe?${new URLSearchParams(params)}`;
  try {
    const response = await fetch(url, { ...init, credentials: "same-origin" });
    const body = await response.json().catch(() => ({ message: `HTTP ${response.status}` }));
    status.textContent = `${what}: ${response.ok ? "OK" : `error ${response.status}`}`;
    if (response.ok && Array.isArray(body.logs)) {
      answer.textContent = body.logs.join("\n\n----------------\n\n");
    } else {
      answer.textContent = response.ok ? JSON.stringify(body, null, 2) : body.message;
    }
    if (response.status === 401) window.location.assign(`${PREFIX}/cr/login/`);
  } catch (err) {
    status.textContent = `${what}: ${err}`;
  }
}

for (const button of document.querySelectorAll("button[data-what]")) {
  button.addEventListener("click", () => call(button.dataset.what, button.dataset.change === "1"));
}
