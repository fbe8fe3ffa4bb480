// The privacy centre (docs/desk.md) in real Chromium against the real binary: the rights page in
// nb, nn and en fits a 320 px screen and has zero axe-core violations, and so have the "check your
// e-mail" answer, the status page and the one refusal page; the access form works with the
// keyboard alone; and end to end with a real SMTP server (aiosmtpd, writing a Maildir) started
// here: a request made in the browser is mailed, the mail's link verifies it and shows the status
// page with the right and a due date, and the same link a second time is refused (410). A bad
// address past the browser's own check gets the form again (400) with an alert summary, axe-clean.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { axe, chromiumAvailable, freePort, launch, newPage, start, stop } from './harness.mjs';
import { aiosmtpdAvailable, kill, parseMail, untilListening } from './smtp.mjs';

const skip = !chromiumAvailable();
const LANGS = ['nb', 'nn', 'en'];
// The words the requester must see, per language (crates/server/src/desk/texts.rs): written out
// here so that a page in the wrong language, or with the wrong heading, fails.
const WORDS = {
  nb: { title: 'Dine personvernrettigheter', sent: 'Sjekk e-posten din', refused: 'Denne lenken virker ikke lenger', status: 'Forespørselen din', access: 'Innsyn (art. 15)', due: 'Svarfrist' },
  nn: { title: 'Personvernrettane dine', sent: 'Sjekk e-posten din', refused: 'Denne lenkja verkar ikkje lenger', status: 'Førespurnaden din', access: 'Innsyn (art. 15)', due: 'Svarfrist' },
  en: { title: 'Your privacy rights', sent: 'Check your e-mail', refused: 'This link no longer works', status: 'Your request', access: 'Access (art. 15)', due: 'Answer due' },
};
const ADDRESS = 'kari.nordmann@example.no'; // fictional

const noMail = skip || !aiosmtpdAvailable("the desk's mail test");

let server;
let browser;
before(async () => {
  if (skip) return;
  server = await start();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await stop(server);
});

/** How far the page is wider than the viewport (0 when it fits), with the widest offenders. */
function overflow(page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const wide = [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > width + 0.5)
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}#${el.id} ${Math.round(el.getBoundingClientRect().right)}px: ${el.textContent.slice(0, 40)}`);
    return { scrollWidth: document.documentElement.scrollWidth, wide };
  });
}

async function assertAxeClean(page, what) {
  const violations = await axe(page);
  assert.deepEqual(violations, [], `${what}: ${JSON.stringify(violations, null, 2)}`);
}

/** The text of the "check your e-mail" answer's heading (the notice above the forms). */
function sentHeading(page) {
  return page.locator('main [role="status"] h2').textContent();
}

for (const lang of LANGS) {
  test(`rights page (${lang}) fits 320 px and is axe-clean at 320 and 1280 px`, { skip }, async () => {
    for (const width of [320, 1280]) {
      const page = await newPage(browser, { viewport: { width, height: 800 } });
      try {
        const response = await page.goto(`${server.base}/sites/www/rights?lang=${lang}`);
        assert.equal(response.status(), 200);
        assert.equal(await page.getAttribute('html', 'lang'), lang);
        assert.equal((await page.locator('h1').textContent()).trim(), WORDS[lang].title);
        // One form per right, and no script at all.
        assert.equal(await page.locator('main form').count(), 6);
        assert.equal(await page.locator('script').count(), 0);
        if (width === 320) {
          const { scrollWidth, wide } = await overflow(page);
          assert.ok(scrollWidth <= 320, `scrollWidth ${scrollWidth} > 320\n${wide.join('\n')}`);
        }
        await assertAxeClean(page, `rights ${lang} at ${width} px`);
      } finally {
        await page.context().close();
      }
    }
  });

  test(`keyboard only (${lang}): Tab to the access form, type an address, Enter → "check your e-mail", axe-clean`, { skip }, async () => {
    const page = await newPage(browser, { viewport: { width: 1280, height: 800 } });
    try {
      await page.goto(`${server.base}/sites/www/rights?lang=${lang}`);
      const focused = () => page.evaluate(() => {
        const el = document.activeElement;
        return { id: el?.id ?? '', tag: el?.tagName.toLowerCase() ?? '', form: el?.form?.querySelector('input[name="right"]')?.value ?? '' };
      });
      let reached = false;
      for (let presses = 0; presses < 40 && !reached; presses++) {
        await page.keyboard.press('Tab');
        reached = (await focused()).id === 'access-email';
      }
      assert.ok(reached, 'Tab never reached the access form\'s e-mail field in 40 presses');
      await page.keyboard.type(ADDRESS);
      await page.keyboard.press('Tab');
      assert.deepEqual(await focused(), { id: 'access-receipt', tag: 'input', form: 'access' }, 'the next Tab stop is the optional receipt of the cookie choice');
      await page.keyboard.press('Tab');
      assert.deepEqual(await focused(), { id: '', tag: 'button', form: 'access' }, 'then the access form\'s submit button');
      const [response] = await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
      assert.equal(response.status(), 200);
      assert.equal(response.request().method(), 'POST');
      assert.equal(await page.getAttribute('html', 'lang'), lang);
      assert.equal((await sentHeading(page)).trim(), WORDS[lang].sent);
      // The form's field is empty again: the address is not echoed back.
      assert.equal(await page.inputValue('#access-email'), '');
      assert.ok(!(await page.content()).includes(ADDRESS), 'the answer does not repeat the address');
      await assertAxeClean(page, `"check your e-mail" ${lang}`);
    } finally {
      await page.context().close();
    }
  });

  test(`refusal page (${lang}) for a bad link: 410, axe-clean, fits 320 px`, { skip }, async () => {
    const page = await newPage(browser, { viewport: { width: 320, height: 800 } });
    try {
      const response = await page.goto(`${server.base}/sites/www/rights/verify?t=not-a-token&lang=${lang}`);
      assert.equal(response.status(), 410);
      assert.equal(await page.getAttribute('html', 'lang'), lang);
      assert.equal((await page.locator('h1').textContent()).trim(), WORDS[lang].refused);
      const { scrollWidth, wide } = await overflow(page);
      assert.ok(scrollWidth <= 320, `scrollWidth ${scrollWidth} > 320\n${wide.join('\n')}`);
      await assertAxeClean(page, `refusal ${lang}`);
    } finally {
      await page.context().close();
    }
  });
}



