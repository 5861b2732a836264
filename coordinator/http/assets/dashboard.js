// dashboard.js: the coordinator dashboard. Polls the read-only JSON API
// (/api/v1/...) and updates the page in place, without reloading. Int64 fields
// arrive as JSON strings (proto3 JSON), hence Number(). Text from the API is
// inserted with textContent only; the figures fragment is HTML escaped by the
// coordinator (coordinator/http/figures_fragment.cc).
//
// With --auth-file every data call needs `Authorization: Bearer <token>`: on
// a 401 the page shows a token field; the token is kept in sessionStorage
// (this tab only, gone when it closes) and sent with every call.
'use strict';

const POLL_MS = 1000;
const TOKEN_KEY = 'ablate-token';

function authHeaders() {
  const t = sessionStorage.getItem(TOKEN_KEY);
  return t ? { Authorization: 'Bearer ' + t } : {};
}

function showSignIn(show) {
  const box = document.getElementById('token-box');
  if (box) box.hidden = !show;
  const out = document.getElementById('token-clear');
  if (out) out.hidden = show || !sessionStorage.getItem(TOKEN_KEY);
}

// Every data call: the token if there is one; a 401 asks for one.
async function apiFetch(url) {
  const r = await fetch(url, { cache: 'no-store', headers: authHeaders() });
  if (r.status === 401) {
    showSignIn(true);
    throw new Error(sessionStorage.getItem(TOKEN_KEY) ? 'token refused: sign in again'
                                                      : 'this coordinator needs a token: sign in');
  }
  if (!r.ok) throw new Error(url + ': HTTP ' + r.status);
  showSignIn(false);
  return r;
}

function num(v) { const n = Number(v); return Number.isFinite(n) ? n : 0; }

function duration(ms) {
  if (ms < 0) return '\u2013';
  let s = Math.round(ms / 1000);
  if (s < 60) return s + 's';
  if (s < 3600) return Math.floor(s / 60) + 'm' + String(s % 60).padStart(2, '0') + 's';
  if (s < 86400) return Math.floor(s / 3600) + 'h' + String(Math.floor(s % 3600 / 60)).padStart(2, '0') + 'm';
  return Math.floor(s / 86400) + 'd' + String(Math.floor(s % 86400 / 3600)).padStart(2, '0') + 'h';
}

function ago(unixMs) {
  const ms = num(unixMs);
  return ms > 0 ? duration(Date.now() - ms) + ' ago' : '\u2013';
}

function stateName(s) {
  return String(s || '').replace(/^SWEEP_/, '').toLowerCase();
}

async function getJson(url) {
  return (await apiFetch(url)).json();
}

function setText(id, text) {
  const el = document.getElementById(id);
  if (el && el.textContent !== String(text)) el.textContent = String(text);
}

function cell(tr, text, cls) {
  const td = document.createElement('td');
  td.textContent = String(text);
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}

function miniBar(tr, fraction) {
  const td = document.createElement('td');
  const bar = document.createElement('span');
  bar.className = 'mini';
  const fill = document.createElement('span');
  fill.className = 'fill';
  fill.style.display = 'block';
  fill.style.width = (Math.max(0, Math.min(1, fraction)) * 100).toFixed(1) + '%';
  bar.appendChild(fill);
  td.appendChild(bar);
  tr.appendChild(td);
}

function replaceRows(tableId, rows, emptyText, columns) {
  const body = document.querySelector('#' + tableId + ' tbody');
  const fresh = document.createElement('tbody');
  for (const row of rows) fresh.appendChild(row);
  if (rows.length === 0) {
    const tr = document.createElement('tr');
    const td = cell(tr, emptyText, 'empty');
    td.colSpan = columns;
    fresh.appendChild(tr);
  }
  body.replaceWith(fresh);
}

function counts(c) {
  c = c || {};
  const done = num(c.succeeded) + num(c.failed) + num(c.cancelled);
  return { total: num(c.total), done, queued: num(c.queued), leased: num(c.leased),
           succeeded: num(c.succeeded), failed: num(c.failed), cancelled: num(c.cancelled) };
}

function workerRows(workers) {
  return workers.map((w) => {
    const tr = document.createElement('tr');
    cell(tr, w.worker_id);
    cell(tr, w.host);
    cell(tr, w.device);
    cell(tr, w.alive ? 'yes' : 'no');
    cell(tr, num(w.active_leases), 'num');
    cell(tr, (w.jobs || []).map((j) => num(j.job_id) + ' (' + Math.round(100 * num(j.fraction)) + '%)')
        .join(', ') || '\u2013');
    cell(tr, num(w.tokens_per_second).toFixed(1), 'num');
    cell(tr, (w.loaded_models || []).length, 'num');
    cell(tr, ago(w.last_seen_unix_ms));
    return tr;
  });
}

