// check_svg: loads a --format svg flame graph in headless chromium and checks
// what a person sees: no JavaScript error, boxes as wide as their known
// counts, a click on a box makes it full width and hides what is outside,
// a search highlights the matching boxes and reports their share; for a
// differential graph, each named box's colour (red grew, blue shrank) and
// its reverse view (width by base).
// Screenshots go to OUTDIR.  Usage: node check_svg.js SVG OUTDIR EXPECT_JSON
//   EXPECT_JSON: {"widths": {function: count}, "total": n, "zoom": function,
//                 "hidden": function, "search": [regex, matched, of], "colors": {function: "red"|"blue"},
//                 "absent": [function], "reverse": {"widths", "total", "colors" as above, after a
//                 click on "Width by base"}}
'use strict';
const { Browser, open, findChromium, check, failed } = require('../html/cdp.js');
const path = require('path');

const [svg, outdir, expectJson] = process.argv.slice(2);
const X = JSON.parse(expectJson);

const BOXES = `(() => { const s = document.documentElement;
  const view = document.getElementById('view');
  return { inner: +s.getAttribute('data-inner'), view: view ? view.textContent : '',
    total: +s.getAttribute(view && /base/.test(view.textContent) ? 'data-total-base' : 'data-total'),
    boxes: [...document.querySelectorAll('g.f')].map(g => { const r = g.querySelector('rect').getBoundingClientRect();
      return { name: g.dataset.n, x: r.left, y: r.top, w: r.width, h: r.height,
               shown: g.style.display !== 'none', fill: g.querySelector('rect').getAttribute('fill') }; }) }; })()`;
const named = (fg, name) => fg.boxes.filter(b => b.name === name && b.shown);
const sumW = bs => bs.reduce((a, b) => a + b.w, 0);

// The graph's total, its boxes' widths (sums per name) and colours.
function sized(fg, x) {
  if (x.total !== undefined) check(fg.total === x.total, `${fg.view || 'graph'}: total ${fg.total} is ${x.total}`);
  for (const [name, count] of Object.entries(x.widths || {})) {
    const bs = named(fg, name), want = fg.inner * count / fg.total;
    check(bs.length > 0, `a box for ${name}`);
    check(Math.abs(sumW(bs) - want) <= 1.5, `${name} is ${sumW(bs).toFixed(1)} px wide, ` +
          `${count}/${fg.total} of ${fg.inner} px is ${want.toFixed(1)}`);
  }
  for (const [name, colour] of Object.entries(x.colors || {})) {
    const b = named(fg, name)[0], m = b && /rgb\((\d+),(\d+),(\d+)\)/.exec(b.fill);
    const red = m && +m[1] === 255 && +m[3] < 255, blue = m && +m[3] === 255 && +m[1] < 255;
    check(m && (colour === 'red' ? red : blue), `${name} is ${colour} (${b && b.fill})`);
  }
}

async function main() {
  const bin = findChromium();
  if (!bin) { console.log('SKIP: no chromium'); process.exit(77); }
  const browser = new Browser(bin);
  try {
    const page = await open(browser, svg, 1200, 700);
    let fg = await page.eval(BOXES);
    check(fg.boxes.length > 0, `${fg.boxes.length} boxes drawn`);
    await page.screenshot(path.join(outdir, 'flame.png'));
    sized(fg, X);
    for (const name of X.absent || [])
      check(named(fg, name).length === 0, `no box for ${name}`);
    if (X.reverse) {
      check(await page.eval(`document.getElementById('reverse').textContent`) === 'Width by base',
            '"Width by base" offered');
      await page.eval(`document.getElementById('reverse').dispatchEvent(new MouseEvent('click'))`);
      const rv = await page.eval(BOXES);
      check(/widths by base/.test(rv.view), `the view says "${rv.view}"`);
      sized(rv, X.reverse);
      await page.screenshot(path.join(outdir, 'reverse.png'));
      await page.eval(`document.getElementById('reverse').dispatchEvent(new MouseEvent('click'))`);
      fg = await page.eval(BOXES);
      check(fg.view === 'widths by new', `back to "${fg.view}"`);
      sized(fg, { widths: X.widths });
    }
    if (X.zoom) {
      const b = named(fg, X.zoom)[0];
      await page.click(b.x + b.w / 2, b.y + b.h / 2);
      fg = await page.eval(BOXES);
      const z = named(fg, X.zoom);
      check(z.length === 1 && Math.abs(z[0].w - fg.inner) <= 1, `a click on ${X.zoom} makes it ` +
            `${z.length && z[0].w.toFixed(1)} px wide, the whole ${fg.inner}`);
      if (X.hidden)
        check(named(fg, X.hidden).length === 0, `${X.hidden} is hidden when zoomed on ${X.zoom}`);
      check(await page.eval(`document.getElementById('unzoom').style.opacity`) === '1', 'Reset Zoom shown');
      await page.screenshot(path.join(outdir, 'zoomed.png'));
      await page.eval(`document.getElementById('unzoom').dispatchEvent(new MouseEvent('click'))`);
      fg = await page.eval(BOXES);
      const u = named(fg, X.zoom);
      check(u.length === 1 && u[0].w < fg.inner - 1, `Reset Zoom: ${X.zoom} back to ${u.length && u[0].w.toFixed(1)} px`);
    }
    if (X.search) {
      const [re, num, den] = X.search, share = num / den;
      const got = await page.eval(`fpSearch(${JSON.stringify(re)})`);
      fg = await page.eval(BOXES);
      const hl = fg.boxes.filter(b => b.fill === 'rgb(230,0,230)').map(b => b.name);
      check(hl.length > 0 && hl.every(n => new RegExp(re).test(n)), `search ${re} highlights ${hl.join(', ')}`);
      check(Math.abs(got - share) < 1e-9, `search ${re} matches ${got}, expected ${share}`);
      const text = await page.eval(`document.getElementById('matched').textContent`);
      check(text === 'Matched: ' + (100 * share).toFixed(1) + '%', `"${text}" shown`);
      await page.screenshot(path.join(outdir, 'search.png'));
    }
    for (const e of page.errors) check(false, 'no JavaScript error: ' + e);
    if (!page.errors.length) check(true, 'no JavaScript error');
  } finally {
    await browser.close();
  }
  process.exit(failed() ? 1 : 0);
}
main().catch(e => { console.log('FAIL: ' + e.stack); process.exit(1); });
