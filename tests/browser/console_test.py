#!/usr/bin/python3
"""The admin console in a real browser (issue 13).

Starts idp-sim (40 users) and `sample-host serve` on a fresh data directory, then drives headless
Chromium through the console as an admin would: log in, add an Entra directory against idp-sim,
fill the Entra page through the rendered form (a required field left empty shows its error; the
certificate field appears only for a certificate), test the connection, run a sync and watch its
progress to the end, see the avatars, make the mass-revert guard hold reverts (idp-sim's
photoOutage) and confirm them, and add Google and SCIM directories through render + test. Along
the way it checks that no secret is in any page source or API response the browser received,
that a POST without the CSRF token is refused, and that a hostile display name stays text.

Every wait is on an event: a line printed by a child, an element or a condition in the page
(WebDriverWait), never a sleep. A failure saves a screenshot and the page source and names them.
Exit 77 (ctest SKIP_RETURN_CODE) only when chromium, chromedriver or selenium is missing.
"""
import argparse
import base64
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request

SKIP = 77
PASSWORD = 'correct horse battery staple'
HOSTILE = '<img src=x onerror=alert(1)>'
HOSTILE_INDEX = 3
WAIT = 30  # seconds any one page condition may take

try:
    from selenium import webdriver
    from selenium.common.exceptions import NoAlertPresentException, TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.select import Select
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError as e:  # pragma: no cover - depends on the machine
    print(f'SKIPPED: python3-selenium is not installed ({e}); ./dev installs it', flush=True)
    sys.exit(SKIP)


def find_binary(names):
    for n in names:
        p = shutil.which(n) or (f'/usr/bin/{n}' if os.access(f'/usr/bin/{n}', os.X_OK) else None)
        if p:
            return p
    return None


class Child:
    """A child process whose stdout lines arrive on a queue (read by a thread), so that the test
    waits for a line with a deadline instead of sleeping."""

    def __init__(self, name, argv, log_dir, stdin_text=None):
        self.name = name
        self.lines = queue.Queue()
        self.err_path = os.path.join(log_dir, f'{name}.stderr')
        self.err = open(self.err_path, 'wb')
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.err, stdin=subprocess.DEVNULL)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in self.proc.stdout:
            self.lines.put(raw.decode('utf-8', 'replace').rstrip('\n'))
        self.lines.put(None)

    def line(self, timeout=20):
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f'{self.name} printed no line within {timeout} s (stderr: {self.err_path})')
        if line is None:
            raise AssertionError(f'{self.name} ended (exit {self.proc.wait()}) before printing its URL; stderr: {self.err_path}')
        return line

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.err.close()


