// DQM² Mirror pages: fetch the mirror API and render with textContent only (no HTML from data).
const PREFIX = "{{PREFIX}}";
const REFRESH_MS = {{REFRESH_MS}};
const STUCK_AFTER_S = {{STUCK_AFTER_S}};
const STALE_STATUS_S = {{STALE_STATUS_S}};
const LUMI_S = {{LUMI_S}};

function api(params) {
  const query = new URLSearchParams(params).toString();
  return fetch(`${PREFIX}/api?${query}`).then((r) => (r.ok ? r.json() : Promise.reject(r.status)));
}

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}

// Same rule as pages::JobState in the Rust crate.
function jobState(exitCode, secondsSinceUpdate) {
  if (exitCode === null || exitCode === undefined || exitCode === -1)
    return secondsSinceUpdate >= STUCK_AFTER_S ? "stuck" : "running";
  return exitCode === 0 ? "stopped" : "crashed";
}

// Same rule as pages::cluster_state_label.
function clusterLabel(isUp, ageSeconds) {
  if (ageSeconds > STALE_STATUS_S) return "Unknown";
  return isUp ? "Up" : "Down";
}

function pageParams() {
  const p = new URLSearchParams(window.location.search);
  return { run: p.get("run"), db: p.get("db") === "playback" ? "playback" : "production" };
}

function lineChart(canvas, title, series, yLabel) {
  const ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height, pad = 36;
  ctx.clearRect(0, 0, w, h);
  ctx.fillStyle = "#1b2631";
  ctx.fillText(title, pad, 14);
  ctx.fillText(yLabel, 2, pad - 8);
  const pts = series.flatMap((s) => s.points);
  if (!pts.length) { ctx.fillText("no data", w / 2 - 20, h / 2); return; }
  const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(0, ...ys), Math.max(...ys)];
  const sx = (x) => pad + ((x - x0) / (x1 - x0 || 1)) * (w - 2 * pad);
  const sy = (y) => h - pad - ((y - y0) / (y1 - y0 || 1)) * (h - 2 * pad);
  ctx.strokeStyle = "#566573";
  ctx.strokeRect(pad, pad, w - 2 * pad, h - 2 * pad);
  ctx.fillText(String(Math.round(y1)), 2, pad + 4);
  ctx.fillText(String(Math.round(y0)), 2, h - pad);
  ctx.fillText(`LS ${x0}…${x1}`, w / 2 - 20, h - 8);
  const colours = ["#2471a3", "#cb4335", "#28b463", "#af7ac5", "#d68910", "#17a589"];
  series.forEach((s, i) => {
    ctx.strokeStyle = colours[i % colours.length];
    ctx.beginPath();
    s.points.forEach(([x, y], j) => (j ? ctx.lineTo(sx(x), sy(y)) : ctx.moveTo(sx(x), sy(y))));
    ctx.stroke();
    ctx.fillStyle = ctx.strokeStyle;
    ctx.fillText(s.name, w - pad - 220, pad + 12 + 12 * i);
  });
}

// graph = [run, rev, id, timestamp, global_start, streams, host]
function drawGraphs(graph) {
  const delivery = [], accepted = [];
  const streams = graph && graph.length ? graph[5] : {};
  const globalStart = graph && graph.length ? graph[4] : 0;
  for (const [name, s] of Object.entries(streams && typeof streams === "object" ? streams : {})) {
    const lumis = s.lumis || [], mtimes = s.mtimes || [], acc = s.evt_accepted || [];
    delivery.push({ name, points: lumis.map((ls, i) => [ls, mtimes[i] - globalStart - LUMI_S - (ls - 1) * LUMI_S]) });
    accepted.push({ name, points: lumis.map((ls, i) => [ls, acc[i]]) });
  }
  lineChart(document.getElementById("graph-delivery"), "DQM File Delivery", delivery, "delay, s");
  lineChart(document.getElementById("graph-accepted"), "Accepted events", accepted, "events");
}