/** The Maildir's delivered messages (new/), as raw text; waits for `count`, bounded. */
async function untilMail(maildir, count, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  const dir = join(maildir, 'new');
  for (;;) {
    const files = existsSync(dir) ? readdirSync(dir) : [];
    if (files.length >= count) return files.map((name) => readFileSync(join(dir, name), 'latin1'));
    if (Date.now() > deadline) throw new Error(`${files.length} message(s) in ${dir} after ${timeoutMs} ms, expected ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}


test('end to end with a real SMTP server: request → mail → link → status page; the link again → 410', { skip: noMail }, async () => {
  const scratch = mkdtempSync(join(tmpdir(), 'kapsel-rights-mail-'));
  // aiosmtpd's Mailbox creates the Maildir (new/, cur/, tmp/) only when the directory is absent.
  const maildir = join(scratch, 'Maildir');
  const smtpPort = await freePort();
  let smtpOutput = '';
  const smtp = spawn('python3', ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${smtpPort}`, '-c', 'aiosmtpd.handlers.Mailbox', maildir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  smtp.stdout.on('data', (chunk) => { smtpOutput += chunk; });
  smtp.stderr.on('data', (chunk) => { smtpOutput += chunk; });
  let mailServer;
  let context;
  try {
    await untilListening(smtpPort, 20_000, smtp, () => smtpOutput);
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    mailServer = await start({
      listen: `127.0.0.1:${port}`,
      env: {
        KAPSEL_MAIL__SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
        KAPSEL_MAIL__FROM: 'personvern@example.no',
        KAPSEL_SERVER__PUBLIC_URL: origin,
      },
    });
    assert.equal(mailServer.origin, origin);

    const page = await newPage(browser, { viewport: { width: 320, height: 800 } });
    context = page.context();
    await page.goto(`${origin}/sites/www/rights?lang=nb`);
    await page.fill('#access-email', ADDRESS);
    const [posted] = await Promise.all([page.waitForNavigation(), page.locator('#access-email').press('Enter')]);
    assert.equal(posted.status(), 200);
    assert.equal((await sentHeading(page)).trim(), WORDS.nb.sent);

    // The background round delivers the outbox every ~5 s.
    const [raw] = await untilMail(maildir, 1, 20_000)
      .catch((error) => { throw new Error(`${error.message}\nkapsel:\n${mailServer.stderr()}\naiosmtpd:\n${smtpOutput}`); });
    const mail = parseMail(raw);
    assert.match(mail.headers.to ?? '', /kari\.nordmann@example\.no/, JSON.stringify(mail.headers));
    assert.match(mail.headers.from ?? '', /personvern@example\.no/, JSON.stringify(mail.headers));
    const links = mail.body.match(/https?:\/\/\S+/g) ?? [];
    assert.equal(links.length, 1, `one link in the mail:\n${mail.body}`);
    const link = new URL(links[0]);
    assert.equal(link.origin, origin, 'the link is built from [server] public_url');
    assert.equal(link.pathname, '/sites/www/rights/verify');
    assert.ok(link.searchParams.get('t'), `the link carries a token: ${link}`);
    assert.equal(link.searchParams.get('lang'), 'nb');
    assert.match(mail.body, / om innsyn /, `the nb mail names the right:\n${mail.body}`);

    // The link verifies the request: a 303 to the status page.
    const first = await page.goto(link.href);
    const redirected = first.request().redirectedFrom();
    assert.ok(redirected, 'the verify link redirects');
    assert.equal((await redirected.response()).status(), 303);
    assert.equal(first.status(), 200);
    const status = new URL(page.url());
    assert.equal(status.pathname, '/sites/www/rights/status');
    assert.equal(await page.getAttribute('html', 'lang'), 'nb');
    assert.equal((await page.locator('h1').textContent()).trim(), WORDS.nb.status);
    const facts = await page.locator('dl.kapsel-facts').evaluate((dl) =>
      Object.fromEntries([...dl.querySelectorAll('dt')].map((dt) => [dt.textContent.trim(), dt.nextElementSibling]).map(([k, dd]) =>
        [k, { text: dd.textContent.trim(), datetime: dd.querySelector('time')?.getAttribute('datetime') ?? null }])));
    assert.equal(facts.Rettighet?.text, WORDS.nb.access, JSON.stringify(facts));
    const due = facts[WORDS.nb.due];
    assert.match(due?.datetime ?? '', /^\d{4}-\d{2}-\d{2}$/, JSON.stringify(facts));
    assert.match(due.text, /^\d{1,2}\. [a-zæøå]+ \d{4}$/, JSON.stringify(facts));
    // Art. 12(3): one month after receipt, rolled forward past weekends and holidays — so after
    // the day received, and not more than a month and a few days later.
    const received = facts.Mottatt?.datetime;
    assert.match(received ?? '', /^\d{4}-\d{2}-\d{2}$/, JSON.stringify(facts));
    const days = (Date.parse(due.datetime) - Date.parse(received)) / 86_400_000;
    assert.ok(days >= 28 && days <= 36, `due ${due.datetime} is ${days} days after ${received}`);
    const weekday = new Date(`${due.datetime}T12:00:00Z`).getUTCDay();
    assert.ok(weekday !== 0 && weekday !== 6, `the due date ${due.datetime} is not on a weekend`);
    await assertAxeClean(page, 'status nb');
    const { scrollWidth, wide } = await overflow(page);
    assert.ok(scrollWidth <= 320, `status page: scrollWidth ${scrollWidth} > 320\n${wide.join('\n')}`);

    // The status link is reusable: the same page in nn and en is axe-clean too.
    for (const lang of ['nn', 'en']) {
      status.searchParams.set('lang', lang);
      const again = await page.goto(status.href);
      assert.equal(again.status(), 200);
      assert.equal(await page.getAttribute('html', 'lang'), lang);
      assert.equal((await page.locator('h1').textContent()).trim(), WORDS[lang].status);
      assert.ok((await page.locator('dl.kapsel-facts').textContent()).includes(WORDS[lang].access));
      await assertAxeClean(page, `status ${lang}`);
    }

    // The verification link works once.
    const second = await page.goto(link.href);
    assert.equal(second.status(), 410);
    assert.equal((await page.locator('h1').textContent()).trim(), WORDS.nb.refused);
    await assertAxeClean(page, 'refusal nb after reuse');
  } finally {
    await context?.close();
    await stop(mailServer);
    await kill(smtp);
    rmSync(scratch, { recursive: true, force: true });
  }
});

// A bad submission without the browser's own check (as with JavaScript or validation off): the
// server answers 400 with the page again, the error summary at the top of the access form.
const ERROR_WORDS = {
  nb: { summary: 'Skjemaet har en feil:', email: 'E-postadressen må være én vanlig adresse, for eksempel navn@example.no.' },
  nn: { summary: 'Skjemaet har ein feil:', email: 'E-postadressa må vere éi vanleg adresse, til dømes namn@example.no.' },
  en: { summary: 'The form has an error:', email: 'The e-mail address must be one plain address, for example name@example.no.' },
};

for (const lang of LANGS) {
  test(`a bad address past the browser's check (${lang}) → 400, the form again with an alert summary, axe-clean`, { skip }, async () => {
    const page = await newPage(browser, { viewport: { width: 1280, height: 800 } });
    try {
      await page.goto(`${server.base}/sites/www/rights?lang=${lang}`);
      await page.evaluate(() => {
        const input = document.getElementById('access-email');
        input.type = 'text';
        input.removeAttribute('required');
      });
      await page.fill('#access-email', 'not an address');
      const [response] = await Promise.all([
        page.waitForNavigation(),
        page.locator('#access-email').press('Enter'),
      ]);
      assert.equal(response.status(), 400);
      assert.equal(response.request().method(), 'POST');
      assert.equal(await page.getAttribute('html', 'lang'), lang);
      const alert = page.locator('form [role="alert"]');
      assert.equal(await alert.count(), 1);
      assert.equal(await alert.evaluate((el) => el.closest('form').querySelector('input[name="right"]').value), 'access');
      assert.equal((await alert.locator('strong').textContent()).trim(), ERROR_WORDS[lang].summary);
      const link = alert.locator('a');
      assert.equal((await link.textContent()).trim(), ERROR_WORDS[lang].email);
      assert.equal(await link.getAttribute('href'), '#access-email');
      const field = page.locator('#access-email');
      assert.equal(await field.getAttribute('aria-invalid'), 'true');
      assert.equal(await field.inputValue(), 'not an address', 'the input is kept');
      const described = (await field.getAttribute('aria-describedby')).split(' ');
      assert.equal((await page.locator(`#${described[0]}`).textContent()).trim(), ERROR_WORDS[lang].email);
      // The summary's link takes focus to the field.
      await link.click();
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'access-email');
      await assertAxeClean(page, `refused form ${lang}`);
    } finally {
      await page.context().close();
    }
  });
}
