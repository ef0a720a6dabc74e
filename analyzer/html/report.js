/* faultprof's HTML report: draws the report model that report_html.c put in
 * #fp-data (summary, diagnoses, tables, timeline, flame graphs).  It only
 * sums what is there: a flame graph's boxes are the sums of the rows of the
 * processes and intervals selected.  No network, no libraries. */
'use strict';

const D = JSON.parse(document.getElementById('fp-data').textContent);
const MODE = document.body.dataset.mode;

/* ---- small helpers ---- */

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const k in attrs || {}) {
    if (k === 'class') e.className = attrs[k];
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), attrs[k]);
    else e.setAttribute(k, attrs[k]);
  }
  for (const c of kids) if (c != null) e.append(c);
  return e;
}
const SVGNS = 'http://www.w3.org/2000/svg';
function svg(tag, attrs) {
  const e = document.createElementNS(SVGNS, tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  return e;
}
function fmtBytes(v) {
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let d = v, i = 0;
  while (d >= 1024 && i < 5) { d /= 1024; i++; }
  return i === 0 ? v + ' B' : d.toFixed(d < 10 ? 2 : d < 100 ? 1 : 0) + ' ' + u[i];
}
function fmtCount(v) {
  return v < 100000 ? String(Math.round(v)) : v < 1e8 ? (v / 1e3).toFixed(1) + 'k'
                                                      : (v / 1e6).toFixed(1) + 'M';
}
function fmtSecs(s) { return s < 1 ? (s * 1e3).toFixed(1) + ' ms' : s.toFixed(2) + ' s'; }
const BYTE_METRICS = new Set(['bytes', 'peak', 'leaked']);
function fmtMetric(m, v) { return BYTE_METRICS.has(m) ? fmtBytes(v) : fmtCount(v); }
function exact(v) { return Math.round(v).toLocaleString('en-US'); }

/* A frame id: [function, file, line, module, inlined]; -1 root, -2 other, -3 no stack. */
function frameName(id) {
  if (id === -1) return 'all';
  if (id === -2) return 'other';
  if (id === -3) return '[no stack]';
  return D.frames[id][0];
}
function frameWhere(id) {
  if (id < 0) return '';
  const f = D.frames[id];
  const base = f[1] ? f[1].split('/').pop() : '';
  return base ? base + (f[2] ? ':' + f[2] : '') : '';
}
function frameText(id) {
  const w = frameWhere(id);
  return frameName(id) + (w ? ' (' + w + ')' : '');
}

/* ---- the state every view follows ---- */

const state = {
  procs: null,        /* Set of process indexes, null: all */
  range: null,        /* [first, last] interval of the time axis, null: the whole run */
  metric: 'allocations',
  zoom: 0,            /* node the flame graph is zoomed to */
  search: '',
  threads: false,     /* the timeline per thread */
};
const listeners = [];
function changed() { for (const f of listeners) f(); }
function procOn(pi) { return !state.procs || state.procs.has(pi); }

/* ---- first screen: summary, diagnoses, top lists ---- */

function summaryView(s, title) {
  const kv = (k, v) => el('div', { class: 'kv' }, el('span', null, k), el('b', null, v));
  const pct = s.allocations ? (100 * s.temporary_allocations / s.allocations).toFixed(1) : '0.0';
  const g = el('div', { class: 'grid' },
    kv('processes, threads', s.processes + ', ' + s.threads),
    kv('allocations', exact(s.allocations) + ' (' + fmtBytes(s.bytes_allocated) + ')'),
    kv('frees, reallocs', exact(s.frees) + ', ' + exact(s.reallocs)),
    kv('peak heap', fmtBytes(s.peak_heap_bytes) + ' at ' + fmtSecs(s.peak_heap_seconds)),
    kv('leaked', fmtBytes(s.leaked_bytes) + ' in ' + exact(s.leaked_blocks) + ' blocks'),
    kv('temporary', exact(s.temporary_allocations) + ' (' + pct + '%)'),
    kv('mmapped allocations', exact(s.mmapped_allocations) + ' (' + fmtBytes(s.mmapped_bytes) + ')'),
    kv('minor page faults', exact(s.minor_faults)),
    kv('major page faults', exact(s.major_faults)),
    kv('fault samples', exact(s.fault_samples)),
    kv('wall, user, sys', s.wall_seconds.toFixed(2) + ' s, ' + s.user_seconds.toFixed(2) +
       ' s, ' + s.sys_seconds.toFixed(2) + ' s'),
    kv('max RSS', s.max_rss_kb ? fmtBytes(s.max_rss_kb * 1024) : 'not recorded'));
  return el('section', { id: title ? null : 'summary' }, title ? el('h3', null, title) : null, g);
}

function diagnosesView(diags) {
  const sec = el('section', { id: 'diagnoses' }, el('h2', null, 'Diagnoses'));
  if (!diags.length) sec.append(el('p', { class: 'sub' }, 'No diagnosis: nothing matched the known patterns.'));
  diags.forEach((d, i) => sec.append(el('div', { class: 'diag' },
    el('h3', null, (i + 1) + '. ' + d.kind + ': ' + d.title),
    el('p', null, el('b', null, 'allocation site: '), el('span', { class: 'mono' }, d.where)),
    d.touched_in ? el('p', null, el('b', null, 'faults taken in: '), el('span', { class: 'mono' }, d.touched_in)) : null,
    el('p', null, el('b', null, 'evidence: '), d.evidence),
    el('p', null, el('b', null, 'advice: '), d.advice),
    el('p', null, el('b', null, 'saving: '), d.saving))));
  return sec;
}

function siteCell(f, depth) {
  const td = el('td', { class: 'name mono' }, f.length ? frameText(f[0]) : '[no stack]');
  for (let k = 1; k < f.length && k <= depth; k++)
    td.append(el('div', { class: 'callers' }, '<- ' + frameText(f[k])));
  return td;
}

/* A sortable table of sites: cols are [key, header, format]. */
function sitesTable(rows, cols, sortKey, limit, depth) {
  const t = el('table');
  let key = sortKey;
  const head = el('tr', null, el('th', { class: 'name' }, 'site <- callers'));
  const body = el('tbody');
  cols.forEach(c => {
    const th = el('th', { 'data-key': c[0] }, c[1]);
    th.addEventListener('click', () => { key = c[0]; draw(); });
    head.append(th);
  });
  function val(r, k) { return k === 'faults' ? r.minor_faults + r.major_faults : r[k]; }
  function draw() {
    for (const th of head.querySelectorAll('th[data-key]'))
      th.classList.toggle('sorted', th.dataset.key === key);
    const sorted = rows.slice().sort((a, b) => val(b, key) - val(a, key));
    body.replaceChildren(...sorted.slice(0, limit).map(r =>
      el('tr', null, siteCell(r.f, depth), ...cols.map(c => el('td', null, c[2](val(r, c[0])))))));
  }
  t.append(el('thead', null, head), body);
  draw();
  return t;
}

const SITE_COLS = [['allocations', 'allocations', fmtCount], ['bytes', 'bytes', fmtBytes],
                   ['peak', 'peak', fmtBytes], ['leaked', 'leaked', fmtBytes],
                   ['temporary', 'temporary', fmtCount], ['faults', 'faults on its memory', fmtCount]];
const FAULT_COLS = [['minor_faults', 'minor', fmtCount], ['major_faults', 'major', fmtCount],
                    ['samples', 'samples', fmtCount]];

function topView() {
  const left = el('div', null, el('h2', null, 'Top allocation sites'),
                  sitesTable(D.sites, SITE_COLS.slice(0, 3), 'allocations', 10, 2));
  const right = el('div', null, el('h2', null, 'Top fault sources (code that took the faults)'),
                   el('p', { class: 'note' }, 'Page faults ' + D.fault_mode +
                      (D.fault_period ? '; estimated: samples x period' : '')),
                   sitesTable(D.fault_sources, FAULT_COLS, 'minor_faults', 10, 2));
  if (D.by_memory.length) {
    const t = el('table', null, el('tr', null, el('th', { class: 'name' }, 'allocation site (its memory was touched)'),
                                   el('th', null, 'faults'), el('th', { class: 'name' }, 'touched most by')));
    for (const b of D.by_memory)
      t.append(el('tr', null, el('td', { class: 'name mono' }, b.site), el('td', null, fmtCount(b.faults)),
                  el('td', { class: 'name mono' }, b.toucher + ' (' + (100 * b.share).toFixed(0) + '%)')));
    right.append(el('h3', null, 'Faults by memory'), t);
  }
  return el('section', { class: 'cols', id: 'top' }, left, right);
}

/* ---- processes ---- */

function procsView() {
  const sec = el('section', { id: 'procs' }, el('h2', null, 'Processes'));
  const byPid = new Map(D.procs.map((p, i) => [p.pid, i]));
  const kids = new Map();
  const roots = [];
  D.procs.forEach((p, i) => {
    const pi = byPid.get(p.ppid);
    if (pi === undefined || pi === i) roots.push(i);
    else (kids.get(pi) || kids.set(pi, []).get(pi)).push(i);
  });
  const boxes = [];
  function item(i) {
    const p = D.procs[i];
    const cb = el('input', { type: 'checkbox', 'data-proc': i });
    cb.checked = true;
    boxes.push(cb);
    cb.addEventListener('change', () => {
      const on = boxes.filter(b => b.checked).map(b => +b.dataset.proc);
      state.procs = on.length === D.procs.length ? null : new Set(on);
      state.zoom = 0;
      changed();
    });
    const li = el('li', null, el('label', null, cb, ' ' + p.pid + ' ',
      el('span', { class: 'mono' }, p.command || p.exe),
      el('span', { class: 'sub' }, ' — ' + fmtCount(p.allocations) + ' allocations, peak ' +
         fmtBytes(p.peak) + ', ' + fmtCount(p.minor_faults + p.major_faults) + ' faults')));
    const k = kids.get(i);
    if (k) li.append(el('ul', { class: 'procs' }, ...k.map(item)));
    return li;
  }
  sec.append(el('ul', { class: 'procs' }, ...roots.map(item)));
  return sec;
}

/* ---- timeline ---- */

function timelineView() {
  const sec = el('section', { id: 'timeline' }, el('h2', null, 'Timeline'));
  if (!D.axis || !D.axis.n) {
    sec.append(el('p', { class: 'sub' }, 'No timeline in this report.'));
    return sec;
  }
  const n = D.axis.n, wsec = D.axis.width_ns / 1e9;
  const info = el('p', { class: 'note' });
  const clear = el('button', { onclick: () => { state.range = null; state.zoom = 0; changed(); } }, 'whole run');
  const perThread = el('button', { id: 'tl-per-thread', onclick: () => {
    state.threads = !state.threads; perThread.classList.toggle('on', state.threads); draw(); } }, 'per thread');
  sec.append(el('p', { class: 'note' }, 'Blue: live heap bytes (the most in each interval of ' +
             fmtSecs(wsec) + '). Red bars: page faults per interval. Green dashed: max RSS at exit ' +
             '(the trace records no RSS over time). Drag to select an interval: the flame graphs ' +
             'then show the allocations made and the faults taken in it. "per thread" adds a lane ' +
             'per thread: the live bytes of the blocks it allocated (whoever frees them) and the ' +
             'faults it took.'),
             el('div', { class: 'bar' }, clear, perThread, info));
  const W = 1000, H = 190, top = 18, ph = 100, ftop = top + ph + 8, fh = 44;
  const s = svg('svg', { id: 'tl', viewBox: '0 0 ' + W + ' ' + H, preserveAspectRatio: 'none', height: H });
  const lanes = el('div', { id: 'tl-lanes' });
  sec.append(s, lanes);
  function series() {
    const heap = new Array(n).fill(0), faults = new Array(n).fill(0);
    for (const se of D.series) {
      if (!procOn(se.proc)) continue;
      const fr = se.faults.some(v => v) ? se.faults : se.rusage_faults;
      for (let b = 0; b < n; b++) {
        if (se.heap_max[b] !== null) heap[b] += se.heap_max[b];
        faults[b] += fr[b];
      }
    }
    return { heap, faults };
  }
  function label(x, y, text) {
    const t = svg('text', { x: Math.min(x + 4, W - 200), y });
    t.textContent = text;
    s.append(t);
  }
  function draw() {
    drawLanes(lanes, state.threads, W, n, wsec);
    const { heap, faults } = series();
    let rss = 0, pk = -1;
    D.procs.forEach((p, i) => {
      if (!procOn(i)) return;
      rss = Math.max(rss, p.max_rss_kb * 1024);
      if (pk < 0 || p.peak > D.procs[pk].peak) pk = i;
    });
    const hmax = Math.max(1, ...heap), fmax = Math.max(1, ...faults);
    /* RSS on the heap's scale only when that leaves the heap readable */
    const rssShown = rss && rss <= 4 * hmax, ymax = rssShown ? Math.max(hmax, rss) : hmax;
    const x = b => b * W / n, y = v => top + ph - v * ph / ymax;
    s.replaceChildren();
    let d = 'M0,' + y(0);
    for (let b = 0; b < n; b++) d += ' L' + x(b) + ',' + y(heap[b]) + ' L' + x(b + 1) + ',' + y(heap[b]);
    d += ' L' + W + ',' + y(0) + ' Z';
    s.append(svg('path', { class: 'heap', d }));
    for (let b = 0; b < n; b++)
      if (faults[b]) s.append(svg('rect', { class: 'fault', x: x(b), width: Math.max(1, W / n - .5),
                                            y: ftop + fh - faults[b] * fh / fmax, height: faults[b] * fh / fmax }));
    if (rssShown) s.append(svg('line', { class: 'rss', x1: 0, x2: W, y1: y(rss), y2: y(rss) }));
    /* the heap peak: the process with the largest, at its time */
    if (pk >= 0 && D.procs[pk].peak) {
      const p = D.procs[pk], se = D.series.find(q => q.proc === pk);
      const t = (se ? se.offset_ns / 1e9 : 0) + p.peak_s, px = t / wsec * W / n;
      s.append(svg('line', { class: 'peak', id: 'tl-peak', x1: px, x2: px, y1: top - 4, y2: top + ph,
                             'data-bytes': p.peak, 'data-seconds': t }));
      label(px, 12, 'heap peak ' + fmtBytes(p.peak) + ' at ' + fmtSecs(t));
    }
    /* the worst fault bursts: the three intervals with the most faults */
    const worst = faults.map((v, b) => [v, b]).filter(a => a[0] > 0).sort((a, b) => b[0] - a[0]).slice(0, 3);
    worst.forEach(([v, b], i) => {
      s.append(svg('path', { class: 'burst', d: 'M' + x(b + .5) + ',' + (ftop - 7) + ' l-5,-8 l10,0 Z',
                             'data-faults': v, 'data-bucket': b }));
      if (i === 0) label(x(b + .5) + 4, ftop + 10, 'worst fault burst: ' + fmtCount(v) + ' at ' + fmtSecs(b * wsec));
    });
    if (state.range) {
      const [a, z] = state.range;
      s.append(svg('rect', { class: 'sel', x: x(a), width: x(z + 1) - x(a), y: top, height: ph }));
      info.textContent = 'selected ' + fmtSecs(a * wsec) + ' – ' + fmtSecs((z + 1) * wsec);
    } else {
      info.textContent = 'run of ' + fmtSecs(n * wsec) + '; peak live heap ' + fmtBytes(hmax) +
                         ', most faults in one interval ' + fmtCount(faults.some(v => v) ? fmax : 0) +
                         (rss && !rssShown ? '; max RSS at exit ' + fmtBytes(rss) + ' (off this scale)' : '');
    }
  }
  let drag = null;
  const bucketAt = ev => {
    const r = s.getBoundingClientRect();
    return Math.max(0, Math.min(n - 1, Math.floor((ev.clientX - r.left) / r.width * n)));
  };
  s.addEventListener('mousedown', ev => { drag = bucketAt(ev); ev.preventDefault(); });
  window.addEventListener('mousemove', ev => {
    if (drag === null) return;
    const b = bucketAt(ev);
    state.range = [Math.min(drag, b), Math.max(drag, b)];
    draw();
  });
  window.addEventListener('mouseup', ev => {
    if (drag === null) return;
    const b = bucketAt(ev);
    state.range = [Math.min(drag, b), Math.max(drag, b)];
    drag = null;
    state.zoom = 0;
    changed();
  });
  listeners.push(draw);
  return sec;
}

/* Whether process pi's fault series are the samples (else the getrusage counts). */
function sampledFaults(pi) {
  const se = D.series.find(q => q.proc === pi);
  return !!se && se.faults.some(v => v);
}

/* The timeline per thread: a lane for each thread of the processes shown
 * (the busiest D.thread_series), all on one heap scale and one fault scale. */
function drawLanes(box, on, W, n, wsec) {
  box.replaceChildren();
  if (!on) return;
  const shown = (D.thread_series || []).filter(t => procOn(t.proc));
  const fs = t => sampledFaults(t.proc) ? t.faults : t.rusage_faults;
  const hmax = Math.max(1, ...shown.map(t => Math.max(...t.heap_max.map(v => v || 0))));
  const fmax = Math.max(1, ...shown.map(t => Math.max(...fs(t))));
  const LH = 44, ph = 26, ftop = 30, fh = 13, x = b => b * W / n;
  for (const t of shown) {
    const f = fs(t), peak = Math.max(0, ...t.heap_max.map(v => v || 0));
    const last = t.heap_end.reduce((a, v) => v === null ? a : v, 0);
    const total = f.reduce((a, v) => a + v, 0);
    const g = svg('svg', { class: 'lane', viewBox: '0 0 ' + W + ' ' + LH, preserveAspectRatio: 'none', height: LH });
    const y = v => ph - v * ph / hmax;
    let d = 'M0,' + y(0);
    for (let b = 0; b < n; b++) {
      const v = t.heap_max[b] || 0;
      d += ' L' + x(b) + ',' + y(v) + ' L' + x(b + 1) + ',' + y(v);
    }
    g.append(svg('path', { class: 'heap', d: d + ' L' + W + ',' + y(0) + ' Z' }));
    for (let b = 0; b < n; b++)
      if (f[b]) g.append(svg('rect', { class: 'fault', x: x(b), width: Math.max(1, W / n - .5),
                                      y: ftop + fh - f[b] * fh / fmax, height: f[b] * fh / fmax }));
    if (state.range) {
      const [a, z] = state.range;
      g.append(svg('rect', { class: 'sel', x: x(a), width: x(z + 1) - x(a), y: 0, height: LH }));
    }
    box.append(el('div', { class: 'lane-row', 'data-tid': t.tid, 'data-name': t.name, 'data-proc': t.proc,
                           'data-peak': peak, 'data-end': last, 'data-faults': total },
      el('div', { class: 'note mono' }, 'thread ' + t.tid + (t.name ? ' ' + t.name : '') +
         (D.procs.length > 1 ? ' (pid ' + D.procs[t.proc].pid + ')' : '') + ': heap peak ' +
         fmtBytes(peak) + ', ' + exact(last) + ' bytes at the end, ' + exact(total) + ' page faults'),
      g));
  }
  const hidden = (D.thread_series_total || 0) - (D.thread_series || []).length;
  box.append(el('p', { class: 'note' }, shown.length + ' threads, one heap scale (' + fmtBytes(hmax) +
    ') and one fault scale (' + fmtCount(fmax) + ' in an interval of ' + fmtSecs(wsec) + ')' +
    (hidden > 0 ? '; ' + hidden + ' quieter threads are not in this report' : '') +
    (D.thread_series_capped ? '; threads after the first ' + D.thread_series_max + ' of a process ' +
     'have no series' : '')));
}

/* ---- flame graphs ---- */

/* The metrics the flame graph switches between: [label, tree, value]. */
const FLAMES = [
  ['allocations', 'flame_alloc', 'allocations'], ['bytes', 'flame_alloc', 'bytes'],
  ['peak', 'flame_alloc', 'peak'], ['leaked', 'flame_alloc', 'leaked'],
  ['temporary', 'flame_alloc', 'temporary'],
  ['page faults by code', 'flame_fault', 'faults'],
  ['page faults by allocation', 'flame_alloc', 'faults'],
];

/* Each node's value of metric k of tree T for the state's processes and interval. */
function nodeTotals(T, k) {
  const tot = new Float64Array(T.nodes.length);
  if (state.range && T.timed[k]) {
    const col = 3 + T.timed.slice(0, k).filter(x => x).length;
    const [a, z] = state.range;
    for (const r of T.trows) if (r[2] >= a && r[2] <= z && procOn(r[1])) tot[r[0]] += r[col];
  } else {
    for (const r of T.rows) if (procOn(r[1])) tot[r[0]] += r[2 + k];
  }
  for (let i = T.nodes.length - 1; i > 0; i--) tot[T.nodes[i][0]] += tot[i];
  return tot;
}

function flameView() {
  const sec = el('section', { id: 'flame' }, el('h2', null, 'Flame graphs'));
  const bar = el('div', { class: 'bar' });
  const buttons = FLAMES.map(([label]) => {
    const b = el('button', { 'data-metric': label, onclick: () => { state.metric = label; state.zoom = 0; changed(); } }, label);
    bar.append(b);
    return b;
  });
  const search = el('input', { id: 'fg-search', type: 'search', placeholder: 'search (regex)' });
  search.addEventListener('input', () => { state.search = search.value; draw(); });
  bar.append(search, el('button', { onclick: () => { state.zoom = 0; draw(); } }, 'reset zoom'));
  const info = el('p', { class: 'note', id: 'fg-info' });
  const fg = el('div', { id: 'fg' });
  const tip = el('div', { id: 'tip' });
  sec.append(bar, info, fg, tip,
    el('p', { class: 'note' }, 'Callers above, callees below; a box is as wide as its share. ' +
       'Boxes under ' + (100 * D.min_share) + '% of the total of every metric are merged into one ' +
       '"other" box under their caller. Allocator frames are folded as in the text report. ' +
       'Click a box to zoom, hover for details.'));
  let cur = null;
  function draw() {
    const [label, tname, mname] = FLAMES.find(f => f[0] === state.metric);
    buttons.forEach(b => b.classList.toggle('on', b.dataset.metric === label));
    const T = D[tname], k = T.metrics.indexOf(mname);
    const tot = nodeTotals(T, k), N = T.nodes.length;
    const kids = Array.from({ length: N }, () => []);
    for (let i = 1; i < N; i++) if (tot[i] > 0) kids[T.nodes[i][0]].push(i);
    const name = i => frameName(T.nodes[i][1]);
    for (const c of kids) c.sort((a, b) => name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0);
    /* x and width in units of the root, depth */
    const x0 = new Float64Array(N), depth = new Int32Array(N);
    const order = [0];
    for (let q = 0; q < order.length; q++) {
      const i = order[q];
      let x = x0[i];
      for (const c of kids[i]) { x0[c] = x; depth[c] = depth[i] + 1; x += tot[c]; order.push(c); }
    }
    let z = state.zoom < N && tot[state.zoom] > 0 ? state.zoom : 0;
    const anc = new Set();
    for (let a = z; a > 0; a = T.nodes[a][0]) anc.add(T.nodes[a][0]);
    const zx = x0[z], zw = tot[z] || 1;
    let re = null;
    try { re = state.search ? new RegExp(state.search, 'i') : null; } catch (e) { re = null; }
    const W = fg.clientWidth || 1000;
    const boxes = [];
    let maxd = 0, matched = 0;
    const matchedNodes = new Set();
    for (const i of order) {
      if (!tot[i]) continue;
      let l, w;
      if (anc.has(i)) { l = 0; w = 1; } else {
        l = (x0[i] - zx) / zw; w = tot[i] / zw;
        if (l < -1e-9 || l + w > 1 + 1e-9 || depth[i] < depth[z]) continue;
      }
      if (w * W < 0.5) continue;
      const f = T.nodes[i][1];
      const hit = re && i && re.test(name(i));
      if (hit) {
        let a = T.nodes[i][0], inside = false;
        for (; a > 0; a = T.nodes[a][0]) if (matchedNodes.has(a)) { inside = true; break; }
        matchedNodes.add(i);
        if (!inside && !anc.has(i)) matched += tot[i];
      }
      const b = el('div', { class: 'fg-box' + (f === -2 ? ' other' : '') + (anc.has(i) ? ' anc' : '') + (hit ? ' hl' : ''),
                            'data-node': i, 'data-name': name(i), 'data-value': tot[i] });
      b.style.left = (l * 100) + '%';
      b.style.width = (w * 100) + '%';
      b.style.top = (depth[i] * 17) + 'px';
      b.style.background = color(name(i), tname, f);
      if (w * W > 30) b.textContent = name(i);
      boxes.push(b);
      if (depth[i] > maxd) maxd = depth[i];
    }
    fg.style.height = ((maxd + 1) * 17 + 2) + 'px';
    fg.replaceChildren(...boxes);
    cur = { T, k, tot, mname, tname };
    const total = tot[0];
    let txt = label + ': ' + (BYTE_METRICS.has(mname) ? fmtBytes(total) + ' (' + exact(total) + ' bytes)' : exact(total));
    if (state.range) txt += T.timed[k] ? ', in the selected interval' : '; this metric is of the whole run (the interval restricts allocations, bytes and page faults)';
    if (state.procs) txt += ', in ' + state.procs.size + ' of ' + D.procs.length + ' processes';
    if (re) txt += '; search matched ' + (total ? (100 * matched / tot[z]).toFixed(1) : '0') + '% of the shown total';
    if (T.merged) txt += '; ' + T.merged + ' small boxes merged into "other"';
    info.textContent = txt;
    info.dataset.total = total;
    info.dataset.matched = matched;
  }
  fg.addEventListener('click', ev => {
    const b = ev.target.closest('.fg-box');
    if (!b) return;
    state.zoom = +b.dataset.node;
    draw();
  });
  fg.addEventListener('mousemove', ev => {
    const b = ev.target.closest('.fg-box');
    if (!b || !cur) { tip.style.display = 'none'; return; }
    const i = +b.dataset.node, f = cur.T.nodes[i][1];
    let t = frameName(f);
    if (f >= 0) {
      const fr = D.frames[f];
      t += '\n' + (fr[1] ? fr[1] + (fr[2] ? ':' + fr[2] : '') : '(no source line)') +
           (fr[3] ? '\nmodule ' + fr[3] : '') + (fr[4] ? '\n(inlined)' : '');
    } else if (f === -2) {
      t += ': callees each under ' + (100 * D.min_share) + '% of every total, merged';
    }
    const total = cur.tot[0] || 1;
    t += '\n' + cur.mname + ': ' + exact(cur.tot[i]) + (BYTE_METRICS.has(cur.mname) ? ' bytes' : '') +
         ' (' + (100 * cur.tot[i] / total).toFixed(2) + '%)';
    if (cur.tname === 'flame_alloc')
      cur.T.metrics.forEach((m, k) => {
        if (k === cur.k) return;
        const tk = nodeTotals(cur.T, k);
        t += '\n' + (m === 'faults' ? 'faults on its memory' : m) + ': ' + exact(tk[i]) + (BYTE_METRICS.has(m) ? ' bytes' : '');
      });
    tip.textContent = t;
    tip.style.display = 'block';
    tip.style.left = Math.min(ev.clientX + 12, window.innerWidth - 400) + 'px';
    tip.style.top = (ev.clientY + 14) + 'px';
  });
  fg.addEventListener('mouseleave', () => { tip.style.display = 'none'; });
  window.addEventListener('resize', draw);
  listeners.push(draw);
  return sec;
}

/* flamegraph.pl's palettes: warm for allocations, red-brown for faults. */
function color(name, tname, f) {
  if (f === -1) return '#e8e8e8';
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
  const v = (h % 1000) / 1000;
  if (tname === 'flame_fault') return 'rgb(' + (200 + 55 * v | 0) + ',' + (90 + 60 * v | 0) + ',' + (60 * v | 0) + ')';
  return 'rgb(' + (205 + 50 * v | 0) + ',' + (110 + 110 * v | 0) + ',' + (40 + 30 * v | 0) + ')';
}

/* ---- full tables ---- */

function tablesView() {
  return el('section', { id: 'tables' },
    el('h2', null, 'Allocation sites'),
    el('p', { class: 'note' }, 'Click a column to sort. ' + Math.min(D.sites.length, D.sites_total) +
       ' of ' + D.sites_total + ' sites.'),
    sitesTable(D.sites, SITE_COLS, 'allocations', D.sites.length, 4),
    el('h2', null, 'Fault sources'),
    sitesTable(D.fault_sources, FAULT_COLS, 'minor_faults', D.fault_sources.length, 4));
}

/* ---- the diff page (data-mode "diff") ---- */

function ratioText(a, b) { return a === 0 && b === 0 ? '=' : a === 0 ? 'new' : (b / a).toFixed(2) + 'x'; }

function diffSummary() {
  const a = D.base.summary, b = D.new.summary;
  const rows = [['allocations', 'allocations', fmtCount], ['bytes allocated', 'bytes_allocated', fmtBytes],
    ['frees', 'frees', fmtCount], ['peak heap', 'peak_heap_bytes', fmtBytes], ['leaked', 'leaked_bytes', fmtBytes],
    ['temporary', 'temporary_allocations', fmtCount], ['minor faults', 'minor_faults', exact],
    ['major faults', 'major_faults', exact], ['fault samples', 'fault_samples', exact],
    ['wall seconds', 'wall_seconds', v => v.toFixed(3)], ['max RSS', 'max_rss_kb', v => fmtBytes(v * 1024)]];
  const t = el('table', { id: 'diff-summary' }, el('tr', null, el('th', { class: 'name' }, ''),
    el('th', null, 'base'), el('th', null, 'new'), el('th', null, 'new/base')));
  for (const [label, k, f] of rows)
    t.append(el('tr', { 'data-key': k }, el('td', { class: 'name' }, label), el('td', null, f(a[k])),
                el('td', null, f(b[k])), el('td', { class: 'ratio' }, ratioText(a[k], b[k]))));
  return el('section', null, el('h2', null, 'Summaries'),
    el('p', { class: 'sub' }, 'base: ', el('span', { class: 'mono' }, a.command), ' — new: ',
       el('span', { class: 'mono' }, b.command)),
    el('p', { class: 'note' }, 'Page faults: base ' + D.base.fault_mode + '; new ' + D.new.fault_mode), t);
}

function changesTable(title, rows) {
  const t = el('table', null, el('tr', null, el('th', { class: 'name' }, 'function'), el('th', null, 'base'),
                                  el('th', null, 'new'), el('th', null, 'delta')));
  for (const [name, a, b] of rows) {
    const d = b - a;
    t.append(el('tr', null, el('td', { class: 'name mono' }, name), el('td', null, exact(a)), el('td', null, exact(b)),
                el('td', { class: d > 0 ? 'diffpos' : d < 0 ? 'diffneg' : '' }, (d > 0 ? '+' : '') + exact(d))));
  }
  return el('div', null, el('h2', null, title), t);
}

/* Both heaps and both fault series on one time axis from each start. */
function diffTimeline() {
  const sec = el('section', { id: 'timeline' }, el('h2', null, 'Timelines (base dashed, new solid; from each start)'));
  const sides = [D.base, D.new].filter(x => x.axis && x.axis.n);
  if (!sides.length) { sec.append(el('p', { class: 'sub' }, 'No timeline.')); return sec; }
  const tmax = Math.max(...sides.map(x => x.axis.n * x.axis.width_ns / 1e9));
  const W = 1000, H = 170, top = 10, ph = 100, ftop = 118, fh = 44;
  const s = svg('svg', { id: 'tl', viewBox: '0 0 ' + W + ' ' + H, preserveAspectRatio: 'none', height: H });
  const sum = (x, k) => { const v = new Array(x.axis.n).fill(0);
    for (const se of x.series) se[k].forEach((y, b) => { v[b] += y || 0; }); return v; };
  const heaps = [D.base, D.new].map(x => x.axis && x.axis.n ? sum(x, 'heap_max') : []);
  const faults = [D.base, D.new].map(x => x.axis && x.axis.n ? sum(x, 'faults') : []);
  const hmax = Math.max(1, ...heaps.flat()), fmax = Math.max(1, ...faults.flat());
  [D.base, D.new].forEach((x, i) => {
    if (!x.axis || !x.axis.n) return;
    const w = x.axis.width_ns / 1e9, X = b => b * w / tmax * W;
    let d = '', f = '';
    heaps[i].forEach((v, b) => { d += (b ? ' L' : 'M') + X(b) + ',' + (top + ph - v * ph / hmax) + ' L' + X(b + 1) + ',' + (top + ph - v * ph / hmax); });
    faults[i].forEach((v, b) => { f += (b ? ' L' : 'M') + X(b) + ',' + (ftop + fh - v * fh / fmax) + ' L' + X(b + 1) + ',' + (ftop + fh - v * fh / fmax); });
    s.append(svg('path', { d, fill: 'none', stroke: '#1c7ed6', 'stroke-width': 1.5, 'stroke-dasharray': i ? '' : '5 3', class: 'heap-line' }));
    s.append(svg('path', { d: f, fill: 'none', stroke: '#e03131', 'stroke-width': 1.2, 'stroke-dasharray': i ? '' : '5 3' }));
  });
  sec.append(el('p', { class: 'note' }, 'Blue: live heap (peak ' + fmtBytes(hmax) + '); red: page faults per interval (most ' +
    fmtCount(fmax) + '); the axis is ' + fmtSecs(tmax) + ' long.'), s);
  return sec;
}

/* The differential flame graph: widths by new (or by base, the reverse
 * view), colour by growth (red) or shrink (blue), as difffolded.pl does. */
function diffFlame() {
  const sec = el('section', { id: 'flame' }, el('h2', null, 'Differential flame graphs'));
  const bar = el('div', { class: 'bar' });
  const st = { metric: 'allocations', reverse: false, zoom: 0, search: '' };
  const buttons = FLAMES.map(([label]) => {
    const b = el('button', { 'data-metric': label, onclick: () => { st.metric = label; st.zoom = 0; draw(); } }, label);
    bar.append(b); return b;
  });
  const rev = el('button', { id: 'fg-reverse', onclick: () => { st.reverse = !st.reverse; st.zoom = 0; draw(); } }, 'width by base');
  const search = el('input', { id: 'fg-search', type: 'search', placeholder: 'search (regex)' });
  search.addEventListener('input', () => { st.search = search.value; draw(); });
  bar.append(rev, search, el('button', { onclick: () => { st.zoom = 0; draw(); } }, 'reset zoom'));
  const info = el('p', { class: 'note', id: 'fg-info' }), fg = el('div', { id: 'fg' }), tip = el('div', { id: 'tip' });
  sec.append(bar, info, fg, tip, el('p', { class: 'note' }, 'Red: grew from base to new, blue: shrank, the deeper the more; ' +
    'boxes under ' + (100 * D.min_share) + '% of every total are merged into "other". Click to zoom.'));
  let cur = null;
  function draw() {
    const [label, tname, mname] = FLAMES.find(f => f[0] === st.metric);
    buttons.forEach(b => b.classList.toggle('on', b.dataset.metric === label));
    rev.classList.toggle('on', st.reverse);
    const T = D[tname === 'flame_fault' ? 'flame_faults' : 'flame_sites'], k = T.metrics.indexOf(mname);
    const N = T.nodes.length, base = i => T.nodes[i][2 + 2 * k], neu = i => T.nodes[i][3 + 2 * k];
    const width = i => st.reverse ? base(i) : neu(i);
    const name = i => { const f = T.nodes[i][1]; return f === -1 ? 'all' : f === -2 ? 'other' : f === -3 ? '[no stack]' : T.names[f][0]; };
    const kids = Array.from({ length: N }, () => []);
    for (let i = 1; i < N; i++) if (width(i) > 0) kids[T.nodes[i][0]].push(i);
    for (const c of kids) c.sort((a, b) => name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0);
    const x0 = new Float64Array(N), depth = new Int32Array(N), order = [0];
    for (let q = 0; q < order.length; q++) {
      const i = order[q]; let x = x0[i];
      for (const c of kids[i]) { x0[c] = x; depth[c] = depth[i] + 1; x += width(c); order.push(c); }
    }
    const z = st.zoom < N && width(st.zoom) > 0 ? st.zoom : 0, zx = x0[z], zw = width(z) || 1;
    const anc = new Set();
    for (let a = z; a > 0; a = T.nodes[a][0]) anc.add(T.nodes[a][0]);
    let maxRel = 0;
    for (let i = 1; i < N; i++) maxRel = Math.max(maxRel, Math.abs(neu(i) - base(i)) / (Math.max(neu(0), base(0)) || 1));
    let re = null;
    try { re = st.search ? new RegExp(st.search, 'i') : null; } catch (e) { re = null; }
    const Wpx = fg.clientWidth || 1000, boxes = [];
    let maxd = 0;
    for (const i of order) {
      if (!width(i)) continue;
      let l, w;
      if (anc.has(i)) { l = 0; w = 1; } else {
        l = (x0[i] - zx) / zw; w = width(i) / zw;
        if (l < -1e-9 || l + w > 1 + 1e-9 || depth[i] < depth[z]) continue;
      }
      if (w * Wpx < 0.5) continue;
      const d = neu(i) - base(i), rel = maxRel ? Math.min(1, Math.abs(d) / (Math.max(neu(0), base(0)) || 1) / maxRel) : 0;
      const c = 255 - Math.round(170 * rel);
      const bg = d > 0 ? 'rgb(255,' + c + ',' + c + ')' : d < 0 ? 'rgb(' + c + ',' + c + ',255)' : '#eee';
      const hit = re && i && re.test(name(i));
      const b = el('div', { class: 'fg-box' + (T.nodes[i][1] === -2 ? ' other' : '') + (anc.has(i) ? ' anc' : '') + (hit ? ' hl' : ''),
                            'data-node': i, 'data-name': name(i), 'data-value': width(i), 'data-base': base(i),
                            'data-new': neu(i), 'data-delta': d });
      b.style.left = (l * 100) + '%'; b.style.width = (w * 100) + '%'; b.style.top = (depth[i] * 17) + 'px';
      b.style.background = bg;
      if (w * Wpx > 30) b.textContent = name(i);
      boxes.push(b);
      maxd = Math.max(maxd, depth[i]);
    }
    fg.style.height = ((maxd + 1) * 17 + 2) + 'px';
    fg.replaceChildren(...boxes);
    cur = { T, k, mname, base, neu, name };
    info.textContent = label + ': base ' + exact(base(0)) + ', new ' + exact(neu(0)) + ' (' + ratioText(base(0), neu(0)) +
                       '); widths by ' + (st.reverse ? 'base' : 'new');
    info.dataset.total = width(0);
  }
  fg.addEventListener('click', ev => { const b = ev.target.closest('.fg-box'); if (b) { st.zoom = +b.dataset.node; draw(); } });
  fg.addEventListener('mousemove', ev => {
    const b = ev.target.closest('.fg-box');
    if (!b || !cur) { tip.style.display = 'none'; return; }
    const i = +b.dataset.node, f = cur.T.nodes[i][1], d = cur.neu(i) - cur.base(i);
    tip.textContent = (f >= 0 ? cur.T.names[f][1] : cur.name(i)) + '\n' + cur.mname + ': base ' + exact(cur.base(i)) +
      ', new ' + exact(cur.neu(i)) + ', delta ' + (d > 0 ? '+' : '') + exact(d) + ' (' + ratioText(cur.base(i), cur.neu(i)) + ')';
    tip.style.display = 'block';
    tip.style.left = Math.min(ev.clientX + 12, window.innerWidth - 400) + 'px';
    tip.style.top = (ev.clientY + 14) + 'px';
  });
  fg.addEventListener('mouseleave', () => { tip.style.display = 'none'; });
  listeners.push(draw);
  return sec;
}

function diffPage() {
  document.body.append(el('h1', null, 'faultprof diff'), diffSummary(),
    diagnosesView(D.new.diagnoses),
    el('section', { class: 'cols' }, changesTable('Fault sources by change in faults', D.fault_changes),
       changesTable('Allocation sites by change in the faults on their memory', D.memory_changes)),
    changesTable('Allocation sites by change in ' + D.sort, D.site_changes),
    diffTimeline(), diffFlame());
  document.querySelector('#diagnoses h2').textContent = 'Diagnoses of new';
}

/* ---- the page ---- */

function reportPage() {
  const s = D.summary;
  document.body.append(
    el('h1', null, 'faultprof: ', el('span', { class: 'mono' }, s.command || s.exe)),
    el('p', { class: 'sub' }, 'pid ' + s.pid + ', ' + exact(s.records) + ' records' +
       (s.truncated ? ' (truncated trace)' : '') + (s.estimated ? '; sampled: one allocation per ' +
       s.sampled_bytes + ' bytes on average, figures other than the totals are estimates' : '')),
    summaryView(s), diagnosesView(D.diagnoses), topView(),
    D.procs.length > 1 ? procsView() : '',
    timelineView(), flameView(), tablesView());
}

try {
  if (MODE === 'diff') diffPage();
  else reportPage();
  changed();
  document.body.dataset.ready = '1';
} catch (e) {
  document.body.dataset.ready = 'error';
  throw e;
}
