// The dashboard page: one WebSocket brings the whole state (JSON, once a second and
// at every program event); buttons POST to /api/programs/ID/ACTION. Everything shown
// is put in the page as text (textContent), never as HTML: log lines and names come
// from programs.
"use strict";

const token = new URLSearchParams(location.search).get("token");
const tq = token ? "token=" + encodeURIComponent(token) : "";
const $ = (s) => document.querySelector(s);
const list = (x) => (Array.isArray(x) ? x : x ? Object.values(x) : []);
const SVG = "http://www.w3.org/2000/svg";
const SIGNALS = ["HUP", "INT", "TERM", "USR1", "USR2", "KILL"];

function el(tag, props, ...kids) {
  const e = document.createElement(tag);
  Object.assign(e, props || {});
  for (const k of kids) e.append(k);
  return e;
}

function bytes(n) {
  if (n == null) return "";
  const u = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : n) + " " + u[i];
}

function duration(s) {
  if (s == null) return "";
  s = Math.floor(s);
  const d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24;
  const m = Math.floor(s / 60) % 60, sec = s % 60;
  const hms = [h, m, sec].map((x) => String(x).padStart(2, "0")).join(":");
  return d ? d + "d " + hms : hms;
}

// A sparkline of `values` scaled to [0, max] (at least `floor`), and its last value.
function spark(values, floor, label) {
  values = list(values);
  const w = 120, h = 24;
  const max = Math.max(floor, ...values);
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("width", w);
  svg.setAttribute("height", h);
  const line = document.createElementNS(SVG, "polyline");
  const n = values.length;
  line.setAttribute("points", values.map((v, i) =>
    ((n > 1 ? i / (n - 1) : 1) * w).toFixed(1) + "," + (h - 1 - (v / max) * (h - 2)).toFixed(1)
  ).join(" "));
  svg.append(line);
  const last = n ? values[n - 1] : null;
  return el("span", { className: "spark" }, svg, el("span", { textContent: label(last) }));
}

const rows = new Map();   // program id -> its row's cells
const logPanes = new Map();

function programRow(id) {
  let r = rows.get(id);
  if (r) return r;
  const tr = el("tr");
  tr.dataset.id = id;
  r = { tr, cells: {} };
  for (const k of ["id", "state", "pid", "uptime", "restarts", "cpu", "mem", "actions"]) {
    r.cells[k] = el("td");
    tr.append(r.cells[k]);
  }
  for (const k of ["pid", "uptime", "restarts"]) r.cells[k].className = "num";
  r.cells.id.textContent = id;
  for (const a of ["start", "stop", "restart"]) {
    const b = el("button", { textContent: a, type: "button" });
    b.dataset.action = a;
    b.dataset.id = id;
    b.onclick = () => act(id, a);
    r.cells.actions.append(b);
  }
  const sel = el("select", { title: "signal" });
  for (const s of SIGNALS) sel.append(el("option", { value: s, textContent: s }));
  sel.dataset.id = id;
  const sb = el("button", { textContent: "signal", type: "button" });
  sb.dataset.action = "signal";
  sb.dataset.id = id;
  sb.onclick = () => act(id, "signal", sel.value);
  r.cells.actions.append(sel, sb);
  rows.set(id, r);
  return r;
}

function renderPrograms(programs) {
  const tbody = $("#programs tbody");
  const ids = new Set();
  for (const p of programs) {
    ids.add(p.id);
    const r = programRow(p.id);
    const st = r.cells.state;
    if (st.textContent !== p.state) {
      st.textContent = p.state;
      st.className = "state state-" + p.state;
    }
    r.tr.dataset.state = p.state;
    r.cells.pid.textContent = p.pid == null ? "" : p.pid;
    r.cells.uptime.textContent = duration(p.uptime);
    r.cells.restarts.textContent = p.restarts;
    r.cells.cpu.replaceChildren(spark(p.cpu, 100, (v) => (v == null ? "" : v.toFixed(1) + "%")));
    r.cells.mem.replaceChildren(spark(p.rss, 1, bytes));
    if (r.tr.parentNode !== tbody || tbody.children[programs.indexOf(p)] !== r.tr) {
      tbody.append(r.tr);
    }
    renderLog(p);
  }
  for (const [id, r] of rows) {
    if (!ids.has(id)) { r.tr.remove(); rows.delete(id); }
  }
  for (const [id, pane] of logPanes) {
    if (!ids.has(id)) { pane.box.remove(); logPanes.delete(id); }
  }
}

