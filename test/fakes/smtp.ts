// A local SMTP server for tests (the same catcher `npm start` runs): the real
// nodemailer client talks SMTP to it over TCP, and it keeps every message it
// accepted, i.e. answered 250 to. `holdAnswers()` makes it keep the answer to
// the end of DATA until `releaseAnswers()`: a client that hangs up meanwhile
// (a killed worker) has had nothing accepted, as with a real server.
import { startSmtpCatcher } from '../../scripts/lib/dev-mail';

export interface CapturedMail {
  to: string[];
  raw: string;
  header(name: string): string | undefined;
}

export interface FakeSmtp {
  url: string;
  messages: CapturedMail[];
  /** Messages whose DATA arrived and whose answer is being held now. */
  readonly held: number;
  /** Of those, the ones whose client has hung up (they will not be accepted). */
  readonly heldClientsGone: number;
  /** From now on, hold the answer to each message's DATA. */
  holdAnswers(): void;
  /** Refuse (451, try again later) every message to an address `refuse` names, until called with undefined. */
  refuseWhile(refuse: ((address: string) => boolean) | undefined): void;
  /** Messages refused so far. */
  readonly refused: number;
  /** Answer every held message (those whose client is still there are accepted) and stop holding. */
  releaseAnswers(): void;
  close(): Promise<void>;
}

export async function startFakeSmtp(): Promise<FakeSmtp> {
  const messages: CapturedMail[] = [];
  let gate: { promise: Promise<void>; open: () => void } | undefined;
  let refuse: ((address: string) => boolean) | undefined;
  let refused = 0;
  const held = new Set<() => boolean>();
  const { server, url } = await startSmtpCatcher(
    0,
    ({ to, raw }) => {
      const unfolded = (raw.split(/\r?\n\r?\n/)[0] ?? '').replace(/\r?\n[ \t]+/g, ' ');
      messages.push({
        to,
        raw,
        header: (name) => unfolded.split(/\r?\n/).find((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}:`))?.slice(name.length + 1).trim(),
      });
    },
    {
      beforeAccept: async ({ to, clientGone }) => {
        if (refuse && to.some((address) => refuse?.(address))) {
          refused += 1;
          throw Object.assign(new Error('mailbox busy, try again later'), { responseCode: 451 });
        }
        if (!gate) return;
        held.add(clientGone);
        try {
          await gate.promise;
        } finally {
          held.delete(clientGone);
        }
      },
    },
  );
  return {
    url,
    messages,
    get held() {
      return held.size;
    },
    get refused() {
      return refused;
    },
    refuseWhile(predicate) {
      refuse = predicate;
    },
    get heldClientsGone() {
      return [...held].filter((gone) => gone()).length;
    },
    holdAnswers() {
      let open!: () => void;
      const promise = new Promise<void>((resolve) => (open = resolve));
      gate = { promise, open };
    },
    releaseAnswers() {
      const current = gate;
      gate = undefined;
      current?.open();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
