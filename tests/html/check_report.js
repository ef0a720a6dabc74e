// check_report: loads a faultprof HTML report in headless chromium and checks
// what a person would see: no JavaScript error, the flame graph's boxes for
// the known sites with widths proportional to their known counts, a click
// zooms, a search highlights, the timeline marks the known heap peak, and a
// selected interval restricts the flame graph.  Screenshots of each view go
// to OUTDIR.  Usage: node check_report.js HTML OUTDIR EXPECT_JSON
//   EXPECT_JSON: {"widths": {metric: {function: count}}, "totals": {metric: n},
//                 "zoom": function, "search": [regex, [hits], [misses]],
//                 "peak": bytes, "interval": function,
//                 "lanes": {thread name: {"peak": bytes, "end": bytes, "faults": n}}}
'use strict';
const { Browser, open, findChromium, check, failed } = require('./cdp.js');
const path = require('path');

const [html, outdir, expectJson] = process.argv.slice(2);
const X = JSON.parse(expectJson);

// The boxes of the flame graph: name, left, width (px), highlighted.
const BOXES = `(() => { const e = document.getElementById('fg'), fg = e.getBoundingClientRect();
  return { width: e.clientWidth, left: fg.left, top: fg.top, total: +document.getElementById('fg-info').dataset.total,
           matched: +document.getElementById('fg-info').dataset.matched,
    boxes: [...document.querySelectorAll('#fg .fg-box')].map(b => { const r = b.getBoundingClientRect();
      return { name: b.dataset.name, value: +b.dataset.value, x: r.left, y: r.top, w: r.width, h: r.height,
               hl: b.classList.contains('hl') }; }) }; })()`;

async function metric(page, label) {
  await page.eval(`document.querySelector('button[data-metric="${label}"]').click()`);
  return page.eval(BOXES);
}
const named = (fg, name) => fg.boxes.filter(b => b.name === name);
const sumW = bs => bs.reduce((a, b) => a + b.w, 0);

