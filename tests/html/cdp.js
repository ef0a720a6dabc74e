// cdp: drives a headless chromium over the DevTools protocol on a pipe
// (--remote-debugging-pipe: requests on fd 3, replies on fd 4, each a JSON
// message ended by a NUL), with node's built-ins only.  open() loads a page
// and collects every console error and uncaught exception; the tests fail on
// any.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

function findChromium() {
  for (const c of [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'])
    if (c && fs.existsSync(c)) return c;
  return null;
}

class Browser {
  constructor(bin) {
    this.profile = fs.mkdtempSync(path.join(os.tmpdir(), 'fp-chromium-'));
    this.proc = spawn(bin, ['--headless=new', '--remote-debugging-pipe', '--no-sandbox',
      '--disable-gpu', '--no-first-run', '--no-default-browser-check', '--disable-extensions',
      '--disable-background-networking', '--disable-sync', '--mute-audio', '--hide-scrollbars',
      '--user-data-dir=' + this.profile, 'about:blank'],
      { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
    this.stderr = '';
    this.proc.stderr.on('data', d => { this.stderr += d; });
    this.out = this.proc.stdio[3];
    this.id = 0;
    this.pending = new Map();
    this.handlers = [];
    let buf = '';
    this.proc.stdio[4].on('data', d => {
      buf += d.toString('utf8');
      let k;
      while ((k = buf.indexOf('\0')) >= 0) {
        const msg = JSON.parse(buf.slice(0, k));
        buf = buf.slice(k + 1);
        if (msg.id && this.pending.has(msg.id)) {
          const { resolve, reject, method } = this.pending.get(msg.id);
          this.pending.delete(msg.id);
          if (msg.error) reject(new Error(method + ': ' + JSON.stringify(msg.error)));
          else resolve(msg.result);
        } else if (msg.method) {
          for (const h of this.handlers) h(msg);
        }
      }
    });
    this.exited = new Promise(r => this.proc.on('exit', r));
  }
  send(method, params, sessionId) {
    const id = ++this.id;
    const msg = { id, method, params: params || {} };
    if (sessionId) msg.sessionId = sessionId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.out.write(JSON.stringify(msg) + '\0');
    });
  }
  async close() {
    try { await this.send('Browser.close'); } catch (e) { /* gone already */ }
    await Promise.race([this.exited, new Promise(r => setTimeout(r, 3000))]);
    if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
    fs.rmSync(this.profile, { recursive: true, force: true });
  }
}

// A page of file, loaded at width x height; errors collects console errors
// and exceptions.
async function open(browser, file, width, height) {
  const { targetId } = await browser.send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await browser.send('Target.attachToTarget', { targetId, flatten: true });
  const page = {
    errors: [],
    send: (m, p) => browser.send(m, p, sessionId),
  };
  let loaded;
  const load = new Promise(r => { loaded = r; });
  browser.handlers.push(msg => {
    if (msg.sessionId !== sessionId) return;
    if (msg.method === 'Runtime.exceptionThrown')
      page.errors.push('exception: ' + JSON.stringify(msg.params.exceptionDetails.exception ?
        msg.params.exceptionDetails.exception.description : msg.params.exceptionDetails.text));
    else if (msg.method === 'Runtime.consoleAPICalled' && (msg.params.type === 'error' || msg.params.type === 'assert'))
      page.errors.push('console.' + msg.params.type + ': ' + msg.params.args.map(a => a.value || a.description).join(' '));
    else if (msg.method === 'Log.entryAdded' && msg.params.entry.level === 'error')
      page.errors.push('log: ' + msg.params.entry.text + ' ' + (msg.params.entry.url || ''));
    else if (msg.method === 'Page.loadEventFired')
      loaded();
  });
  await page.send('Runtime.enable');
  await page.send('Log.enable');
  await page.send('Page.enable');
  await page.send('Emulation.setDeviceMetricsOverride',
                  { width, height, deviceScaleFactor: 1, mobile: false });
  const t0 = Date.now();
  await page.send('Page.navigate', { url: 'file://' + path.resolve(file) });
  await load;
  page.loadMs = Date.now() - t0;
  page.eval = async expr => {
    const r = await page.send('Runtime.evaluate', { expression: expr, returnByValue: true, awaitPromise: true });
    if (r.exceptionDetails) throw new Error('evaluate ' + expr + ': ' + JSON.stringify(r.exceptionDetails));
    return r.result.value;
  };
  page.mouse = async (type, x, y) => page.send('Input.dispatchMouseEvent',
    { type, x, y, button: 'left', buttons: type === 'mouseReleased' ? 0 : 1, clickCount: 1 });
  page.click = async (x, y) => { await page.mouse('mousePressed', x, y); await page.mouse('mouseReleased', x, y); };
  page.move = async (x, y) => page.send('Input.dispatchMouseEvent', { type: 'mouseMoved', x, y, button: 'none', buttons: 0 });
  page.drag = async (x1, y1, x2, y2) => {
    await page.mouse('mousePressed', x1, y1);
    for (let k = 1; k <= 5; k++)
      await page.send('Input.dispatchMouseEvent', { type: 'mouseMoved', x: x1 + (x2 - x1) * k / 5,
                      y: y1 + (y2 - y1) * k / 5, button: 'left', buttons: 1 });
    await page.mouse('mouseReleased', x2, y2);
  };
  page.type = async text => page.send('Input.insertText', { text });
  page.screenshot = async (out, full) => {
    let clip;
    if (full) {
      const m = await page.send('Page.getLayoutMetrics');
      clip = { x: 0, y: 0, width, height: Math.min(Math.ceil(m.cssContentSize.height), 8000), scale: 1 };
    }
    const r = await page.send('Page.captureScreenshot', clip ? { format: 'png', clip, captureBeyondViewport: true } : { format: 'png' });
    fs.writeFileSync(out, Buffer.from(r.data, 'base64'));
  };
  page.close = () => browser.send('Target.closeTarget', { targetId });
  return page;
}

// check(ok, what) prints "ok: what" or "FAIL: what"; failed() says whether
// any check failed.
let nfailed = 0;
function check(ok, what) {
  if (!ok) { nfailed++; console.log('FAIL: ' + what); } else console.log('ok: ' + what);
}
const failed = () => nfailed > 0;

module.exports = { Browser, open, findChromium, check, failed };
