#include "runtime/ui/streaming_page.hpp"

#include <string>

namespace rill {

namespace {
const char* kStyle = R"CSS(
body { font-family: sans-serif; margin: 16px 24px; color: #222; max-width: 1400px; }
h1 { font-size: 22px; margin: 0 0 4px 0; } h2 { font-size: 17px; margin: 20px 0 6px 0; }
#summary { color: #444; margin-bottom: 10px; }
.grid { display: grid; grid-template-columns: 160px minmax(0, 2fr) minmax(0, 1fr); gap: 6px 14px; align-items: center; }
.grid .label { font-weight: bold; font-size: 14px; } .grid .label small { display: block; font-weight: normal; color: #666; }
.chart { position: relative; height: 150px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; }
th { background: #f3f3f3; } tr:nth-child(even) td { background: #fafafa; }
.error { color: #b00; } a { color: #0550ae; }
)CSS";
// Helpers both pages use.
const char* kCommonJs = R"JS(
'use strict';
async function getJson(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(url + ': HTTP ' + r.status);
  return r.json();
}
function cell(row, text, cls) { const td = row.insertCell(); td.textContent = text; if (cls) td.className = cls; return td; }
// Runs refresh() now and every second; a failure is shown in #summary.
function refreshEverySecond(refresh, failure) {
  async function loop() {
    try { await refresh(); } catch (e) { document.getElementById('summary').textContent = failure + e.message; }
    setTimeout(loop, 1000);
  }
  loop();
}
)JS";

// A page: head with the style sheet (and `head_extra`), the body, then the
// common helpers followed by the page's own script.
std::string make_page(const char* title, const char* head_extra, const char* body, const char* script) {
  return std::string("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>") + title +
         "</title>\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><style>" + kStyle +
         "</style>" + head_extra + "</head>\n<body>\n" + body + "<script>" + kCommonJs + script +
         "</script>\n</body></html>\n";
}
}  // namespace

const char* streaming_page_html() {
  static const std::string page = make_page(
      "Streaming Statistics - Rill", "<script src=\"/static/chart.min.js\"></script>", R"HTML(<h1>Streaming Statistics</h1>
<div id="summary">Loading...</div>
<div class="grid" id="charts"></div>
<h2>Receivers</h2>
<table id="receivers"><thead><tr><th>Receiver</th><th>Status</th><th>Node</th><th>Avg events/s</th><th>Last error</th></tr></thead><tbody></tbody></table>
<h2 id="active-title">Active Batches</h2>
<table id="active-batches"><thead><tr><th>Batch time</th><th>Records</th><th>Scheduling delay</th><th>Processing time</th><th>Output ops: succeeded/total</th><th>Status</th></tr></thead><tbody></tbody></table>
<h2 id="completed-title">Completed Batches</h2>
<table id="completed-batches"><thead><tr><th>Batch time</th><th>Records</th><th>Scheduling delay</th><th>Processing time</th><th>Total delay</th><th>Output ops: succeeded/total</th></tr></thead><tbody></tbody></table>
)HTML",
      R"JS(const METRICS = [
  {key: 'input', title: 'Input Rate', unit: 'records/s', value: b => b.inputSize * 1000 / b.batchDuration, avg: s => s.avgInputRate},
  {key: 'sched', title: 'Scheduling Delay', unit: 'ms', value: b => b.schedulingDelay, avg: s => s.avgSchedulingDelay},
  {key: 'proc', title: 'Processing Time', unit: 'ms', value: b => b.processingTime, avg: s => s.avgProcessingTime},
  {key: 'total', title: 'Total Delay', unit: 'ms', value: b => b.totalDelay, avg: s => s.avgTotalDelay},
];
const charts = {};
let base = null;
// Batch times in GMT, as the REST API's dates; milliseconds shown for sub-second batches.
let batchMs = 1000;
function fmtTime(ms) { return new Date(ms).toISOString().substring(11, batchMs % 1000 ? 23 : 19) + ' GMT'; }
function fmtMs(v) { return v === undefined ? '-' : v + ' ms'; }
function buildCharts() {
  const grid = document.getElementById('charts');
  for (const m of METRICS) {
    const label = document.createElement('div');
    label.className = 'label';
    label.innerHTML = '<span></span><small id="avg-' + m.key + '"></small>';
    label.firstChild.textContent = m.title;
    grid.appendChild(label);
    for (const kind of ['chart', 'hist']) {
      const box = document.createElement('div');
      box.className = 'chart';
      const canvas = document.createElement('canvas');
      canvas.id = kind + '-' + m.key;
      box.appendChild(canvas);
      grid.appendChild(box);
      const line = kind === 'chart';
      charts[canvas.id] = new Chart(canvas, {
        type: line ? 'line' : 'bar',
        data: {labels: [], datasets: [{label: line ? m.title + ' (' + m.unit + ')' : 'batches', data: [],
               borderColor: '#3b82f6', backgroundColor: line ? '#3b82f633' : '#3b82f6aa', pointRadius: 2, fill: line}]},
        options: {animation: false, responsive: true, maintainAspectRatio: false,
                  plugins: {legend: {display: false}, title: {display: true, text: line ? 'Timeline (' + m.unit + ')' : 'Histogram'}},
                  scales: {x: {ticks: {maxTicksLimit: 8}}, y: {beginAtZero: true}}},
      });
    }
  }
}
function histogram(values) {
  if (values.length === 0) return {labels: [], counts: []};
  const lo = Math.min(...values), hi = Math.max(...values);
  const bins = 10, width = (hi - lo) / bins || 1;
  const counts = new Array(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor((v - lo) / width))]++;
  const digits = width >= 10 ? 0 : width >= 1 ? 1 : 2;
  const labels = counts.map((_, i) => (lo + i * width).toFixed(digits) + '-' + (lo + (i + 1) * width).toFixed(digits));
  return {labels, counts};
}
function setChart(id, labels, data) {
  const c = charts[id];
  c.data.labels = labels;
  c.data.datasets[0].data = data;
  c.update();
}
// One row per batch: a link to its page, records, delays, then `rest(row, b)`.
function fillBatches(table, list, rest) {
  const body = document.querySelector(table + ' tbody');
  body.replaceChildren();
  for (const b of list) {
    const row = body.insertRow();
    const link = document.createElement('a');
    link.href = '/streaming/batch/?id=' + b.batchId;
    link.textContent = fmtTime(b.batchId);
    row.insertCell().appendChild(link);
    cell(row, b.inputSize); cell(row, fmtMs(b.schedulingDelay)); cell(row, fmtMs(b.processingTime));
    rest(row, b);
  }
}
function opsText(b) { return (b.numCompletedOutputOps) + '/' + b.numTotalOutputOps + (b.numFailedOutputOps ? ' (' + b.numFailedOutputOps + ' failed)' : ''); }
async function refresh() {
  if (!base) {
    const apps = await getJson('/api/v1/applications');
    base = '/api/v1/applications/' + encodeURIComponent(apps[0].id) + '/streaming';
    document.title = 'Streaming Statistics - ' + apps[0].name;
  }
  const [stats, batches, receivers] = await Promise.all([
    getJson(base + '/statistics'), getJson(base + '/batches'), getJson(base + '/receivers')]);
  batchMs = stats.batchDuration;
  document.getElementById('summary').textContent =
    'Running batches of ' + stats.batchDuration + ' ms for ' +
    Math.round((Date.now() - Date.parse(stats.startTime.replace('GMT', 'Z'))) / 1000) + ' s since ' +
    stats.startTime + ' and completed ' + stats.numTotalCompletedBatches + ' batches, ' +
    stats.numProcessedRecords + ' records. Receivers: ' + stats.numActiveReceivers + ' active of ' + stats.numReceivers + '.';
  const completed = batches.filter(b => b.status === 'COMPLETED').reverse();
  for (const m of METRICS) {
    const points = completed.filter(b => m.value(b) !== undefined);
    setChart('chart-' + m.key, points.map(b => fmtTime(b.batchId)), points.map(m.value));
    const h = histogram(points.map(m.value));
    setChart('hist-' + m.key, h.labels, h.counts);
    const avg = m.avg(stats);
    document.getElementById('avg-' + m.key).textContent = avg === undefined ? '' : 'avg ' + Math.round(avg) + ' ' + m.unit;
  }
  const rbody = document.querySelector('#receivers tbody');
  rbody.replaceChildren();
  for (const r of receivers) {
    const row = rbody.insertRow();
    cell(row, r.streamName + ' (' + r.streamId + ')');
    cell(row, r.isActive ? 'ACTIVE' : 'INACTIVE');
    cell(row, r.executorId + ' (' + r.executorHost + ')');
    cell(row, r.avgEventRate === undefined ? '-' : Math.round(r.avgEventRate));
    cell(row, r.lastErrorMessage ? r.lastErrorTime + ': ' + r.lastErrorMessage : '-', r.lastErrorMessage ? 'error' : '');
  }
  const active = batches.filter(b => b.status !== 'COMPLETED');
  document.getElementById('active-title').textContent = 'Active Batches (' + active.length + ')';
  fillBatches('#active-batches', active, (row, b) => { cell(row, opsText(b)); cell(row, b.status); });
  document.getElementById('completed-title').textContent =
    'Completed Batches (last ' + completed.length + ' of ' + stats.numTotalCompletedBatches + ')';
  fillBatches('#completed-batches', completed.slice().reverse().slice(0, 100), (row, b) => {
    cell(row, fmtMs(b.totalDelay)); cell(row, opsText(b), b.numFailedOutputOps ? 'error' : '');
  });
}
buildCharts();
refreshEverySecond(refresh, 'Cannot reach the engine: ');
)JS");
  return page.c_str();
}

