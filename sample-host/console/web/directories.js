// Directories: the list, add, edit (connection fields from GET /api/directory-kinds), remove,
// and inside each directory a tab for every loaded plugin page of its kind, rendered from the
// page's descriptors with "Test connection".
import * as api from './api.js';
import {h, clear, notice} from './dom.js';
import {renderFields} from './fields.js';

const arr = (x, key) => (Array.isArray(x) ? x : (x && Array.isArray(x[key]) ? x[key] : []));

let kindsCache = null;
async function kinds() {
  if (!kindsCache) kindsCache = arr(await api.get('/api/directory-kinds'), 'kinds');
  return kindsCache;
}
const kindLabel = (all, k) => (all.find((x) => x.kind === k) || {}).label || k;

export async function renderList(main) {
  const [list, all] = await Promise.all([api.get('/api/directories'), kinds()]);
  const dirs = arr(list, 'directories');
  main.appendChild(h('h1', null, 'Directories'));
  main.appendChild(h('p', {class: 'lead'}, 'Each directory is one connection to an identity provider tenant. Its users are imported by every sync; the plugins\' settings for it are inside it.'));
  if (!dirs.length) main.appendChild(notice('info', 'No directory yet. Add one below.'));
  else {
    main.appendChild(h('table', {class: 'grid', id: 'directories'},
      h('thead', null, h('tr', null, h('th', {scope: 'col'}, 'Name'), h('th', {scope: 'col'}, 'Kind'),
        h('th', {scope: 'col'}, 'Users'), h('th', {scope: 'col'}, h('span', {class: 'sr-only'}, 'Actions')))),
      h('tbody', null, dirs.map((d) => h('tr', {dataset: {directory: d.name}},
        h('td', null, h('a', {href: `#/directories/${encodeURIComponent(d.id)}`}, d.name)),
        h('td', null, kindLabel(all, d.kind)),
        h('td', null, d.users !== undefined ? String(d.users) : ''),
        h('td', {class: 'row-actions'}, h('a', {href: `#/directories/${encodeURIComponent(d.id)}`, class: 'button small'}, 'Configure')))))));
  }
  main.appendChild(addForm(all));
}

function addForm(all) {
  const section = h('section', {class: 'card', 'aria-labelledby': 'add-title'}, h('h2', {id: 'add-title'}, 'Add a directory'));
  const kindSel = h('select', {id: 'new-kind'}, all.map((k) => h('option', {value: k.kind}, k.label || k.kind)));
  const name = h('input', {id: 'new-name', type: 'text', required: true, 'aria-describedby': 'new-name-error'});
  const nameErr = h('p', {class: 'field-error', id: 'new-name-error', hidden: true});
  const holder = h('div');
  const status = h('div', {'aria-live': 'polite'});
  let form = null;
  const draw = () => {
    const k = all.find((x) => x.kind === kindSel.value) || {fields: []};
    form = renderFields(k.fields || [], {}, {}, {idPrefix: 'new'});
    clear(holder).appendChild(form.element);
  };
  kindSel.addEventListener('change', draw);
  draw();
  const submit = h('button', {type: 'submit', class: 'primary', id: 'add-directory'}, 'Add directory');
  section.appendChild(h('form', {id: 'add-form', novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    clear(status);
    nameErr.hidden = true;
    name.removeAttribute('aria-invalid');
    submit.disabled = true;
    try {
      const r = await api.post('/api/directories', {kind: kindSel.value, name: name.value, ...form.collect()});
      const id = r && r.id;
      location.hash = `#/directories/${encodeURIComponent(id)}`;
    } catch (e) {
      const errs = arr(e.body, 'errors');
      const nameErrors = errs.filter((x) => x.field === 'name');
      if (nameErrors.length) {
        nameErr.textContent = nameErrors.map((x) => x.message).join(' ');
        nameErr.hidden = false;
        name.setAttribute('aria-invalid', 'true');
      }
      const loose = form.showErrors(errs.filter((x) => x.field !== 'name'));
      status.appendChild(notice('error', e.message, ...loose.map((l) => ['\n', l])));
    } finally {
      submit.disabled = false;
    }
  }},
  h('div', {class: 'field'}, h('div', {class: 'control'}, h('label', {for: 'new-kind', class: 'field-label'}, 'Kind'), kindSel)),
  h('div', {class: 'field'}, h('div', {class: 'control'}, h('label', {for: 'new-name', class: 'field-label'}, 'Name', h('span', {class: 'required', 'aria-hidden': 'true'}, ' *')), name), nameErr),
  holder, status, h('div', {class: 'actions'}, submit)));
  return section;
}

