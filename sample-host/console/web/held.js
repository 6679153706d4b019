// Held changes: the host's held deactivations and each plugin's held changes (reverts the
// mass-revert guard held back), with Confirm (apply now) and Refuse (keep, stop holding).
import * as api from './api.js';
import {h, clear, notice, formatTime} from './dom.js';

export async function render(main) {
  main.appendChild(h('h1', null, 'Held changes'));
  main.appendChild(h('p', {class: 'lead'}, 'Changes a guard held back because too many users would have lost something in one run. Confirm applies them now; Refuse keeps things as they are and stops holding them.'));
  const status = h('div', {'aria-live': 'polite', id: 'held-status'});
  const body = h('div', {id: 'held'});
  main.appendChild(status);
  main.appendChild(body);
  const reload = async () => {
    const r = await api.get('/api/held');
    clear(body);
    const groups = [];
    if ((r.deactivations || []).length) groups.push({title: 'Deactivations held by the host', kind: 'host', items: r.deactivations});
    for (const p of r.plugins || []) {
      if (p.error) body.appendChild(notice('error', `${p.pluginKey}: ${p.error}`));
      if ((p.held || []).length) groups.push({title: `Held by the plugin ${p.pluginKey}`, kind: p.pluginKey, items: p.held});
    }
    if (!groups.length) { body.appendChild(notice('ok', 'Nothing is held.')); return; }
    for (const g of groups) body.appendChild(group(g, status, reload));
  };
  await reload();
}

function group(g, status, reload) {
  const byDir = new Map();
  for (const it of g.items) {
    if (!byDir.has(it.directoryId)) byDir.set(it.directoryId, {name: it.directory, items: []});
    byDir.get(it.directoryId).items.push(it);
  }
  const sec = h('section', {class: 'card', dataset: {held: g.kind}}, h('h2', null, g.title));
  for (const [dirId, d] of byDir) {
    const decide = async (what, users) => {
      clear(status);
      try {
        const r = await api.post(`/api/held/${what}`, users ? {directory: dirId, users} : {directory: dirId, all: true});
        status.appendChild(notice('ok', `${what === 'confirm' ? 'Confirmed' : 'Refused'}: ${r.decided ?? ''} ${r.decided === 1 ? 'change' : 'changes'}.`));
        for (const p of r.plugins || []) for (const e of p.errors || []) status.appendChild(notice('error', `${p.pluginKey}: ${typeof e === 'string' ? e : e.message || JSON.stringify(e)}`));
      } catch (e) {
        status.appendChild(notice('error', e.message));
      }
      await reload();
    };
    sec.appendChild(h('h3', null, `${d.name} (${d.items.length})`));
    sec.appendChild(h('div', {class: 'actions'},
      h('button', {type: 'button', class: 'primary', dataset: {action: 'confirm-all', directory: dirId}, onclick: () => decide('confirm')}, `Confirm all ${d.items.length}`),
      h('button', {type: 'button', dataset: {action: 'refuse-all', directory: dirId}, onclick: () => decide('refuse')}, `Refuse all ${d.items.length}`)));
    sec.appendChild(h('table', {class: 'grid held'},
      h('thead', null, h('tr', null, ['User', 'Change', 'Reason', 'Held since', 'Runs', ''].map((t, i) => h('th', {scope: 'col'}, i === 5 ? h('span', {class: 'sr-only'}, 'Decision') : t)))),
      h('tbody', null, d.items.map((it) => h('tr', {dataset: {user: it.userId, username: it.username}},
        h('td', null, it.username || it.userId), h('td', null, it.change || ''), h('td', null, it.reason || ''),
        h('td', null, formatTime(it.firstHeldAtUnixMs)), h('td', {class: 'num'}, String(it.runsSeen ?? '')),
        h('td', {class: 'row-actions'},
          h('button', {type: 'button', class: 'small', dataset: {action: 'confirm'}, 'aria-label': `Confirm for ${it.username || it.userId}`, onclick: () => decide('confirm', [it.userId])}, 'Confirm'),
          h('button', {type: 'button', class: 'small', dataset: {action: 'refuse'}, 'aria-label': `Refuse for ${it.username || it.userId}`, onclick: () => decide('refuse', [it.userId])}, 'Refuse')))))));
  }
  return sec;
}
