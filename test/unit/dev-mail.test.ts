// The development mail catcher npm start runs: what is sent to it over SMTP
// shows on its page, escaped.
import nodemailer from 'nodemailer';
import { startDevMail } from '../../scripts/lib/dev-mail';

it('keeps what it receives and lists it on its page, newest first, HTML escaped', async () => {
  const mail = await startDevMail();
  try {
    const transport = nodemailer.createTransport(mail.smtpUrl);
    await transport.sendMail({ from: 'a@example.test', to: 'b@example.test', subject: 'First', text: 'hello' });
    await transport.sendMail({ from: 'a@example.test', to: 'c@example.test', subject: 'Second <b>', text: 'line one\nline <two>' });
    const page = await (await fetch(mail.pageUrl)).text();
    expect(page).toContain('Development mail (2)');
    expect(page.indexOf('Second &lt;b&gt;')).toBeGreaterThan(-1);
    expect(page.indexOf('Second &lt;b&gt;')).toBeLessThan(page.indexOf('First'));
    expect(page).toContain('line &lt;two&gt;');
    expect(page).not.toContain('<b>');
  } finally {
    await mail.close();
  }
});