function setStatus(error) {
  const el = document.getElementById('status');
  el.className = error ? 'status error' : 'status';
  el.textContent = error ? String(error.message || error) : 'updated ' + new Date().toLocaleTimeString();
}

// ---- index page

async function refreshIndex() {
  const [sweeps, workers] = await Promise.all([getJson('/api/v1/sweeps'), getJson('/api/v1/workers')]);
  const list = (sweeps.sweeps || []).slice().sort((a, b) => num(b.sweep_id) - num(a.sweep_id));
  replaceRows('sweeps', list.map((s) => {
    const c = counts(s.counts);
    const tr = document.createElement('tr');
    const td = document.createElement('td');
    const a = document.createElement('a');
    a.href = '/sweeps/' + num(s.sweep_id);
    a.textContent = String(num(s.sweep_id));
    td.appendChild(a);
    tr.appendChild(td);
    cell(tr, s.name);
    cell(tr, stateName(s.state));
    miniBar(tr, c.total > 0 ? c.done / c.total : 0);
    cell(tr, c.done + '/' + c.total, 'num');
    cell(tr, c.leased, 'num');
    cell(tr, c.failed, 'num');
    cell(tr, num(s.jobs_per_second).toFixed(2), 'num');
    cell(tr, duration(num(s.eta_ms)));
    cell(tr, ago(s.created_unix_ms));
    return tr;
  }), 'no sweeps', 10);
  replaceRows('workers', workerRows(workers.workers || []), 'no workers', 9);
}

// ---- sweep page

let lastFiguresDone = -1;

async function refreshSweep(id) {
  const [sweep, workers, failed] = await Promise.all([
    getJson('/api/v1/sweeps/' + id),
    getJson('/api/v1/workers'),
    getJson('/api/v1/sweeps/' + id + '/jobs?state=failed&page_size=20'),
  ]);
  const c = counts(sweep.counts);
  setText('sweep-id', id);
  setText('sweep-name', sweep.name || '');
  setText('sweep-state', stateName(sweep.state));
  setText('done-count', c.done);
  setText('total-count', c.total);
  for (const k of ['queued', 'leased', 'succeeded', 'failed', 'cancelled']) setText('count-' + k, c[k]);
  setText('jobs-per-second', num(sweep.jobs_per_second).toFixed(2));
  setText('eta', duration(num(sweep.eta_ms)));
  document.getElementById('progress-fill').style.width =
      (c.total > 0 ? (100 * c.done / c.total) : 0).toFixed(1) + '%';

  const running = (sweep.running || []).slice().sort((a, b) => num(a.job_id) - num(b.job_id));
  replaceRows('running', running.map((p) => {
    const tr = document.createElement('tr');
    cell(tr, num(p.job_id), 'num');
    cell(tr, p.worker_id);
    cell(tr, num(p.attempt), 'num');
    miniBar(tr, num(p.fraction));
    cell(tr, num(p.items_total) > 0 ? num(p.items_done) + '/' + num(p.items_total) : '\u2013', 'num');
    cell(tr, num(p.tokens_done), 'num');
    cell(tr, p.message || '');
    return tr;
  }), 'no job running', 7);

  const busy = new Set(running.map((p) => p.worker_id));
  const mine = (workers.workers || []).filter((w) => busy.has(w.worker_id) ||
      (w.jobs || []).some((j) => num(j.sweep_id) === id));
  replaceRows('workers', workerRows(mine), 'no worker holds a job of this sweep', 9);

  replaceRows('failures', (failed.jobs || []).map((j) => {
    const tr = document.createElement('tr');
    cell(tr, num(j.job_id), 'num');
    cell(tr, num(j.attempts), 'num');
    cell(tr, j.worker_id || '');
    cell(tr, j.last_error || '', 'error');
    return tr;
  }), 'no failures', 4);

  if (c.done !== lastFiguresDone) {
    const r = await apiFetch('/sweeps/' + id + '/figures');
    document.getElementById('figures').innerHTML = await r.text();
    lastFiguresDone = c.done;
  }
}

function start() {
  const page = document.body.dataset.page;
  let refresh;
  if (page === 'sweep') {
    const m = /^\/sweeps\/(\d+)/.exec(location.pathname);
    const id = m ? Number(m[1]) : 0;
    refresh = () => refreshSweep(id);
  } else {
    refresh = refreshIndex;
  }
  const tick = async () => {
    try {
      await refresh();
      setStatus(null);
    } catch (e) {
      setStatus(e);
    }
    setTimeout(tick, POLL_MS);
  };
  const input = document.getElementById('token-input');
  document.getElementById('token-save').addEventListener('click', () => {
    const t = input.value.trim();
    input.value = '';
    if (t) sessionStorage.setItem(TOKEN_KEY, t);
    showSignIn(false);  // the next poll (within POLL_MS) uses it
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') document.getElementById('token-save').click();
  });
  document.getElementById('token-clear').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    location.reload();
  });
  tick();
}

document.addEventListener('DOMContentLoaded', start);