def http_json(method, url, body=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if body is not None:
        req.add_header('Content-Type', 'application/json')
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            text = r.read().decode()
            return r.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as e:
        text = e.read().decode()
        try:
            return e.code, json.loads(text)
        except ValueError:
            return e.code, text


class ConsoleTest:
    def __init__(self, args):
        self.args = args
        self.children = []
        self.driver = None
        self.checked_sources = 0
        self.checked_responses = 0
        self.secrets = []
        self.shots = []
        self.saw_running = False
        self.used_directory_connection = False

    # ---------------------------------------------------------------- set-up
    def start(self):
        a = self.args
        shutil.rmtree(a.work, ignore_errors=True)
        os.makedirs(a.work)
        os.makedirs(a.screenshots, exist_ok=True)
        for f in os.listdir(a.screenshots):  # the folder shows this run only
            if f.endswith(('.png', '.html')):
                os.remove(os.path.join(a.screenshots, f))
        self.data = os.path.join(a.work, 'data')
        os.makedirs(os.path.join(self.data, 'plugins'))
        os.symlink(a.bundle, os.path.join(self.data, 'plugins', 'photosync'))

        # idp-sim: 40 users; user pages (5 users each, set on the directory) and photo batches
        # slowed so that a sync runs about 3.5 s and its photo bar stands part-way for about a
        # second (the plugin reports per chunk of 20).
        sim = Child('idp-sim', [a.idp_sim, '--users', '40', '--seed', '7', '--no-photo-share', '0.1',
                                '--faults', json.dumps({'graph.batch': {'latencyMs': 500}, 'graph.users': {'latencyMs': 300}})], a.work)
        self.children.append(sim)
        first = sim.line()
        assert first.startswith('idp-sim listening on http://127.0.0.1:'), first
        self.sim = first.split()[-1]
        _, self.creds = http_json('GET', self.sim + '/_admin/credentials')
        _, listing = http_json('GET', self.sim + '/_admin/users?limit=40&hashes=false')
        hostile_index = next(u['index'] for u in listing['users'][HOSTILE_INDEX:] if u['hasPhoto'])
        status, r = http_json('POST', self.sim + '/_admin/display-name', {'index': hostile_index, 'displayName': HOSTILE})
        assert status == 200 and r['displayName'] == HOSTILE, (status, r)
        e, g = self.creds['entra'], self.creds['google']
        self.secrets = [e['clientSecret'], e['privateKeyPem'].strip().splitlines()[1], g['serviceAccountKey'],
                        json.loads(g['serviceAccountKey'])['private_key'].strip().splitlines()[1], PASSWORD]
        self.scim_token = base64.b16encode(os.urandom(24)).decode().lower()
        self.secrets.append(self.scim_token)

        serve = Child('serve', [a.sample_host, '--data-dir', self.data, 'serve'], a.work)
        self.children.append(serve)
        self.scim_url = serve.line()
        assert self.scim_url.startswith('http://127.0.0.1:'), self.scim_url
        second = serve.line()
        assert second.startswith('console: http://127.0.0.1:'), second
        self.console = second.split(' ', 1)[1].rstrip('/')

        opts = webdriver.ChromeOptions()
        opts.binary_location = self.chromium
        for arg in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--window-size=1280,900',
                    '--no-first-run', '--no-default-browser-check', '--disable-extensions', '--disable-sync',
                    '--disable-background-networking', '--disable-component-update', '--disable-features=Translate',
                    '--force-device-scale-factor=1', f'--user-data-dir={os.path.join(a.work, "chromium-profile")}'):
            opts.add_argument(arg)
        # The performance log carries every network response, whose bodies the test reads back
        # through the DevTools protocol to check that no secret reached the browser.
        opts.set_capability('goog:loggingPrefs', {'performance': 'ALL', 'browser': 'ALL'})
        self.driver = webdriver.Chrome(service=Service(self.chromedriver, log_path=os.path.join(a.work, 'chromedriver.log')),
                                       options=opts)
        self.driver.execute_cdp_cmd('Network.enable', {'maxTotalBufferSize': 100_000_000, 'maxResourceBufferSize': 20_000_000})
        self.wait = WebDriverWait(self.driver, WAIT)

    def stop(self):
        if self.driver:
            try:
                self.driver.quit()
            except Exception:  # noqa: BLE001 - shutting down anyway
                pass
        for c in reversed(self.children):
            c.stop()

    def set_password(self):
        p = subprocess.run([self.args.sample_host, '--data-dir', self.data, 'admin', 'set-password'],
                           input=(PASSWORD + '\n').encode(), capture_output=True, timeout=60)
        assert p.returncode == 0, f'admin set-password: exit {p.returncode}: {p.stderr.decode()}'

    # ---------------------------------------------------------------- helpers
    def css(self, selector, root=None):
        return (root or self.driver).find_element(By.CSS_SELECTOR, selector)

    def visible(self, selector):
        return self.wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, selector)))

    def clickable(self, selector):
        return self.wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, selector)))

    def field(self, key, tag='input, select, textarea'):
        return self.css(f'#page-form [data-field="{key}"] :is({tag})') if self._in_page_form() else \
            self.css(f'[data-field="{key}"] :is({tag})')

    def _in_page_form(self):
        return bool(self.driver.find_elements(By.CSS_SELECTOR, '#page-form'))

    def type_into(self, el, text):
        el.clear()
        el.send_keys(text)

    def set_value(self, el, text):
        """For long multi-line values (PEM, JSON): set the value as a script would type it."""
        self.driver.execute_script('arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event("input"));', el, text)

    def go(self, hash_, ready):
        self.driver.execute_script('location.hash = arguments[0]', hash_)
        return self.visible(ready)

    def shot(self, name, max_height=2600, focus=None):
        """A PNG of the whole page (its first max_height pixels);
        with `focus`, the 1280x900 window scrolled so that the element is in the middle."""
        if focus is not None:
            self.driver.execute_script('arguments[0].scrollIntoView({block: "center"})', focus)
            path = os.path.join(self.args.screenshots, f'console-{name}.png')
            self.driver.save_screenshot(path)
            self.shots.append(path)
            self.check_secrets()
            return
        self.driver.execute_script('window.scrollTo(0, 0)')
        size = self.driver.execute_script('return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]')
        # The whole page (up to max_height) in one capture, beyond the viewport (DevTools protocol).
        png = self.driver.execute_cdp_cmd('Page.captureScreenshot', {
            'format': 'png', 'captureBeyondViewport': True,
            'clip': {'x': 0, 'y': 0, 'width': size[0], 'height': min(size[1], max_height), 'scale': 1}})
        path = os.path.join(self.args.screenshots, f'console-{name}.png')
        with open(path, 'wb') as f:
            f.write(base64.b64decode(png['data']))
        self.shots.append(path)
        self.check_secrets()

    def check_secrets(self):
        """No secret in the page's source nor in any response body the browser got so far."""
        src = self.driver.page_source
        self.checked_sources += 1
        for s in self.secrets:
            assert s not in src, f'a secret ({s[:6]}…) is in the page source of {self.driver.current_url}'
        for entry in self.driver.get_log('performance'):
            msg = json.loads(entry['message'])['message']
            if msg.get('method') != 'Network.responseReceived':
                continue
            url = msg['params']['response']['url']
            if not url.startswith(self.console):
                continue
            try:
                body = self.driver.execute_cdp_cmd('Network.getResponseBody', {'requestId': msg['params']['requestId']})
            except Exception:  # noqa: BLE001 - a 204 or a redirect has no body
                continue
            text = base64.b64decode(body['body']).decode('latin-1') if body.get('base64Encoded') else body['body']
            self.checked_responses += 1
            for s in self.secrets:
                assert s not in text, f'a secret ({s[:6]}…) is in the response of {url}'

    def no_alert(self):
        try:
            alert = self.driver.switch_to.alert
            text = alert.text
            alert.dismiss()
            raise AssertionError(f'an alert opened: {text!r} (a display name ran as markup)')
        except NoAlertPresentException:
            pass

    def fetch_in_page(self, method, path, body, with_csrf):
        """fetch() from the logged-in page itself: the session cookie goes along."""
        return self.driver.execute_async_script('''
            const [method, path, body, token, done] = arguments;
            const headers = {'Content-Type': 'application/json'};
            if (token) headers['X-CSRF-Token'] = token;
            fetch(path, {method, headers, body, credentials: 'same-origin'})
              .then(async (r) => done({status: r.status, text: await r.text()}))
              .catch((e) => done({status: -1, text: String(e)}));''', method, path, json.dumps(body), with_csrf)

    # ---------------------------------------------------------------- the walk-through
    def run(self):
        d = self.driver
        # No password yet: the page says how to set one instead of offering a login form.
        d.get(self.console + '/')
        command = self.visible('#set-password-command')
        assert 'admin set-password' in command.text, command.text
        assert not d.find_elements(By.CSS_SELECTOR, '#login-form')
        self.shot('no-password')
        self.set_password()
        d.refresh()
        self.visible('#login-form')
        # A wrong password first: refused with a message, still on the login page.
        self.type_into(self.css('#password'), 'not the password at all')
        self.css('#login-submit').click()
        err = self.visible('#login-error')
        assert 'Wrong password' in err.text, err.text
        self.shot('login')
        self.type_into(self.css('#password'), PASSWORD)
        self.css('#login-submit').click()
        self.visible('#add-form')

        # The session's CSRF token, read the way the page reads it; then a forged POST.
        csrf = d.execute_async_script('const done = arguments[0]; fetch("/api/session").then(r => r.json()).then(j => done(j.csrfToken));')
        assert csrf, 'the session has no CSRF token'
        forged = self.fetch_in_page('POST', '/api/sync', {'dryRun': True}, None)
        assert forged['status'] == 403 and 'csrf' in forged['text'], f'a POST without the CSRF token was not refused: {forged}'
        forged = self.fetch_in_page('POST', '/api/directories', {'kind': 'scim', 'name': 'Forged'}, 'not-the-token')
        assert forged['status'] == 403, f'a POST with a wrong CSRF token was not refused: {forged}'
        status, _ = http_json('POST', self.console + '/api/sync', {'dryRun': True})
        assert status in (401, 403), f'a POST without a session got {status}'

        self.add_entra()
        self.entra_page()
        self.host_switch()
        self.sync_and_watch('sync')
        self.users_with_avatars()
        self.held_reverts()
        self.google_and_scim()

        # Log out: the page is the login form again and the API refuses the old session.
        self.go('#/directories', '#directories')
        self.css('#logout').click()
        self.visible('#login-form')
        after = d.execute_async_script('const done = arguments[0]; fetch("/api/directories").then(r => done(r.status));')
        assert after == 401, f'after logout /api/directories answered {after}'
        self.check_secrets()

    def add_entra(self):
        e = self.creds['entra']
        Select(self.css('#new-kind')).select_by_value('entra')
        self.type_into(self.css('#new-name'), 'Contoso')
        form = self.css('#add-form')
        for key, value in (('tenantId', e['tenantId']), ('clientId', e['clientId']), ('authorityHost', self.sim),
                           ('graphEndpoint', self.sim), ('pageSize', '5')):
            self.type_into(self.css(f'[data-field="{key}"] input', form), value)
        self.set_value(self.css('[data-field="clientSecret"] textarea', form), e['clientSecret'])
        self.shot('add-directory')
        self.css('#add-directory').click()
        self.visible('[role="tablist"]')
        tabs = [t.text for t in d_find(self.driver, '[role="tab"]')]
        assert 'Entra ID Specific Settings' in tabs, tabs
        self.css('#save-connection')  # the connection tab is open
        status = self.css('[data-field="clientSecret"] .secret-status')
        assert status.text == 'set', status.text
        self.directory_url = self.driver.current_url
        self.go('#/directories', '#directories')
        row = self.css('#directories [data-directory="Contoso"]')
        assert 'Microsoft Entra ID' in row.text or 'entra' in row.text.lower(), row.text
        self.shot('directories')
        row.find_element(By.CSS_SELECTOR, 'a').click()
        self.visible('#save-connection')

    def entra_page(self):
        e = self.creds['entra']
        tab = self.clickable('[role="tab"]:not(.active)')
        assert tab.text == 'Entra ID Specific Settings', tab.text
        tab.click()
        self.visible('#page-form')
        choice = self.driver.find_elements(By.CSS_SELECTOR, '#page-form [data-connection-choice]')
        if choice:
            # A new page uses the directory's connection: its sign-in fields are hidden. Own
            # credentials bring them back (checked first, then the page goes back to the directory's).
            assert choice[0].get_attribute('data-connection-choice') == 'directory', 'a new page must default to the directory\'s connection'
            assert not self.css('#page-form [data-field="tenantId"]').is_displayed()
            self.css('#page-form [data-connection-choice] input[value="page"]').click()
            self.visible('#page-form [data-field="tenantId"]')
        # Every field of the page's descriptor is rendered, with its label.
        labels = [l.get_attribute('textContent') for l in d_find(self.driver, '#page-form .field-label')]
        for want in ('Sync user photos', 'Tenant ID', 'Application (client) ID', 'Credential type', 'Client secret',
                     'Certificate (PEM)', 'Private key (PEM)', 'Photo size', 'Mass-revert guard (%)'):
            assert any(l.startswith(want) for l in labels), (want, labels)
        cert = self.css('#page-form [data-field="certificatePem"]')
        secret = self.css('#page-form [data-field="clientSecret"]')
        assert not cert.is_displayed() and secret.is_displayed(), 'with a client secret the certificate must be hidden'
        credential = Select(self.field('credentialType', 'select'))
        credential.select_by_value('certificate')
        self.wait.until(EC.visibility_of(cert))
        assert not secret.is_displayed(), 'with a certificate the client secret must be hidden'
        assert self.css('#page-form [data-field="privateKeyPem"]').is_displayed()
        credential.select_by_value('secret')
        self.wait.until(EC.invisibility_of_element(cert))

        self.field('syncPhotos').click()
        # Leave the required Tenant ID empty: the plugin refuses, the error sits beside the field.
        for key, value in (('clientId', e['clientId']), ('authorityHost', self.sim), ('graphEndpoint', self.sim)):
            self.type_into(self.field(key), value)
        self.set_value(self.field('clientSecret', 'textarea'), e['clientSecret'])
        self.css('#save-page').click()
        err = self.visible('#page-form [data-field="tenantId"] .field-error')
        assert err.text, 'the tenant error is empty'
        tenant = self.field('tenantId')
        assert tenant.get_attribute('aria-invalid') == 'true'
        assert err.get_attribute('id') in tenant.get_attribute('aria-describedby').split()
        self.shot('entra-page-error')
        # Nothing was saved.
        entra = self.entra_page_json()
        assert 'clientId' not in entra['values'] and not entra['secrets']['clientSecret']['set'], entra

        if choice:
            # Back to the directory's connection: the secret entered for the directory is the one
            # used; none is typed on the page.
            self.css('#page-form [data-connection-choice] input[value="directory"]').click()
            self.wait.until(EC.invisibility_of_element(tenant))
            self.css('#save-page').click()
            self.wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, '#page-status'), 'Saved'))
            entra = self.entra_page_json()
            assert not entra['secrets']['clientSecret']['set'], 'the page kept a copy of the secret'
            self.used_directory_connection = True
        else:
            self.type_into(tenant, e['tenantId'])
            self.css('#save-page').click()
            self.wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, '#page-status'), 'Saved'))
            assert self.css('#page-form [data-field="clientSecret"] .secret-status').text == 'set'
        assert not self.driver.find_elements(By.CSS_SELECTOR, '#page-form .field-error:not([hidden])')
        assert self.entra_page_json()['values'].get('syncPhotos') == 'true'

        self.css('#test-connection').click()
        result = self.visible('#test-result .test-result')
        steps = d_find(self.driver, '#test-result li')
        assert 'passed' in result.text and steps and all('ok' in s.get_attribute('class').split() for s in steps), result.text
        self.shot('entra-test-connection')

    def entra_page_json(self):
        pages = self.api_get(f'/api/directories/{self.directory_id()}/pages')
        return [p for p in pages['pages'] if p['page'] == 'entra'][0]

    def sync_state(self, what='state'):
        return self.driver.execute_script('const e = document.querySelector("#sync-state"); return e ? (e.dataset[arguments[0]] || "") : "";', what)

    def directory_id(self):
        frag = self.driver.current_url.split('#/directories/', 1)[1]
        return frag.split('/', 1)[0]

    def api_get(self, path):
        r = self.driver.execute_async_script('''const [p, done] = arguments;
            fetch(p).then(async r => done({status: r.status, text: await r.text()}));''', path)
        assert r['status'] == 200, (path, r)
        return json.loads(r['text'])

    def host_switch(self):
        self.go('#/host', '#host-form')
        toggle = self.css('[data-field="userPhotos"] input')
        caption = self.css('[data-field="userPhotos"] .caption')
        assert caption.text, 'the User Photos switch has no caption'
        if not toggle.is_selected():
            toggle.click()
        self.css('#save-host').click()
        self.wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, '#host-form'), 'Saved'))
        self.shot('host')

    def sync_and_watch(self, name, dry=False):
        self.go('#/sync', '#run-now')
        before = len(d_find(self.driver, '#runs tbody tr'))
        self.visible('#sync-state')
        old_run = self.sync_state('run')
        self.css('#dry-run' if dry else '#run-now').click()
        # The progress box is drawn anew on every poll, so its state is read in one script call
        # (an element found earlier may already be replaced).
        # Running with the plugin's photo bar drawn, or already over (a fast machine).
        phase_bar = 'document.querySelector("#sync-progress [data-progress^=\'phase-\']")'
        new_run = lambda: self.sync_state('run') not in ('', old_run)  # noqa: E731
        state = WebDriverWait(self.driver, WAIT, poll_frequency=0.1).until(lambda d: new_run() and ((self.sync_state() == 'finished' and 'finished') or
                                (self.sync_state() == 'running' and d.execute_script(f'return !!{phase_bar}') and 'running')))
        if state == 'running':
            self.saw_running = True
            if name == 'sync':
                self.shot('sync-progress')
        assert name != 'sync' or state == 'running', 'the first sync was over before its progress was seen'
        WebDriverWait(self.driver, 90).until(lambda d: new_run() and self.sync_state() == 'finished')
        # The bars reached the end: every directory done, every plugin phase at its total (read
        # in one script call: the box may be drawn once more by a poll still under way).
        bars = self.driver.execute_script('''return [...document.querySelectorAll("#sync-progress .progress-row")].map(r => {
            const b = r.querySelector("[role=progressbar]");
            return {id: r.dataset.progress, text: r.textContent, done: r.classList.contains("done"),
                    max: b.getAttribute("aria-valuemax"), now: b.getAttribute("aria-valuenow")}; });''')
        assert any(b['id'].startswith('dir-') for b in bars) and any(b['id'].startswith('phase-') for b in bars), bars
        for b in bars:
            if b['max']:
                assert b['now'] == b['max'], f'progress {b["text"]!r} ended at {b["now"]}/{b["max"]}'
            else:
                assert b['done'], f'directory progress {b["text"]!r} did not end done'
        self.wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, '#runs tbody tr')) > before)
        status = self.sync_state('status')
        self.css('#last-run-link').click()
        self.visible('.plugin-report')
        if name == 'sync':
            assert status == 'completed', status
            counts = {c.get_attribute('data-count'): int(c.find_element(By.CSS_SELECTOR, 'dd').text)
                      for c in d_find(self.driver, '.plugin-report .count')}
            assert counts.get('updated', 0) >= 30, counts
            assert counts.get('failed', 0) == 0, counts
            # The report lists the users whose outcome needs a word (here: without a photo); the
            # outcome filter keeps only the chosen one.
            filt = Select(self.css('.outcome-filter'))
            outcomes = [o.get_attribute('value') for o in filt.options if o.get_attribute('value')]
            assert 'withoutPhoto' in outcomes, outcomes
            filt.select_by_value('withoutPhoto')
            rows = d_find(self.driver, '.entries tbody tr')
            assert len(rows) == counts.get('withoutPhoto', -1), (len(rows), counts)
            assert all(r.get_attribute('data-outcome') == 'withoutPhoto' for r in rows)
            filt.select_by_value('')
            self.shot('sync-report')
        return status

    def users_with_avatars(self):
        self.go('#/users', '#users')
        self.wait.until(lambda d: all(d.execute_script('return arguments[0].complete && arguments[0].naturalWidth > 0', img)
                                      for img in d.find_elements(By.CSS_SELECTOR, '#users img.avatar')))
        imgs = d_find(self.driver, '#users img.avatar')
        assert len(imgs) >= 30, f'{len(imgs)} avatar thumbnails'
        origins = [o.text for o in d_find(self.driver, '#users .origin')]
        assert 'set by photosync' in origins, origins
        # The hostile display name is text: shown as typed, no image element made of it, no alert.
        names = [n.text for n in d_find(self.driver, '#users .display-name')]
        assert HOSTILE in names, names
        assert not self.driver.find_elements(By.CSS_SELECTOR, 'img[src="x"]'), 'the display name became an <img>'
        self.no_alert()
        # Each user's photo status, as the plugin last decided it (UserStatusQuery).
        self.wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '#users .photo-status .status-updated'))
        hostile_row = [r for r in d_find(self.driver, '#users tbody tr')
                       if r.find_element(By.CSS_SELECTOR, '.display-name').text == HOSTILE][0]
        self.shot('users', focus=hostile_row)

    def held_reverts(self):
        status, _ = http_json('POST', self.sim + '/_admin/config', {'photoOutage': True})
        assert status == 200
        self.sync_and_watch('outage')
        self.go('#/held', '#held')
        held = self.visible('#held [data-held="photosync"]')
        rows = held.find_elements(By.CSS_SELECTOR, 'tbody tr')
        assert len(rows) >= 30, f'{len(rows)} held reverts'
        self.shot('held', 1200)
        first = rows[0].get_attribute('data-user')
        rows[0].find_element(By.CSS_SELECTOR, '[data-action="confirm"]').click()
        self.wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, '#held-status'), 'Confirmed'))
        self.wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, f'#held [data-user="{first}"]'))
        left = len(d_find(self.driver, '#held [data-held="photosync"] tbody tr'))
        assert left == len(rows) - 1, (left, len(rows))
        users = self.api_get('/api/users?limit=500')['users']
        confirmed = [u for u in users if u['id'] == first][0]
        assert confirmed['avatar']['origin'] == 'default' and confirmed['avatarUrl'] is None, confirmed
        status, _ = http_json('POST', self.sim + '/_admin/config', {'photoOutage': False})
        assert status == 200

    def google_and_scim(self):
        g = self.creds['google']
        self.go('#/directories', '#add-form')
        Select(self.css('#new-kind')).select_by_value('google')
        self.type_into(self.css('#new-name'), 'Fabrikam')
        form = self.css('#add-form')
        self.type_into(self.css('[data-field="adminEmail"] input', form), g['adminEmail'])
        self.type_into(self.css('[data-field="apiEndpoint"] input', form), self.sim)
        self.set_value(self.css('[data-field="serviceAccountKey"] textarea', form), g['serviceAccountKey'])
        self.css('#add-directory').click()
        self.visible('#save-connection')
        self.clickable('[role="tab"]:not(.active)').click()
        self.visible('#page-form')
        assert 'Google Cloud Identity Specific Settings' in self.css('.tabpanel h2').text
        choice = self.driver.find_elements(By.CSS_SELECTOR, '#page-form [data-connection-choice]')
        if choice:  # the directory's key and administrator are used: nothing is typed twice
            assert choice[0].get_attribute('data-connection-choice') == 'directory'
            assert not self.css('#page-form [data-field="serviceAccountKey"]').is_displayed()
        else:
            self.type_into(self.field('adminEmail'), g['adminEmail'])
            self.type_into(self.field('apiEndpoint'), self.sim)
            self.set_value(self.field('serviceAccountKey', 'textarea'), g['serviceAccountKey'])
        self.field('syncPhotos').click()
        self.css('#save-page').click()
        self.wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, '#page-status'), 'Saved'))
        self.css('#test-connection').click()
        result = self.visible('#test-result .test-result')
        assert 'passed' in result.text, result.text
        self.shot('google-test-connection')

        self.go('#/directories', '#add-form')
        Select(self.css('#new-kind')).select_by_value('scim')
        self.type_into(self.css('#new-name'), 'Okta')
        self.set_value(self.css('#add-form [data-field="scimToken"] textarea'), self.scim_token)
        self.css('#add-directory').click()
        self.visible('#save-connection')
        self.clickable('[role="tab"]:not(.active)').click()
        self.visible('#page-form')
        assert 'SCIM Photo URL Settings' in self.css('.tabpanel h2').text
        host = self.sim.split('//', 1)[1]
        self.field('syncPhotos').click()
        self.set_value(self.field('allowedPhotoHosts', 'textarea'), host)
        self.field('allowPlainHttp').click()
        self.set_value(self.field('allowedPhotoAddressRanges', 'textarea'), '127.0.0.1/32')
        _, listing = http_json('GET', self.sim + '/_admin/users?limit=40&hashes=false')
        with_photo = next(u for u in listing['users'] if u['hasPhoto'])
        self.type_into(self.field('testPhotoUrl'), f'{self.sim}/photos/{with_photo["id"]}/photo')
        self.css('#save-page').click()
        self.wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, '#page-status'), 'Saved'))
        self.css('#test-connection').click()
        result = self.visible('#test-result .test-result')
        assert 'passed' in result.text, result.text
        self.shot('scim-test-connection')

    def save_failure(self):
        if not self.driver:
            return
        base = os.path.join(self.args.screenshots, 'failure')
        try:
            self.driver.save_screenshot(base + '.png')
            with open(base + '.html', 'w', encoding='utf-8') as f:
                f.write(self.driver.page_source)
            print(f'FAILED at {self.driver.current_url}; screenshot {base}.png, page source {base}.html', flush=True)
            for entry in self.driver.get_log('browser'):
                print(f'  browser console: {entry["level"]} {entry["message"]}', flush=True)
        except Exception as e:  # noqa: BLE001 - the failure itself is what matters
            print(f'FAILED, and the screenshot could not be saved: {e}', flush=True)


