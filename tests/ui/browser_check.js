// Loads the Streaming page of a running Rill program in headless Chromium
// (Debian's, driven by playwright-core) and checks what a person would look
// at: every timeline and histogram has data points, the receivers and
// completed-batches tables have rows, a batch's page lists its output
// operations, and no console error occurred. Saves a screenshot of each page.
//
//   node browser_check.js http://127.0.0.1:PORT OUT_DIR
'use strict';
const { chromium } = require('playwright-core');

async function main() {
  const [url, outDir] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
  });
  const errors = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', e => errors.push('page error: ' + String(e)));
    page.on('console', m => { if (m.type() === 'error') errors.push('console: ' + m.text()); });
    await page.goto(url + '/streaming/');
    await page.waitForFunction(() => {
      const c = window.Chart && Chart.getChart('chart-input');
      return c && c.data.labels.length >= 3 && document.querySelectorAll('#completed-batches tbody tr').length >= 3;
    }, null, { timeout: 30000 });
    const points = await page.evaluate(() => ['input', 'sched', 'proc', 'total'].map(k => ({
      key: k,
      timeline: Chart.getChart('chart-' + k).data.datasets[0].data.length,
      histogram: Chart.getChart('hist-' + k).data.datasets[0].data.reduce((a, b) => a + b, 0),
    })));
    for (const p of points) {
      if (p.timeline < 3 || p.histogram < 3) throw new Error('chart ' + p.key + ' has too few points: ' + JSON.stringify(p));
    }
    const receivers = await page.locator('#receivers tbody tr').count();
    if (receivers < 1) throw new Error('the receivers table is empty');
    const summary = await page.textContent('#summary');
    if (!/completed \d+ batches/.test(summary)) throw new Error('unexpected summary: ' + summary);
    await page.screenshot({ path: outDir + '/ui-streaming.png', fullPage: true });

    await page.click('#completed-batches tbody tr:first-child a');
    await page.waitForSelector('#operations tbody tr', { timeout: 15000 });
    const title = await page.textContent('#title');
    if (!title.startsWith('Batch at ')) throw new Error('unexpected batch page title: ' + title);
    await page.screenshot({ path: outDir + '/ui-batch.png', fullPage: true });
    if (errors.length) throw new Error('console errors:\n' + errors.join('\n'));
    console.log('browser check ok: ' + JSON.stringify(points) + ', ' + receivers + ' receiver row(s)');
  } finally {
    await browser.close();
  }
}

main().catch(e => { console.error(String(e && e.stack || e)); process.exit(1); });
