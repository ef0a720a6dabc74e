// render_time: loads an HTML report in headless chromium and prints how long
// the page took from navigation to drawn (the load event, the report drawn
// in its script), best of three loads, then saves a screenshot.
// Usage: node render_time.js HTML PNG
'use strict';
const { Browser, open, findChromium } = require('./cdp.js');
(async () => {
  const browser = new Browser(findChromium());
  let best = Infinity, errors = [];
  for (let i = 0; i < 3; i++) {
    const page = await open(browser, process.argv[2], 1280, 900);
    const ok = await page.eval('document.body.dataset.ready');
    if (ok !== '1') errors.push('not drawn: ' + ok);
    errors = errors.concat(page.errors);
    best = Math.min(best, page.loadMs);
    if (i === 2) await page.screenshot(process.argv[3], true);
    await page.close();
  }
  console.log(process.argv[2] + ': drawn in ' + best + ' ms (best of 3)' +
              (errors.length ? '; errors: ' + JSON.stringify(errors) : ''));
  await browser.close();
  process.exit(errors.length ? 1 : 0);
})().catch(e => { console.error(e); process.exit(1); });