export async function renderOne(main, id, tab) {
  const [d, all, pagesResp] = await Promise.all([
    api.get(`/api/directories/${api.enc(id)}`), kinds(),
    api.get(`/api/directories/${api.enc(id)}/pages`).catch((e) => ({error: e}))]);
  const dir = d.directory || d;
  const pages = pagesResp.error ? [] : arr(pagesResp, 'pages');
  main.appendChild(h('p', {class: 'back'}, h('a', {href: '#/directories'}, '← Directories')));
  main.appendChild(h('h1', null, dir.name, h('span', {class: 'kind-badge'}, kindLabel(all, dir.kind))));
  if (pagesResp.error) main.appendChild(notice('error', `The plugin pages could not be read: ${pagesResp.error.message}`));
  for (const p of arr(pagesResp, 'problems')) main.appendChild(notice('warning', p));
  if (dir.missing && dir.missing.length) main.appendChild(notice('warning', `Still needed before this directory can sync: ${dir.missing.join(', ')}.`));

  const tabs = [{id: 'connection', title: 'Connection'}].concat(
    pages.map((p) => ({id: `${p.plugin}.${p.page}`, title: p.title, page: p})));
  const active = tabs.find((t) => t.id === tab) || tabs[0];
  main.appendChild(h('div', {class: 'tabs', role: 'tablist', 'aria-label': 'Directory settings'},
    tabs.map((t) => h('a', {role: 'tab', href: `#/directories/${encodeURIComponent(id)}/${encodeURIComponent(t.id)}`,
      'aria-selected': t === active ? 'true' : 'false', id: `tab-${t.id}`, class: t === active ? 'tab active' : 'tab'}, t.title))));
  const panel = h('section', {class: 'card tabpanel', role: 'tabpanel', 'aria-labelledby': `tab-${active.id}`});
  main.appendChild(panel);
  if (active.page) renderPluginPage(panel, dir, active.page);
  else renderConnection(panel, dir, all);
}

function renderConnection(panel, dir, all) {
  const k = all.find((x) => x.kind === dir.kind) || {fields: []};
  const form = renderFields(k.fields || [], dir.values || {}, dir.secrets || {}, {idPrefix: 'conn'});
  const name = h('input', {id: 'conn-name', type: 'text', value: dir.name});
  const status = h('div', {'aria-live': 'polite'});
  const save = h('button', {type: 'submit', class: 'primary', id: 'save-connection'}, 'Save');
  panel.appendChild(h('h2', null, 'Connection'));
  panel.appendChild(h('p', {class: 'lead'}, 'What the host uses to import this directory\'s users.'));
  panel.appendChild(h('form', {id: 'connection-form', novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    clear(status);
    form.clearErrors();
    save.disabled = true;
    const body = form.collect();
    if (name.value !== dir.name) body.name = name.value;
    try {
      await api.put(`/api/directories/${api.enc(dir.id)}`, body);
      form.secretsSaved(Object.keys(body.secrets));
      if (body.name) dir.name = body.name;
      status.appendChild(notice('ok', 'Saved.'));
    } catch (e) {
      const loose = form.showErrors(arr(e.body, 'errors'));
      status.appendChild(notice('error', e.message, ...loose.map((l) => ['\n', l])));
    } finally {
      save.disabled = false;
    }
  }},
  h('div', {class: 'field'}, h('div', {class: 'control'}, h('label', {for: 'conn-name', class: 'field-label'}, 'Name'), name)),
  form.element, status, h('div', {class: 'actions'}, save)));

  const removeStatus = h('div', {'aria-live': 'polite'});
  const withUsers = h('input', {type: 'checkbox', id: 'remove-with-users'});
  panel.appendChild(h('div', {class: 'danger-zone'},
    h('h3', null, 'Remove this directory'),
    h('p', {class: 'caption'}, 'A directory that still has users is removed only together with them (their avatars and runs go too).'),
    h('div', {class: 'toggle-row'}, withUsers, h('label', {for: 'remove-with-users'}, 'Also remove its users')),
    h('div', {class: 'actions'}, h('button', {type: 'button', class: 'danger', id: 'remove-directory', onclick: async () => {
      clear(removeStatus);
      if (!window.confirm(`Remove the directory "${dir.name}"?`)) return;
      try {
        await api.del(`/api/directories/${api.enc(dir.id)}${withUsers.checked ? '?withUsers=true' : ''}`);
        location.hash = '#/directories';
      } catch (e) {
        removeStatus.appendChild(notice('error', e.message));
      }
    }}, 'Remove directory')), removeStatus));
}

