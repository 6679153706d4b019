// Sync: Run now / Dry run, live progress (a bar per directory and per plugin phase, polled from
// GET /api/sync/progress), the run history, and one run's report (counts, notes, per-user
// outcomes with reasons, failures first, filterable by outcome).
import * as api from './api.js';
import {h, clear, notice, formatTime} from './dom.js';

const POLL_MS = 500;

function bar(id, label, done, total, phase) {
  const known = total > 0;
  const pct = known ? Math.min(100, Math.round((done / total) * 100)) : (phase === 'done' ? 100 : 0);
  const text = known ? `${done} / ${total}` : `${done}${phase === 'done' ? '' : ' so far'}`;
  return h('div', {class: `progress-row ${phase || ''}`, dataset: {progress: id}},
    h('div', {class: 'progress-label'}, h('span', null, label), h('span', {class: 'progress-count'}, text, phase && phase !== 'import' ? ` (${phase})` : '')),
    h('div', {class: `progress ${known || phase === 'done' ? '' : 'indeterminate'}`, role: 'progressbar', 'aria-label': label,
      'aria-valuemin': '0', 'aria-valuemax': known ? String(total) : null, 'aria-valuenow': known ? String(done) : null,
      'aria-valuetext': text},
    h('div', {class: 'progress-fill', dataset: {pct: String(pct)}})));
}

// The CSP allows no inline style attribute changes through markup; setting the property from a
// script is allowed (CSSOM), so widths are set here.
function applyWidths(root) {
  for (const f of root.querySelectorAll('.progress-fill')) f.style.width = `${f.dataset.pct}%`;
}

function renderProgress(box, p) {
  clear(box);
  if (!p || p.state === 'idle') {
    box.appendChild(h('p', {class: 'caption', id: 'sync-state', dataset: {state: 'idle'}}, 'No sync has run since the console started.'));
    return;
  }
  const title = p.state === 'running' ? (p.dryRun ? 'Dry run in progress' : 'Sync in progress')
    : `${p.dryRun ? 'Dry run' : 'Sync'} finished: ${p.status || ''}`;
  box.appendChild(h('h3', {id: 'sync-state', dataset: {state: p.state, status: p.status || '', run: p.runId || ''}}, title));
  for (const d of p.directories || []) box.appendChild(bar(`dir-${d.id}`, `Import: ${d.name}`, d.done || 0, d.total || 0, d.phase));
  for (const ph of p.phases || []) box.appendChild(bar(`phase-${ph.name}`, `Plugin work: ${ph.name}`, ph.done || 0, ph.total || 0, p.state === 'finished' ? 'done' : ''));
  if (p.error) box.appendChild(notice('error', p.error));
  if (p.state === 'finished' && p.runId)
    box.appendChild(h('p', null, h('a', {href: `#/runs/${encodeURIComponent(p.runId)}`, id: 'last-run-link'}, 'Open this run\'s report')));
  applyWidths(box);
}

export async function render(main) {
  main.appendChild(h('h1', null, 'Sync'));
  main.appendChild(h('p', {class: 'lead'}, 'A sync imports every directory\'s users and runs the plugins over them. A dry run reports what would change and writes nothing.'));
  const status = h('div', {'aria-live': 'polite'});
  const progressBox = h('div', {id: 'sync-progress', 'aria-live': 'polite'});
  const history = h('div', {id: 'run-history'});
  const runNow = h('button', {type: 'button', class: 'primary', id: 'run-now'}, 'Run now');
  const dryRun = h('button', {type: 'button', id: 'dry-run'}, 'Dry run');
  main.appendChild(h('section', {class: 'card'}, h('div', {class: 'actions'}, runNow, dryRun), status, progressBox));
  main.appendChild(h('section', {class: 'card', 'aria-labelledby': 'history-title'}, h('h2', {id: 'history-title'}, 'Run history'), history));

  let timer = null;
  let stopped = false;
  let lastState = '';
  let expectRun = '';  // the run this page started: polled until the progress is about it
  const loadHistory = async () => {
    try {
      const r = await api.get('/api/runs?limit=50');
      clear(history).appendChild(runsTable(r.runs || []));
    } catch (e) {
      clear(history).appendChild(notice('error', e.message));
    }
  };
  const poll = async () => {
    timer = null;
    let p;
    try {
      p = await api.get('/api/sync/progress');
    } catch (e) {
      clear(status).appendChild(notice('error', e.message));
      return;
    }
    if (stopped) return;
    renderProgress(progressBox, p);
    const running = p.state === 'running' || (expectRun !== '' && p.runId !== expectRun);
    runNow.disabled = running;
    dryRun.disabled = running;
    if (lastState === 'running' && !running) loadHistory();
    lastState = p.state;
    if (running) timer = setTimeout(poll, POLL_MS);
  };
  const start = async (dry) => {
    clear(status);
    runNow.disabled = true;
    dryRun.disabled = true;
    try {
      const r = await api.post('/api/sync', {dryRun: dry});
      expectRun = (r && r.runId) || '';
      lastState = 'running';
    } catch (e) {
      status.appendChild(notice('error', e.message));
    }
    if (timer) clearTimeout(timer);
    poll();
  };
  runNow.addEventListener('click', () => start(false));
  dryRun.addEventListener('click', () => start(true));
  await Promise.all([poll(), loadHistory()]);
  return () => { stopped = true; if (timer) clearTimeout(timer); };
}

