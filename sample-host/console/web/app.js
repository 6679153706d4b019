// The console's shell: the session (login, logout), the section links and a small hash router.
// Each section is a module with render(main, params) that builds its part of the page.
import * as api from './api.js';
import {h, clear, notice} from './dom.js';
import * as directories from './directories.js';
import * as host from './host.js';
import * as sync from './sync.js';
import * as users from './users.js';
import * as held from './held.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const logoutButton = document.getElementById('logout');
let session = null;
let leaving = () => {};  // stops the current section's timers when the page changes

const routes = [
  [/^#\/directories\/([^/]+)(?:\/([^/]+))?$/, (m) => directories.renderOne(main, decodeURIComponent(m[1]), m[2] ? decodeURIComponent(m[2]) : '')],
  [/^#\/directories$/, () => directories.renderList(main)],
  [/^#\/host$/, () => host.render(main)],
  [/^#\/sync$/, () => sync.render(main)],
  [/^#\/runs\/([^/]+)$/, (m) => sync.renderRun(main, decodeURIComponent(m[1]))],
  [/^#\/users$/, () => users.render(main)],
  [/^#\/held$/, () => held.render(main)],
];

async function route() {
  leaving();
  leaving = () => {};
  if (!session || !session.authenticated) return renderLogin();
  nav.hidden = false;
  logoutButton.hidden = false;
  const hash = location.hash || '#/directories';
  for (const a of nav.querySelectorAll('a')) {
    const current = hash.startsWith(`#/${a.dataset.section}`) || (a.dataset.section === 'sync' && hash.startsWith('#/runs'));
    if (current) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  for (const [re, fn] of routes) {
    const m = hash.match(re);
    if (m) {
      clear(main);
      try {
        const stop = await fn(m);
        if (typeof stop === 'function') leaving = stop;
      } catch (e) {
        showError(e);
      }
      return;
    }
  }
  location.hash = '#/directories';
}

export function showError(e) {
  main.appendChild(notice('error', e && e.message ? e.message : String(e)));
}

function renderLogin() {
  nav.hidden = true;
  logoutButton.hidden = true;
  clear(main);
  const passwordSet = !session || session.passwordSet !== false;
  const box = h('section', {class: 'login card', 'aria-labelledby': 'login-title'},
    h('h1', {id: 'login-title'}, 'Sign in to the settings'));
  if (!passwordSet) {
    box.appendChild(notice('warning', 'No admin password is set, so nobody can sign in yet. Set one on the host\'s command line, then reload this page:'));
    box.appendChild(h('pre', {class: 'command', id: 'set-password-command'}, session.setPasswordCommand || 'sample-host --data-dir DATA admin set-password'));
    box.appendChild(h('p', {class: 'caption'}, 'It asks for the password twice (at least 12 characters), or reads one line from standard input.'));
    main.appendChild(box);
    return;
  }
  const errorId = 'login-error';
  const pw = h('input', {type: 'password', id: 'password', name: 'password', autocomplete: 'current-password',
    required: true, 'aria-describedby': errorId});
  const err = h('p', {id: errorId, class: 'field-error', role: 'alert', hidden: true});
  const submit = h('button', {type: 'submit', class: 'primary', id: 'login-submit'}, 'Sign in');
  const form = h('form', {id: 'login-form', onsubmit: async (ev) => {
    ev.preventDefault();
    err.hidden = true;
    submit.disabled = true;
    try {
      const r = await api.post('/api/login', {password: pw.value});
      pw.value = '';
      session = {authenticated: true, ...r};
      api.setCsrfToken(r.csrfToken);
      if (!location.hash || location.hash === '#/login') location.hash = '#/directories';
      else route();
    } catch (e) {
      err.textContent = e.status === 401 ? 'Wrong password.' : e.message;
      err.hidden = false;
      pw.setAttribute('aria-invalid', 'true');
      pw.focus();
    } finally {
      submit.disabled = false;
    }
  }},
  h('div', {class: 'control'}, h('label', {for: 'password', class: 'field-label'}, 'Admin password'), pw),
  err, h('div', {class: 'actions'}, submit));
  box.appendChild(form);
  main.appendChild(box);
  pw.focus();
}

logoutButton.addEventListener('click', async () => {
  try { await api.post('/api/logout', {}); } catch { /* the session is gone either way */ }
  session = {authenticated: false, passwordSet: true};
  api.setCsrfToken('');
  route();
});

api.setUnauthorizedHandler(() => {
  if (session && session.authenticated) {
    session = {authenticated: false, passwordSet: true};
    route();
  }
});

async function start() {
  try {
    session = await api.get('/api/session');
  } catch (e) {
    session = {authenticated: false, passwordSet: e.body && e.body.passwordSet !== undefined ? e.body.passwordSet : true};
  }
  api.setCsrfToken(session.csrfToken);
  window.addEventListener('hashchange', route);
  route();
}

start();
