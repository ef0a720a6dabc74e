// render_time: loads a faultprof HTML report (or --format svg file) in
// headless chromium and prints how long it took from the navigation to the
// page painted (load event, the report drawn in its script, then two
// animation frames), best of three loads; for an HTML report also the
// slowest switch of view (each flame-graph metric, "per thread"), timed in
// the page with a forced layout.  Saves a screenshot of the last load.
// Usage: node render_time.js FILE PNG
'use strict';
const { Browser, open, findChromium } = require('./cdp.js');

const PAINTED = 'new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(1))))';
const SWITCHES = `(() => {
  const bs = [...document.querySelectorAll('button[data-metric]'), document.getElementById('tl-per-thread')]
    .filter(b => b);
  let worst = 0, what = '';
  for (const b of bs) {
    const t = performance.now();
    b.click();
    void document.body.offsetHeight;
    const d = performance.now() - t;
    if (d > worst) { worst = d; what = b.textContent; }
  }
  return [Math.round(worst), what];
})()`;

(async () => {
  const [file, png] = process.argv.slice(2);
  const svg = file.endsWith('.svg');
  const browser = new Browser(findChromium());
  let best = Infinity, errors = [], sw = null;
  for (let i = 0; i < 3; i++) {
    const t0 = Date.now();
    const page = await open(browser, file, 1280, 900);
    await page.eval(PAINTED);
    best = Math.min(best, Date.now() - t0);
    if (!svg) {
      const ok = await page.eval('document.body.dataset.ready');
      if (ok !== '1') errors.push('not drawn: ' + ok);
    }
    errors = errors.concat(page.errors);
    if (i === 2) {
      await page.screenshot(png, !svg);
      if (!svg) sw = await page.eval(SWITCHES);
    }
    await page.close();
  }
  console.log(file + ': painted in ' + best + ' ms (best of 3)' +
              (sw ? '; slowest view switch ' + sw[0] + ' ms (' + sw[1] + ')' : '') +
              (errors.length ? '; errors: ' + JSON.stringify(errors) : ''));
  await browser.close();
  process.exit(errors.length ? 1 : 0);
})().catch(e => { console.error(e); process.exit(1); });
