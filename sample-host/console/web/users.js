// Users: every user with an avatar thumbnail (GET /api/users/{id}/avatar), the avatar's origin
// and, per user, the plugins' photo status (last outcome and reason, when last checked, the IdP
// version tag held), from GET /api/users/{id}/photo-status.
import * as api from './api.js';
import {h, clear, notice, formatTime} from './dom.js';

const PAGE = 100;

function origin(a) {
  if (!a || a.origin === 'default') return 'default';
  if (a.origin === 'plugin') return `set by ${a.pluginKey || 'a plugin'}`;
  return a.origin;
}

export async function render(main, offset = 0) {
  const r = await api.get(`/api/users?offset=${offset}&limit=${PAGE}`);
  const list = r.users || [];
  main.appendChild(h('h1', null, 'Users'));
  main.appendChild(h('p', {class: 'lead'}, `${r.total ?? list.length} users. The photo status is what each plugin last decided for the user.`));
  if (!list.length) { main.appendChild(notice('info', 'No users yet: add a directory and run a sync.')); return; }
  const statusCells = new Map();
  const table = h('table', {class: 'grid users', id: 'users'},
    h('thead', null, h('tr', null, ['', 'Name', 'Username / email', 'Directory', 'Active', 'Avatar', 'Photo status'].map((t, i) =>
      h('th', {scope: 'col'}, i === 0 ? h('span', {class: 'sr-only'}, 'Avatar') : t)))),
    h('tbody', null, list.map((u) => {
      const cell = h('td', {class: 'photo-status'}, h('span', {class: 'caption'}, '…'));
      statusCells.set(u.id, cell);
      const thumb = u.avatarUrl
        ? h('img', {class: 'avatar', src: u.avatarUrl, alt: '', width: 40, height: 40, dataset: {user: u.id}})
        : h('span', {class: 'avatar avatar-default', 'aria-hidden': 'true'}, initials(u.displayName || u.username));
      return h('tr', {dataset: {user: u.id, username: u.username}},
        h('td', null, thumb),
        h('td', {class: 'display-name'}, u.displayName || ''),
        h('td', null, h('div', null, u.username || ''), u.email && u.email !== u.username ? h('div', {class: 'caption'}, u.email) : null),
        h('td', null, u.directory || ''),
        h('td', null, u.active === false ? 'no' : 'yes'),
        h('td', {class: 'origin'}, origin(u.avatar)),
        cell);
    })));
  main.appendChild(h('div', {class: 'card table-card'}, table));
  const nav = h('div', {class: 'actions'});
  if (offset > 0) nav.appendChild(h('button', {type: 'button', onclick: () => { clear(main); render(main, Math.max(0, offset - PAGE)); }}, 'Previous'));
  if (offset + list.length < (r.total || 0)) nav.appendChild(h('button', {type: 'button', onclick: () => { clear(main); render(main, offset + PAGE); }}, 'Next'));
  main.appendChild(nav);
  loadStatuses(list, statusCells);
}

function initials(name) {
  return String(name || '?').split(/\s+/).filter(Boolean).slice(0, 2).map((w) => w[0]).join('').toUpperCase();
}

async function loadStatuses(list, cells) {
  // A few at a time: the console is one admin's page, not a bulk client.
  const queue = [...list];
  const worker = async () => {
    while (queue.length) {
      const u = queue.shift();
      const cell = cells.get(u.id);
      try {
        const s = await api.get(`/api/users/${api.enc(u.id)}/photo-status`);
        clear(cell).appendChild(statusView(s));
      } catch (e) {
        clear(cell).appendChild(h('span', {class: 'caption'}, e.status === 501 ? 'not available in this host' : e.message));
        if (e.status === 501) { for (const c of cells.values()) if (c !== cell) clear(c).appendChild(h('span', {class: 'caption'}, 'not available in this host')); return; }
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}

function statusView(s) {
  const records = Array.isArray(s.plugins) ? s.plugins : (Array.isArray(s.statuses) ? s.statuses : [s]);
  const out = h('div');
  if (!records.length) out.appendChild(h('span', {class: 'caption'}, 'no plugin reports on users'));
  for (const p of records) {
    if (p.error) { out.appendChild(h('div', {class: 'caption'}, `${p.pluginKey || ''}: ${p.error}`)); continue; }
    if (p.known === false) { out.appendChild(h('div', {class: 'caption'}, 'not processed yet')); continue; }
    const outcome = String(p.outcome || '').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
    out.appendChild(h('div', null, h('span', {class: `status status-${p.outcome}`}, outcome),
      p.reason ? h('span', {class: 'reason'}, ` ${p.reason}`) : null));
    const facts = [];
    if (p.checkedAtUnixMs) facts.push(['checked', formatTime(p.checkedAtUnixMs)]);
    if (p.sinceUnixMs) facts.push(['since', formatTime(p.sinceUnixMs)]);
    if (p.versionTag) facts.push(['version', p.versionTag]);
    for (const d of p.details || []) facts.push(Array.isArray(d) ? d : [d.name, d.value]);
    for (const [name, value] of facts) {
      // A long hex digest (an image hash) is shortened on screen; the whole value is its title.
      const text = String(value ?? '');
      const shown = /^[0-9a-f]{24,}$/i.test(text) ? `${text.slice(0, 12)}…` : text;
      out.appendChild(h('div', {class: 'caption fact', title: shown === text ? null : text}, `${name}: ${shown}`));
    }
  }
  return out;
}
