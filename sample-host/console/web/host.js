// Host: the host-wide User Photos switch with its caption, and the host's other settings, from
// GET /api/host's descriptors.
import * as api from './api.js';
import {h, clear, notice} from './dom.js';
import {renderFields} from './fields.js';

export async function render(main) {
  const r = await api.get('/api/host');
  const settings = r.settings || [];
  main.appendChild(h('h1', null, 'Host settings'));
  main.appendChild(h('p', {class: 'lead'}, 'Settings of the host itself, for every directory and plugin.'));
  const photos = settings.filter((s) => s.key === 'userPhotos');
  const others = settings.filter((s) => s.key !== 'userPhotos');
  const values = Object.fromEntries(settings.filter((s) => s.value !== null && s.value !== undefined).map((s) => [s.key, s.value]));
  // The host's switch is stored as on/off; the form's toggle speaks true/false.
  for (const k of Object.keys(values)) if (values[k] === 'on') values[k] = 'true'; else if (values[k] === 'off') values[k] = 'false';
  const photoForm = renderFields(photos, values, {}, {idPrefix: 'host'});
  const otherForm = renderFields(others, values, {}, {idPrefix: 'host'});
  const status = h('div', {'aria-live': 'polite'});
  const save = h('button', {type: 'submit', class: 'primary', id: 'save-host'}, 'Save');
  main.appendChild(h('form', {id: 'host-form', novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    clear(status);
    photoForm.clearErrors();
    otherForm.clearErrors();
    save.disabled = true;
    const body = {values: {...photoForm.collect().values, ...otherForm.collect().values}};
    try {
      await api.put('/api/host', body);
      status.appendChild(notice('ok', 'Saved.'));
    } catch (e) {
      const errs = (e.body && e.body.errors) || [];
      photoForm.showErrors(errs.filter((x) => photoForm.rows.has(x.field)));
      otherForm.showErrors(errs.filter((x) => otherForm.rows.has(x.field)));
      const loose = errs.filter((x) => !photoForm.rows.has(x.field) && !otherForm.rows.has(x.field)).map((x) => `${x.field}: ${x.message}`);
      status.appendChild(notice('error', e.message, ...loose.map((l) => ['\n', l])));
    } finally {
      save.disabled = false;
    }
  }},
  h('section', {class: 'card', 'aria-labelledby': 'photos-title'}, h('h2', {id: 'photos-title'}, 'User Photos'), photoForm.element),
  others.length ? h('section', {class: 'card', 'aria-labelledby': 'other-title'}, h('h2', {id: 'other-title'}, 'Sync'), otherForm.element) : null,
  status, h('div', {class: 'actions'}, save)));
}