function renderPluginPage(panel, dir, page) {
  const base = `/api/directories/${api.enc(dir.id)}/pages/${api.enc(page.plugin)}/${api.enc(page.page)}`;
  const form = renderFields(page.fields || [], page.values || {}, page.secrets || {}, {idPrefix: `p-${page.page}`});
  const status = h('div', {'aria-live': 'polite', id: 'page-status'});
  const save = h('button', {type: 'submit', class: 'primary', id: 'save-page'}, 'Save');
  const testBtn = h('button', {type: 'button', id: 'test-connection'}, 'Test connection');
  const testOut = h('div', {id: 'test-result', 'aria-live': 'polite'});
  panel.appendChild(h('h2', null, page.title));
  if (page.pluginName) panel.appendChild(h('p', {class: 'lead'}, `Provided by the plugin ${page.pluginName}.`));
  const choice = connectionChoice(dir, page, form);
  panel.appendChild(h('form', {id: 'page-form', novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    clear(status);
    form.clearErrors();
    save.disabled = true;
    const body = form.collect();
    if (choice && choice.changed()) body.connection = {useDirectory: choice.useDirectory()};
    try {
      await api.put(base, body);
      if (choice) choice.saved();
      form.secretsSaved(Object.keys(body.secrets));
      status.appendChild(notice('ok', 'Saved.'));
    } catch (e) {
      const errs = arr(e.body, 'errors');
      const loose = form.showErrors(errs);
      status.appendChild(notice('error', errs.length ? `Nothing was saved: ${errs.length} ${errs.length === 1 ? 'field needs' : 'fields need'} attention.` : e.message,
        ...loose.map((l) => ['\n', l])));
    } finally {
      save.disabled = false;
    }
  }}, choice ? choice.element : null, form.element, status, h('div', {class: 'actions'}, save, testBtn)));
  panel.appendChild(testOut);
  testBtn.addEventListener('click', async () => {
    clear(testOut);
    testBtn.disabled = true;
    testOut.appendChild(h('p', {class: 'caption'}, 'Testing the saved settings…'));
    try {
      const r = await api.post(`${base}/test`, {});
      clear(testOut).appendChild(testResult(r));
    } catch (e) {
      clear(testOut).appendChild(notice('error', e.message));
    } finally {
      testBtn.disabled = false;
    }
  });
}

function testResult(r) {
  const steps = arr(r, 'steps');
  const ok = r.ok !== undefined ? r.ok : steps.every((s) => s.ok);
  return h('div', {class: `test-result ${ok ? 'ok' : 'failed'}`},
    h('h3', null, ok ? 'Connection test passed' : 'Connection test failed'),
    h('ol', {class: 'steps'}, steps.map((s) => h('li', {class: s.ok ? 'ok' : 'failed'},
      h('span', {class: 'step-mark'}, s.ok ? 'ok' : 'failed'), ' ',
      h('span', {class: 'step-name'}, s.name || s.step || ''),
      s.detail ? h('span', {class: 'step-detail'}, s.detail) : null))),
    r.message ? h('p', {class: 'caption'}, r.message) : null);
}

// "Use this directory's connection" (host-api 1.3): a page whose fields mirror the directory's
// connection settings offers the choice; while the directory's is used the mirrored fields are
// hidden (the host fills them from the connection at run time, so a secret is entered once).
function connectionChoice(dir, page, form) {
  const c = page.connection;
  const mirrored = (page.fields || []).filter((f) => f.mirrors || f.connection).map((f) => f.key);
  if (!c || !c.mirrors || !mirrored.length) return null;
  let saved = !!c.useDirectory;
  const name = `conn-${page.plugin}-${page.page}`;
  const useDir = h('input', {type: 'radio', name, id: `${name}-directory`, value: 'directory', checked: saved});
  const own = h('input', {type: 'radio', name, id: `${name}-page`, value: 'page', checked: !saved});
  const note = h('p', {class: 'caption', id: `${name}-note`});
  const draw = () => {
    form.suppress(useDir.checked ? mirrored : []);
    note.textContent = useDir.checked
      ? `The sign-in fields are read from the connection of "${dir.name}" whenever the plugin runs: enter a secret once there, and a rotation applies here too.`
      : 'This page signs in with its own credentials below (for example a separate app registration with only the photo permission).';
  };
  useDir.addEventListener('change', draw);
  own.addEventListener('change', draw);
  draw();
  const element = h('fieldset', {class: 'connection-choice', dataset: {connectionChoice: useDir.checked ? 'directory' : 'page'}, 'aria-describedby': `${name}-note`},
    h('legend', {class: 'field-label'}, 'Credentials'),
    h('div', {class: 'toggle-row'}, useDir, h('label', {for: useDir.id}, 'Use this directory\'s connection')),
    h('div', {class: 'toggle-row'}, own, h('label', {for: own.id}, 'This page\'s own credentials')),
    note);
  for (const r of [useDir, own]) r.addEventListener('change', () => { element.dataset.connectionChoice = useDir.checked ? 'directory' : 'page'; });
  return {
    element,
    useDirectory: () => useDir.checked,
    changed: () => useDir.checked !== saved || !c.chosen,
    saved: () => { saved = useDir.checked; c.chosen = true; },
  };
}