const char* batch_page_html() {
  static const std::string page = make_page("Batch - Rill", "", R"HTML(<p><a href="/streaming/">&larr; Streaming Statistics</a></p>
<h1 id="title">Batch</h1>
<div id="summary">Loading...</div>
<h2>Output Operations</h2>
<table id="operations"><thead><tr><th>Output op id</th><th>Description</th><th>Start</th><th>Duration</th><th>Status</th></tr></thead><tbody></tbody></table>
)HTML",
                                            R"JS(async function refresh() {
  const id = new URLSearchParams(location.search).get('id');
  const apps = await getJson('/api/v1/applications');
  const base = '/api/v1/applications/' + encodeURIComponent(apps[0].id) + '/streaming/batches/' + encodeURIComponent(id);
  const [b, ops] = await Promise.all([getJson(base), getJson(base + '/operations')]);
  document.getElementById('title').textContent = 'Batch at ' + b.batchTime;
  document.getElementById('summary').textContent =
    'Status: ' + b.status + '. Input: ' + b.inputSize + ' records. Scheduling delay: ' +
    (b.schedulingDelay ?? '-') + ' ms. Processing time: ' + (b.processingTime ?? '-') + ' ms. Total delay: ' +
    (b.totalDelay ?? '-') + ' ms.' + (b.firstFailureReason ? ' First failure: ' + b.firstFailureReason : '');
  const body = document.querySelector('#operations tbody');
  body.replaceChildren();
  for (const op of ops) {
    const row = body.insertRow();
    cell(row, op.outputOpId); cell(row, op.description); cell(row, op.startTime ?? '-');
    cell(row, op.duration === undefined ? '-' : op.duration + ' ms');
    cell(row, op.failureReason ? 'Failed: ' + op.failureReason : (op.endTime ? 'Succeeded' : 'Running'),
         op.failureReason ? 'error' : '');
  }
}
refreshEverySecond(refresh, 'Cannot load the batch: ');
)JS");
  return page.c_str();
}

}  // namespace rill