function runsTable(runs) {
  if (!runs.length) return h('p', {class: 'caption'}, 'No runs yet.');
  return h('table', {class: 'grid', id: 'runs'},
    h('thead', null, h('tr', null, ['Started', 'Finished', 'Status', 'Kind', 'Trigger'].map((t) => h('th', {scope: 'col'}, t)))),
    h('tbody', null, runs.map((r) => h('tr', {dataset: {run: r.id}},
      h('td', null, h('a', {href: `#/runs/${encodeURIComponent(r.id)}`}, formatTime(r.startedAtUnixMs))),
      h('td', null, formatTime(r.finishedAtUnixMs)),
      h('td', null, h('span', {class: `status status-${r.status}`}, r.status)),
      h('td', null, r.dryRun ? 'dry run' : 'sync'),
      h('td', null, r.trigger || '')))));
}

const OUTCOME_ORDER = ['failed', 'skipped', 'held', 'reverted', 'updated', 'withoutPhoto', 'unchanged'];
const words = (s) => String(s || '').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();

export async function renderRun(main, id) {
  const r = await api.get(`/api/runs/${api.enc(id)}`);
  main.appendChild(h('p', {class: 'back'}, h('a', {href: '#/sync'}, '← Sync')));
  main.appendChild(h('h1', null, `${r.dryRun ? 'Dry run' : 'Run'} ${formatTime(r.startedAtUnixMs)}`,
    h('span', {class: `status status-${r.status}`, id: 'run-status'}, r.status)));
  for (const n of r.notes || []) main.appendChild(notice(r.status === 'completed' ? 'info' : 'warning', n));

  const dirs = r.directories || [];
  if (dirs.length) {
    const cols = ['seen', 'created', 'updated', 'unchanged', 'deactivated', 'held', 'skipped'];
    main.appendChild(h('section', {class: 'card'}, h('h2', null, 'Import'),
      h('table', {class: 'grid', id: 'run-directories'},
        h('thead', null, h('tr', null, h('th', {scope: 'col'}, 'Directory'), cols.map((c) => h('th', {scope: 'col', class: 'num'}, c)), h('th', {scope: 'col'}, 'Notes'))),
        h('tbody', null, dirs.map((d) => h('tr', null, h('td', null, d.name, d.completed ? '' : ' (incomplete)'),
          cols.map((c) => h('td', {class: 'num'}, String(d[c] ?? ''))),
          h('td', null, [d.error, ...(d.notes || [])].filter(Boolean).map((x) => h('div', null, x)))))))));
  }
  for (const p of r.plugins || []) main.appendChild(pluginReport(p));
}

function pluginReport(p) {
  const sec = h('section', {class: 'card plugin-report', dataset: {plugin: p.pluginKey}}, h('h2', null, `Plugin ${p.pluginKey}`,
    p.outcome ? h('span', {class: `status status-${p.outcome}`}, p.outcome) : null));
  for (const f of p.failures || []) sec.appendChild(notice('error', `${f.hook} (${f.kind}): ${f.detail}`));
  if (!p.reported || !p.report) { sec.appendChild(h('p', {class: 'caption'}, 'No report.')); return sec; }
  const rep = p.report;
  sec.appendChild(h('dl', {class: 'counts'}, (rep.counts || []).map((c) => h('div', {class: 'count', dataset: {count: c.name}}, h('dt', null, words(c.name)), h('dd', null, String(c.value))))));
  if ((rep.metrics || []).length)
    sec.appendChild(h('p', {class: 'caption'}, rep.metrics.map((m) => `${words(m.name)}: ${m.value}${m.unit ? ` ${m.unit}` : ''}`).join(' · ')));
  for (const n of rep.notes || []) sec.appendChild(notice('info', n));
  const entries = [...(rep.entries || [])];
  const rank = (o) => { const i = OUTCOME_ORDER.indexOf(o); return i < 0 ? OUTCOME_ORDER.length : i; };
  entries.sort((a, b) => rank(a.outcome) - rank(b.outcome));  // failures first (the API does too)
  const outcomes = [...new Set(entries.map((e) => e.outcome))];
  const filterId = `filter-${p.pluginKey}`;
  const filter = h('select', {id: filterId, class: 'outcome-filter'}, h('option', {value: ''}, `all (${entries.length})`),
    outcomes.map((o) => h('option', {value: o}, `${words(o)} (${entries.filter((e) => e.outcome === o).length})`)));
  const body = h('tbody');
  const draw = () => {
    clear(body);
    for (const e of entries) {
      if (filter.value && e.outcome !== filter.value) continue;
      body.appendChild(h('tr', {class: `outcome-${e.outcome}`, dataset: {outcome: e.outcome}},
        h('td', null, e.username || e.userId), h('td', null, h('span', {class: `status status-${e.outcome}`}, words(e.outcome))), h('td', null, e.reason || '')));
    }
  };
  filter.addEventListener('change', draw);
  draw();
  sec.appendChild(h('div', {class: 'filter-row'}, h('label', {for: filterId}, 'Show users: '), filter));
  sec.appendChild(h('table', {class: 'grid entries'}, h('thead', null, h('tr', null, h('th', {scope: 'col'}, 'User'), h('th', {scope: 'col'}, 'Outcome'), h('th', {scope: 'col'}, 'Reason'))), body));
  return sec;
}
