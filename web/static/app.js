// Vigil's page script. It never inserts HTML: every value from the API
// (crawled, attacker-controlled text) goes in through textContent, and every
// link it makes is a same-origin path. The CSP allows no other script.
"use strict";

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function link(href, text, cls) {
  const a = el("a", text, cls);
  a.href = href;
  return a;
}

// goLink is a crawled URL shown as text, opening only the warning page.
function goLink(u) {
  return link("/go?url=" + encodeURIComponent(u), u, "crawled");
}

function fmtDate(s) {
  if (!s) return "";
  const d = new Date(s);
  return isNaN(d) ? String(s) : d.toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

async function api(method, path, body) {
  const opt = { method: method, headers: {}, credentials: "same-origin" };
  if (body instanceof FormData) opt.body = body;
  else if (body !== undefined) {
    opt.body = JSON.stringify(body);
    opt.headers["Content-Type"] = "application/json";
  }
  const resp = await fetch(path, opt);
  let data = null;
  try { data = await resp.json(); } catch (e) { data = null; }
  if (!resp.ok) throw new Error((data && data.error) || resp.status + " " + resp.statusText);
  return data;
}

// Copy buttons: <button data-copy="ID"> copies the text of element ID.
function initCopy() {
  document.querySelectorAll("button[data-copy]").forEach(function (b) {
    b.addEventListener("click", async function () {
      const src = document.getElementById(b.dataset.copy);
      const status = document.getElementById("copy-status");
      const text = src ? src.textContent : "";
      try {
        await navigator.clipboard.writeText(text);
        if (status) status.textContent = "copied";
      } catch (e) {
        const r = document.createRange();
        r.selectNodeContents(src);
        const sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(r);
        if (status) status.textContent = "selected: press Ctrl-C to copy";
      }
    });
  });
}

// Crawls: poll /api/crawls and offer pause/resume/stop.
function initCrawls() {
  const table = document.getElementById("crawls");
  const tbody = table.querySelector("tbody");
  const control = table.dataset.control === "1";
  const pollStatus = document.getElementById("poll-status");

  function row(c) {
    const tr = el("tr");
    tr.dataset.id = c.id;
    tr.dataset.state = c.state;
    const idCell = el("td");
    idCell.appendChild(el("code", c.id));
    tr.appendChild(idCell);
    tr.appendChild(el("td", c.state, "state"));
    ["pages", "queued", "indexed", "findings", "images", "errors"].forEach(function (k) {
      tr.appendChild(el("td", c[k] || 0, k));
    });
    tr.appendChild(el("td", fmtDate(c.started_at)));
    const seeds = el("td");
    (c.seeds || []).forEach(function (s) { seeds.appendChild(goLink(s)); seeds.appendChild(document.createTextNode(" ")); });
    tr.appendChild(seeds);
    const act = el("td", null, "actions");
    const done = ["stopped", "finished", "failed", "terminated", "canceled", "timedout"].indexOf(c.state) >= 0;
    if (control && !done) {
      const cmds = c.state === "paused" ? ["resume", "stop"] : ["pause", "stop"];
      cmds.forEach(function (cmd) {
        const b = el("button", cmd, "crawl-" + cmd);
        b.type = "button";
        b.dataset.cmd = cmd;
        b.addEventListener("click", async function () {
          if (cmd === "stop" && !window.confirm("Stop crawl " + c.id + "? A stopped crawl cannot be resumed.")) return;
          b.disabled = true;
          try {
            await api("POST", "/api/crawls/" + encodeURIComponent(c.id) + "/" + cmd);
            pollStatus.textContent = cmd + " sent to " + c.id;
          } catch (e) {
            pollStatus.textContent = cmd + " failed: " + e.message;
          }
          refresh();
        });
        act.appendChild(b);
      });
    }
    if (c.last_error) act.appendChild(el("div", c.last_error, "error"));
    tr.appendChild(act);
    return tr;
  }

  async function refresh() {
    try {
      const list = await api("GET", "/api/crawls");
      tbody.replaceChildren.apply(tbody, (list || []).map(row));
      table.dataset.updated = String(Date.now());
    } catch (e) {
      pollStatus.textContent = "refresh failed: " + e.message;
    }
  }

  const form = document.getElementById("start-crawl");
  if (form) {
    form.addEventListener("submit", async function (ev) {
      ev.preventDefault();
      const f = new FormData(form);
      const status = document.getElementById("start-status");
      const req = {
        seeds: String(f.get("seeds")).split(/\s+/).filter(Boolean),
        max_pages: parseInt(f.get("max_pages"), 10) || 0,
        max_depth: parseInt(f.get("max_depth"), 10) || 0,
        case_id: String(f.get("case_id") || ""),
      };
      try {
        const st = await api("POST", "/api/crawls", req);
        status.textContent = "started " + st.id;
      } catch (e) {
        status.textContent = "not started: " + e.message;
      }
      refresh();
    });
  }
  refresh();
  setInterval(refresh, 2000);
}

// Schedules: poll /api/schedules; create, pause, resume and delete them.
// The list comes from Temporal's visibility store, which may lag a create or
// delete by a moment: a schedule created here is shown from the create answer
// until the list has it, and one deleted here is hidden at once.
function initSchedules() {
  const table = document.getElementById("schedules");
  if (!table) return; // no scheduler on this server
  const tbody = table.querySelector("tbody");
  const control = table.dataset.control === "1";
  const pollStatus = document.getElementById("schedules-poll");
  const pending = new Map(); // id → status, created here and not yet listed
  const deleted = new Set();

  function row(sc) {
    const state = sc.paused ? "paused" : "active";
    const tr = el("tr");
    tr.dataset.id = sc.id;
    tr.dataset.state = state;
    const idCell = el("td");
    idCell.appendChild(el("code", sc.id));
    tr.appendChild(idCell);
    tr.appendChild(el("td", sc.every, "every"));
    tr.appendChild(el("td", state, "state"));
    tr.appendChild(el("td", sc.runs || 0, "runs"));
    tr.appendChild(el("td", sc.skipped || 0, "skipped"));
    tr.appendChild(el("td", fmtDate((sc.next_runs || [])[0]), "next"));
    const recent = el("td");
    (sc.recent_crawls || []).forEach(function (id) { recent.appendChild(el("code", id)); recent.appendChild(document.createTextNode(" ")); });
    tr.appendChild(recent);
    const crawl = sc.crawl || {};
    const seeds = el("td");
    (crawl.seeds || []).forEach(function (s) { seeds.appendChild(goLink(s)); seeds.appendChild(document.createTextNode(" ")); });
    tr.appendChild(seeds);
    tr.appendChild(el("td", crawl.case_id || ""));
    tr.appendChild(el("td", sc.note || ""));
    const act = el("td", null, "actions");
    if (control) {
      [sc.paused ? "resume" : "pause", "delete"].forEach(function (cmd) {
        const b = el("button", cmd, "schedule-" + cmd);
        b.type = "button";
        b.addEventListener("click", async function () {
          if (cmd === "delete" && !window.confirm("Delete schedule " + sc.id + "? Crawls it started are kept.")) return;
          b.disabled = true;
          try {
            if (cmd === "delete") await api("DELETE", "/api/schedules/" + encodeURIComponent(sc.id));
            else await api("POST", "/api/schedules/" + encodeURIComponent(sc.id) + "/" + cmd);
            pollStatus.textContent = cmd + " sent to " + sc.id;
            if (cmd === "delete") { deleted.add(sc.id); pending.delete(sc.id); }
            else if (pending.has(sc.id)) pending.get(sc.id).paused = cmd === "pause";
          } catch (e) {
            pollStatus.textContent = cmd + " failed: " + e.message;
          }
          refresh();
        });
        act.appendChild(b);
      });
    }
    tr.appendChild(act);
    return tr;
  }

  async function refresh() {
    try {
      const list = ((await api("GET", "/api/schedules")) || []).filter(function (sc) { return !deleted.has(sc.id); });
      list.forEach(function (sc) { pending.delete(sc.id); });
      const shown = Array.from(pending.values()).concat(list);
      tbody.replaceChildren.apply(tbody, shown.map(row));
      table.dataset.updated = String(Date.now());
    } catch (e) {
      pollStatus.textContent = "refresh failed: " + e.message;
    }
  }

  const form = document.getElementById("create-schedule");
  if (form) {
    form.addEventListener("submit", async function (ev) {
      ev.preventDefault();
      const f = new FormData(form);
      const status = document.getElementById("schedule-status");
      const req = {
        every: String(f.get("every") || "").trim(),
        note: String(f.get("note") || ""),
        crawl: {
          seeds: String(f.get("seeds")).split(/\s+/).filter(Boolean),
          max_pages: parseInt(f.get("max_pages"), 10) || 0,
          max_depth: parseInt(f.get("max_depth"), 10) || 0,
          case_id: String(f.get("case_id") || ""),
        },
      };
      try {
        const sc = await api("POST", "/api/schedules", req);
        pending.set(sc.id, sc);
        status.textContent = "created " + sc.id;
      } catch (e) {
        status.textContent = "not created: " + e.message;
      }
      refresh();
    });
  }
  refresh();
  setInterval(refresh, 5000);
}

// Match: upload the photo to /api/match and list the hits, no image shown.
function initMatch() {
  const form = document.getElementById("match-form");
  const table = document.getElementById("match-results");
  const status = document.getElementById("match-status");
  form.addEventListener("submit", async function (ev) {
    ev.preventDefault();
    const file = document.getElementById("match-file").files[0];
    if (!file) return;
    const fd = new FormData();
    fd.append("image", file);
    status.textContent = "matching…";
    table.hidden = true;
    try {
      const hits = (await api("POST", "/api/match", fd)) || [];
      const list = Array.isArray(hits) ? hits : (hits.hits || []);
      const rows = list.map(function (h) {
        const im = h.image || {};
        const tr = el("tr", null, "match-hit band-" + (h.band || "none"));
        tr.appendChild(el("td", h.band || "", "band"));
        tr.appendChild(el("td", h.algorithm, "algorithm"));
        tr.appendChild(el("td", h.distance, "distance"));
        tr.appendChild(el("td", h.variant || "", "variant"));
        const page = el("td", null, "page");
        if (im.document_id) page.appendChild(link("/doc/" + encodeURIComponent(im.document_id), im.page_url, "doc"));
        else page.appendChild(goLink(im.page_url || ""));
        tr.appendChild(page);
        tr.appendChild(el("td", im.site || ""));
        const iu = el("td", null, "image-url");
        iu.appendChild(goLink(im.url || ""));
        tr.appendChild(iu);
        tr.appendChild(el("td", fmtDate(h.first_seen || im.captured_at)));
        tr.appendChild(el("td", fmtDate(h.last_seen || im.captured_at)));
        return tr;
      });
      const tbody = table.querySelector("tbody");
      tbody.replaceChildren.apply(tbody, rows);
      table.hidden = false;
      status.textContent = rows.length + " match(es)";
    } catch (e) {
      status.textContent = "match failed: " + e.message;
    }
  });
}

// Alerts: list /api/alerts generically, every value as text.
async function initAlerts() {
  const status = document.getElementById("alerts-status");
  const table = document.getElementById("alerts");
  try {
    const data = await api("GET", "/api/alerts");
    const list = Array.isArray(data) ? data : (data && (data.alerts || data.items)) || [];
    status.textContent = list.length + " alert(s)";
    if (list.length === 0) return;
    const cols = [];
    list.forEach(function (a) { Object.keys(a).forEach(function (k) { if (cols.indexOf(k) < 0 && typeof a[k] !== "object") cols.push(k); }); });
    const head = table.querySelector("thead tr");
    cols.forEach(function (k) { head.appendChild(el("th", k)); });
    const tbody = table.querySelector("tbody");
    list.forEach(function (a) {
      const tr = el("tr");
      cols.forEach(function (k) {
        const v = a[k] === undefined ? "" : a[k];
        const td = el("td");
        if (/url$/.test(k) && v) td.appendChild(goLink(v));
        else td.textContent = /(_at|time|seen)$/.test(k) ? fmtDate(v) : String(v);
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
    });
    table.hidden = false;
  } catch (e) {
    status.textContent = "alerts unavailable: " + e.message;
  }
}

document.addEventListener("DOMContentLoaded", function () {
  initCopy();
  switch (document.body.dataset.page) {
    case "crawls": initCrawls(); initSchedules(); break;
    case "match": initMatch(); break;
    case "alerts": initAlerts(); break;
  }
});