function renderLog(p) {
  let pane = logPanes.get(p.id);
  if (!pane) {
    const pre = el("pre");
    const box = el("div", { className: "log" }, el("h3", { textContent: p.id + " (stdout)" }), pre);
    box.dataset.id = p.id;
    $("#logs").append(box);
    pane = { box, pre, text: null };
    logPanes.set(p.id, pane);
  }
  const text = p.log_error ? "(" + p.log_error + ")" : list(p.log).join("\n");
  if (text !== pane.text) {
    const atEnd = pane.pre.scrollTop + pane.pre.clientHeight >= pane.pre.scrollHeight - 4;
    pane.pre.textContent = text;
    pane.text = text;
    if (atEnd) pane.pre.scrollTop = pane.pre.scrollHeight;
  }
}

function chartRow(label, node) {
  return el("div", { className: "chart-row" }, el("span", { className: "label", textContent: label }), node);
}

function renderNode(node) {
  const sched = list(node.sched).map((s, i) =>
    chartRow("scheduler " + i, spark(s, 1, (v) => (v == null ? "" : Math.round(v * 100) + "%"))));
  $("#sched").replaceChildren(...sched);
  $("#mem").replaceChildren(
    chartRow("OS process", spark(node.rss, 1, bytes)),
    chartRow("process heaps", spark(node.heap, 1, bytes)));
  const procs = list(node.processes);
  $("#ptotal").textContent = procs.length < (node.total || 0)
    ? "(" + procs.length + " of " + node.total + ")" : "(" + procs.length + ")";
  const trs = procs.map((p) => {
    const tr = el("tr");
    tr.dataset.pid = p.pid;
    const cells = [p.pid, p.name, p.status, p.msgs, bytes(p.heap), p.reductions, p.rate,
                   list(p.links).join(" "), p.monitors];
    cells.forEach((c, i) => {
      tr.append(el("td", { textContent: c == null ? "" : c, className: i >= 3 && i <= 6 || i === 8 ? "num" : "" }));
    });
    return tr;
  });
  $("#procs tbody").replaceChildren(...trs);
}

function render(state) {
  $("#mode").textContent = state.mode === "supervise" ? "supervisor" : "observer";
  const programs = list(state.programs);
  $("#programs-section").hidden = state.mode !== "supervise";
  if (state.mode === "supervise") renderPrograms(programs);
  renderNode(state.node || {});
}

function say(text, error) {
  const m = $("#msg");
  m.textContent = text;
  m.className = error ? "error" : "";
}

async function act(id, action, signal) {
  const buttons = document.querySelectorAll(`button[data-id="${CSS.escape(id)}"]`);
  buttons.forEach((b) => (b.disabled = true));
  const params = [tq, signal ? "signal=" + encodeURIComponent(signal) : ""].filter(Boolean).join("&");
  try {
    const r = await fetch("/api/programs/" + encodeURIComponent(id) + "/" + action + (params ? "?" + params : ""),
                          { method: "POST" });
    const body = await r.json().catch(() => ({ ok: false, error: "HTTP " + r.status }));
    say(body.ok ? id + ": " + action + " done" : id + ": " + body.error, !body.ok);
  } catch (e) {
    say(id + ": " + e, true);
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}

let backoff = 500;
function connect() {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(proto + "//" + location.host + "/ws" + (tq ? "?" + tq : ""));
  const conn = $("#conn");
  ws.onopen = () => { conn.textContent = "live"; conn.className = "conn up"; backoff = 500; };
  ws.onmessage = (e) => {
    try { render(JSON.parse(e.data)); } catch (err) { say("bad update: " + err, true); }
  };
  ws.onclose = () => {
    conn.textContent = "disconnected, retrying";
    conn.className = "conn down";
    setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 10000);
  };
}
connect();
