// Renders a settings form from field descriptors alone (the manifest's page descriptors, or the
// host's directory-kind fields in the same shape): every field type, label, caption, default,
// required, options and shownWhen. A field with shownWhen is shown only while the controlling
// field has that value, and follows it live. Secret fields are write-only: the form shows "set"
// or "not set" and a Replace button; the value typed is sent once and never read back.
import {h, clear, uid} from './dom.js';

const TYPES = ['toggle', 'text', 'secret', 'select', 'number', 'url', 'multiline'];

/**
 * fields: [{key, type, label, caption, default, required, options:[{value,label}],
 *           shownWhen:{field, equals}, min, max}]
 * values: {key: string}          saved non-secret values (absent = default)
 * secretsSet: {key: {set: bool}} which secrets hold a value (the API's shape; a bare bool also works)
 * Returns {element, collect(), showErrors(list), clearErrors(), secretsSaved(keys), rows}.
 * collect() gives {values, secrets} in the API's shape: the shown fields the admin changed, and
 * {replace: text} for each secret typed in.
 */
export function renderFields(fields, values = {}, secretsSet = {}, opts = {}) {
  const formId = uid(opts.idPrefix || 'f');
  const rows = new Map();  // key -> {field, row, input, error, current(), secretState}
  const element = h('div', {class: 'fields'});

  for (const field of fields) {
    const type = TYPES.includes(field.type) ? field.type : 'text';
    const id = `${formId}-${field.key}`;
    const captionId = `${id}-caption`;
    const errorId = `${id}-error`;
    const saved = values[field.key];
    const initial = saved !== undefined && saved !== null ? String(saved) : (field.default ?? '');
    const describedBy = [field.caption ? captionId : null, errorId].filter(Boolean).join(' ');
    const label = h('label', {for: id, class: 'field-label'}, field.label || field.key,
      field.required ? h('span', {class: 'required', 'aria-hidden': 'true'}, ' *') : null);
    const error = h('p', {class: 'field-error', id: errorId, hidden: true});
    const caption = field.caption ? h('p', {class: 'caption', id: captionId}, field.caption) : null;
    let input;
    let current;
    let secretState = null;

    if (type === 'toggle') {
      input = h('input', {type: 'checkbox', id, role: 'switch', 'aria-describedby': describedBy,
        checked: initial === 'true' || initial === 'on'});
      current = () => (input.checked ? 'true' : 'false');
      input.addEventListener('change', () => refresh());
    } else if (type === 'select') {
      input = h('select', {id, 'aria-describedby': describedBy, 'aria-required': field.required ? 'true' : null},
        (field.options || []).map((o) => h('option', {value: o.value}, o.label || o.value)));
      input.value = initial;
      if (input.value !== initial && field.options && field.options.length) input.value = field.options[0].value;
      current = () => input.value;
      input.addEventListener('change', () => refresh());
    } else if (type === 'multiline') {
      input = h('textarea', {id, rows: 4, spellcheck: 'false', class: 'mono',
        'aria-describedby': describedBy, 'aria-required': field.required ? 'true' : null});
      input.value = initial;
      current = () => input.value;
    } else if (type === 'secret') {
      const s = secretsSet[field.key];
      const isSet = !!(s && typeof s === 'object' ? s.set : s);
      // The typed value lives only in this textarea until it is sent; it is masked on screen.
      input = h('textarea', {id, rows: 3, spellcheck: 'false', autocomplete: 'off', class: 'mono secret-input',
        'aria-describedby': describedBy, 'aria-required': field.required ? 'true' : null, hidden: isSet});
      const status = h('span', {class: `secret-status ${isSet ? 'set' : 'unset'}`, dataset: {secret: field.key}},
        isSet ? 'set' : 'not set');
      const replace = h('button', {type: 'button', class: 'small', hidden: !isSet,
        'aria-controls': id, onclick: () => {
          replace.hidden = true;
          input.hidden = false;
          secretState.replacing = true;
          input.focus();
        }}, 'Replace');
      secretState = {isSet, replacing: !isSet};
      current = () => input.value;
      input._secretBar = h('div', {class: 'secret-bar'}, status, replace);
    } else {
      const attrs = {id, type: type === 'number' ? 'number' : (type === 'url' ? 'url' : 'text'),
        'aria-describedby': describedBy, 'aria-required': field.required ? 'true' : null,
        spellcheck: 'false'};
      if (type === 'number') {
        if (field.min !== undefined && field.min !== null) attrs.min = field.min;
        if (field.max !== undefined && field.max !== null) attrs.max = field.max;
        attrs.step = 'any';
      }
      input = h('input', attrs);
      input.value = initial;
      current = () => input.value;
    }
    if (field.default !== undefined && field.default !== null && type !== 'toggle' && type !== 'select' && type !== 'secret')
      input.placeholder = String(field.default);

    const control = type === 'toggle'
      ? h('div', {class: 'toggle-row'}, input, label)
      : h('div', {class: 'control'}, label, input._secretBar || null, input);
    const row = h('div', {class: `field field-${type}`, dataset: {field: field.key}}, control, caption, error);
    rows.set(field.key, {field, type, row, input, error, current, secretState, initial: current()});
    element.appendChild(row);
  }

  let suppressed = new Set();  // fields another choice stands in for (the directory's connection)

  function visible(key, depth = 0) {
    const r = rows.get(key);
    if (!r || suppressed.has(key)) return false;
    const sw = r.field.shownWhen;
    if (!sw || !sw.field) return true;
    if (depth > 16) return true;
    const ctl = rows.get(sw.field);
    if (!ctl) return true;
    return visible(sw.field, depth + 1) && ctl.current() === String(sw.equals);
  }

  function refresh() {
    for (const [key, r] of rows) r.row.hidden = !visible(key);
  }
  refresh();

  function collect() {
    const out = {values: {}, secrets: {}};
    for (const [key, r] of rows) {
      if (!visible(key)) continue;
      if (r.type === 'secret') {
        if (r.secretState.replacing && r.input.value !== '') out.secrets[key] = {replace: r.input.value};
      } else {
        // Only what the admin changed is sent (an absent key is left as it is); an emptied field
        // goes back to its default (null), as the API defines.
        const v = r.current();
        if (v !== r.initial) out.values[key] = v === '' && r.type !== 'toggle' ? null : v;
      }
    }
    return out;
  }

  function clearErrors() {
    for (const r of rows.values()) {
      r.error.hidden = true;
      clear(r.error);
      r.input.removeAttribute('aria-invalid');
    }
  }

  /** errors: [{field, message}]; returns the messages that belong to no field. */
  function showErrors(errors) {
    clearErrors();
    const loose = [];
    let first = null;
    for (const e of errors || []) {
      const r = rows.get(e.field);
      if (!r || suppressed.has(e.field)) { loose.push(e.field ? `${r ? r.field.label : e.field}: ${e.message}` : e.message); continue; }
      r.row.hidden = false;
      r.error.hidden = false;
      if (r.error.firstChild) r.error.appendChild(h('br'));
      r.error.appendChild(document.createTextNode(e.message));
      r.input.setAttribute('aria-invalid', 'true');
      if (r.type === 'secret' && r.input.hidden) { r.input.hidden = false; r.secretState.replacing = true; }
      if (!first) first = r.input;
    }
    if (first) first.focus();
    return loose;
  }

  /** Called after a save: what was sent is now the saved state; sent secrets become "set" and
   * their text is dropped from the page. */
  function secretsSaved(keys) {
    for (const r of rows.values()) if (r.type !== 'secret') r.initial = r.current();
    for (const key of keys) {
      const r = rows.get(key);
      if (!r || r.type !== 'secret') continue;
      r.input.value = '';
      r.input.hidden = true;
      r.secretState.replacing = false;
      const bar = r.input._secretBar;
      const status = bar.querySelector('.secret-status');
      status.textContent = 'set';
      status.className = 'secret-status set';
      bar.querySelector('button').hidden = false;
    }
  }

  /** Hides `keys` (and leaves them out of collect()) until called again with others. */
  function suppress(keys) {
    suppressed = new Set(keys);
    refresh();
  }

  return {element, collect, showErrors, clearErrors, secretsSaved, refresh, suppress, rows};
}