def d_find(driver, selector):
    return driver.find_elements(By.CSS_SELECTOR, selector)


def main():
    ap = argparse.ArgumentParser()
    for opt in ('--sample-host', '--idp-sim', '--bundle', '--work', '--screenshots'):
        ap.add_argument(opt, required=True)
    args = ap.parse_args()
    chromium = find_binary(['chromium', 'chromium-browser', 'google-chrome'])
    chromedriver = find_binary(['chromedriver'])
    if not chromium or not chromedriver:
        print(f'SKIPPED: {"chromium" if not chromium else "chromedriver"} is not installed '
              '(Debian packages chromium and chromium-driver; ./dev installs them)', flush=True)
        return SKIP
    t = ConsoleTest(args)
    t.chromium, t.chromedriver = chromium, chromedriver
    started = time.monotonic()
    try:
        t.start()
        t.run()
    except (AssertionError, TimeoutException, Exception):  # noqa: BLE001 - every failure gets a screenshot
        traceback.print_exc()
        t.save_failure()
        t.stop()
        return 1
    t.stop()
    print(f'browser console test: {len(t.shots)} screenshots in {args.screenshots}; '
          f'{t.checked_sources} page sources and {t.checked_responses} responses free of secrets; '
          f'progress seen running: {t.saw_running}; Entra page on the directory\'s connection: '
          f'{t.used_directory_connection}; {time.monotonic() - started:.1f} s', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