async function main() {
  const bin = findChromium();
  if (!bin) { console.log('SKIP: no chromium'); process.exit(77); }
  const browser = new Browser(bin);
  try {
    const page = await open(browser, html, 1280, 900);
    console.log('loaded in ' + page.loadMs + ' ms');
    check(await page.eval('document.body.dataset.ready') === '1', 'the page drew itself');
    await page.screenshot(path.join(outdir, 'page.png'), true);

    // widths proportional to the known counts, per metric
    for (const [m, sites] of Object.entries(X.widths || {})) {
      const fg = await metric(page, m);
      if (X.totals && X.totals[m] !== undefined)
        check(fg.total === X.totals[m], `${m}: flame graph total ${fg.total} is ${X.totals[m]}`);
      for (const [name, count] of Object.entries(sites)) {
        const bs = named(fg, name), want = fg.width * count / fg.total;
        check(bs.length > 0, `${m}: a box for ${name}`);
        check(Math.abs(sumW(bs) - want) <= 1.5, `${m}: ${name} is ${sumW(bs).toFixed(1)} px wide, ` +
              `${count}/${fg.total} of ${fg.width} px is ${want.toFixed(1)}`);
      }
      await page.screenshot(path.join(outdir, 'flame-' + m.replace(/ /g, '_') + '.png'), true);
    }
    // a click zooms: the clicked box takes the whole width
    if (X.zoom) {
      const [m, name] = X.zoom;
      await metric(page, m);
      await page.eval(`document.getElementById('flame').scrollIntoView()`);
      let fg = await page.eval(BOXES);
      const b = named(fg, name)[0];
      check(b && b.w < fg.width - 5, `${name} is narrower than the graph before the click`);
      if (b) {
        await page.click(b.x + b.w / 2, b.y + b.h / 2);
        fg = await page.eval(BOXES);
        const z = named(fg, name)[0];
        check(z && Math.abs(z.w - fg.width) <= 2, `after the click ${name} is ${z ? z.w.toFixed(1) : 0} px, the whole ${fg.width} px`);
        await page.screenshot(path.join(outdir, 'flame-zoomed.png'), true);
        await page.eval(`[...document.querySelectorAll('#flame button')].find(b => b.textContent === 'reset zoom').click()`);
      }
    }
    // a search highlights the matching boxes and only those
    if (X.search) {
      const [re, hits, misses, matched] = X.search;
      await metric(page, 'allocations');
      await page.eval(`document.getElementById('fg-search').focus()`);
      await page.type(re);
      const fg = await page.eval(BOXES);
      for (const h of hits) check(named(fg, h).length && named(fg, h).every(b => b.hl), `search ${re} highlights ${h}`);
      for (const h of misses) check(named(fg, h).every(b => !b.hl), `search ${re} leaves ${h}`);
      if (matched !== undefined) check(fg.matched === matched, `search ${re} matched ${fg.matched}, want ${matched}`);
      await page.screenshot(path.join(outdir, 'flame-search.png'), true);
      await page.eval(`(() => { const s = document.getElementById('fg-search'); s.value = ''; s.dispatchEvent(new Event('input')); })()`);
    }
    // the timeline marks the known peak
    if (X.peak !== undefined) {
      const pk = await page.eval(`(() => { const l = document.getElementById('tl-peak');
        return l ? { bytes: +l.dataset.bytes, text: [...document.querySelectorAll('#tl text')].map(t => t.textContent).join('|') } : null; })()`);
      check(pk && pk.bytes === X.peak, `timeline peak ${pk && pk.bytes} is ${X.peak}`);
      check(pk && pk.text.includes('heap peak'), 'the peak is labelled: ' + (pk && pk.text));
    }
    // an interval restricts the flame graph: the first half of the run has
    // part of the function's allocations, the whole run all of them
    if (X.interval) {
      const [name, count] = X.interval;
      const r = await page.eval(`(() => { const r = document.getElementById('tl').getBoundingClientRect();
        window.scrollTo(0, r.top + window.scrollY - 200); const q = document.getElementById('tl').getBoundingClientRect();
        return { x: q.left, y: q.top, w: q.width, h: q.height }; })()`);
      await page.drag(r.x + 1, r.y + r.h / 3, r.x + r.w / 2, r.y + r.h / 3);
      let fg = await metric(page, 'allocations');
      const half = named(fg, name).reduce((a, b) => a + b.value, 0);
      check(half > 0.2 * count && half < 0.8 * count, `first half of the run: ${half} of ${name}'s ${count} allocations`);
      const sel = await page.eval(`!!document.querySelector('#tl .sel')`);
      check(sel, 'the selected interval is drawn');
      await page.screenshot(path.join(outdir, 'timeline-interval.png'), false);
      await page.drag(r.x + 1, r.y + r.h / 3, r.x + r.w - 1, r.y + r.h / 3);
      fg = await metric(page, 'allocations');
      const all = named(fg, name).reduce((a, b) => a + b.value, 0);
      check(all === count, `the whole run selected: ${all} of ${name}'s ${count} allocations`);
    }
    // the timeline per thread: no lanes until asked, then one per thread
    // with its known heap peak, heap at the end and faults, each lane's heap
    // drawn as high as its peak on the lanes' common scale
    if (X.lanes) {
      const LANES = `[...document.querySelectorAll('#tl-lanes .lane-row')].map(r => {
        const p = r.querySelector('path.heap').getBBox();
        return { name: r.dataset.name, tid: +r.dataset.tid, peak: +r.dataset.peak, end: +r.dataset.end,
                 faults: +r.dataset.faults, h: p.height, text: r.textContent }; })`;
      check((await page.eval(LANES)).length === 0, 'no lanes before "per thread" is pressed');
      await page.eval(`document.getElementById('tl-per-thread').click()`);
      const lanes = await page.eval(LANES), top = Math.max(...lanes.map(l => l.peak));
      for (const [name, want] of Object.entries(X.lanes)) {
        const l = lanes.find(q => q.name === name);
        check(l, `a lane for thread ${name}`);
        if (!l) continue;
        for (const k of ['peak', 'end', 'faults'])
          if (want[k] !== undefined) check(l[k] === want[k], `thread ${name}: ${k} ${l[k]}, want ${want[k]}`);
        check(Math.abs(l.h - 26 * l.peak / top) <= 0.5, `thread ${name}: heap drawn ${l.h.toFixed(1)} high, ` +
              `${l.peak}/${top} of 26 is ${(26 * l.peak / top).toFixed(1)}`);
        check(l.text.includes(l.faults.toLocaleString('en-US') + ' page faults'), `thread ${name}'s label: ${l.text}`);
      }
      await page.eval(`document.getElementById('timeline').scrollIntoView()`);
      await page.screenshot(path.join(outdir, 'timeline-threads.png'), false);
    }
    // a diff page: the summary's ratios and a box's base and new figures
    if (X.diff) {
      const rows = await page.eval(`[...document.querySelectorAll('#diff-summary tr[data-key]')].map(r => [r.dataset.key, r.querySelector('.ratio').textContent])`);
      const ratios = Object.fromEntries(rows);
      for (const [k, v] of Object.entries(X.diff.ratios || {}))
        check(ratios[k] === v, `diff summary ${k}: ${ratios[k]}, want ${v}`);
      for (const [m, name, base, neu] of X.diff.boxes || []) {
        await page.eval(`document.querySelector('button[data-metric="${m}"]').click()`);
        const b = await page.eval(`(() => { const b = [...document.querySelectorAll('#fg .fg-box')].find(x => x.dataset.name === ${JSON.stringify(name)});
          return b ? { base: +b.dataset.base, neu: +b.dataset.new, bg: b.style.background } : null; })()`);
        check(b && b.base === base && b.neu === neu, `diff ${m}: ${name} base ${b && b.base} new ${b && b.neu}, want ${base} ${neu}`);
        check(b && (neu > base ? /rgb\(255, \d+, \d+\)/.test(b.bg) : true), `diff ${m}: ${name} is red for growth (${b && b.bg})`);
        await page.screenshot(path.join(outdir, 'diff-' + m.replace(/ /g, '_') + '.png'), true);
      }
    }
    check(page.errors.length === 0, 'no JavaScript errors: ' + JSON.stringify(page.errors));
  } finally {
    await browser.close();
  }
  process.exit(failed() ? 1 : 0);
}
main().catch(e => { console.log('FAIL: ' + e.stack); process.exit(1); });
