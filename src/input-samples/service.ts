// Input samples for creators (SPEC feature 8, policy section 2: "support
// creators"): a creator reads what users type into their tool, to improve it,
// but never who typed it, when beyond the day, or what the tool answered.
//
// Only runs of users who neither restricted processing nor objected to creator
// sharing (eligibleWhere('creatorSharing'), the one rule for non-essential
// processing), and whose account is not being erased, are read, checked at every
// request: an objection hides all of that user's samples at once, past ones
// included. Only closed UTC days are shown (nothing from today), and within a day
// runs go by their random id, so neither polling nor `limit` orders runs in time.
// The inputs are decrypted and redacted here (./redaction.ts, with the
// user's own name and email) and nothing else leaves this module: no user id, no
// run id, no time, no output. Samples are read from the runs themselves, so they
// disappear with each run's 90-day deletion and with an erased account.
import type { PrismaClient } from '@prisma/client';
import { ENCRYPTED_COLUMNS } from '../crypto/columns';
import { DataKeyDestroyedError, type DataKeys } from '../crypto/data-keys';
import type { Profiles } from '../accounts/profile';
import { eligibleWhere } from '../consent/processing';
import { notFound } from '../errors';
import { redactInputs, type RedactionSubject } from './redaction';

export const MAX_SAMPLES = 100;

export interface InputSample {
  /** The UTC day of the run, "YYYY-MM-DD". */
  day: string;
  inputs: unknown;
}

const DAY_MS = 86_400_000;
/** A page holds whole samples up to this many characters of inputs (at least one): the redaction per request is bounded. */
export const MAX_PAGE_CHARS = 256_000;

export function createInputSampleService(prisma: PrismaClient, dataKeys: DataKeys, profiles: Profiles) {
  const select = { id: true, userId: true, createdAt: true, inputsCiphertext: true, user: true } as const;

  return {
    /**
     * The tool's samples from the most recent closed days (UTC), newest day first; the tool's
     * creator only, else 404. Nothing from today, so polling cannot time a run; within a day,
     * and where `limit` cuts through one, runs go by their random id, never by time.
     */
    async samples(creatorId: string, toolId: string, limit: number, now = new Date()): Promise<InputSample[]> {
      const tool = await prisma.tool.findUnique({ where: { id: toolId }, select: { creatorId: true, deletedAt: true } });
      if (!tool || tool.creatorId !== creatorId || tool.deletedAt) throw notFound('tool');

      const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
      const take = Math.min(limit, MAX_SAMPLES);
      const eligible = {
        toolId,
        inputsCiphertext: { not: null },
        expiresAt: { gt: now }, // never past its retention, even if its deletion is late
        user: { ...eligibleWhere('creatorSharing'), erasureStartedAt: null },
      };
      const within = (from: number, to: number) => ({ ...eligible, createdAt: { gte: new Date(from), lt: new Date(to) } });
      // The newest `take` runs before today say which days are shown: all runs of the newer days,
      // and of the oldest such day as many as fit, by id.
      const newest = await prisma.execution.findMany({ where: within(0, today), orderBy: { createdAt: 'desc' }, take, select: { createdAt: true } });
      if (newest.length === 0) return [];
      const lastDay = Math.floor(newest[newest.length - 1]!.createdAt.getTime() / DAY_MS) * DAY_MS;
      const newerDays = await prisma.execution.findMany({ where: within(lastDay + DAY_MS, today), select });
      const fromLastDay = await prisma.execution.findMany({ where: within(lastDay, lastDay + DAY_MS), orderBy: { id: 'asc' }, take: take - newerDays.length, select });
      const dayOf = (run: { createdAt: Date }) => run.createdAt.toISOString().slice(0, 10);
      const runs = [...newerDays, ...fromLastDay].sort((a, b) => (dayOf(a) === dayOf(b) ? a.id.localeCompare(b.id) : dayOf(b).localeCompare(dayOf(a))));

      const subjects = new Map<string, Promise<RedactionSubject>>();
      const subjectOf = (run: (typeof runs)[number]) => {
        if (!subjects.has(run.userId)) subjects.set(run.userId, profiles.open(run.user).then(({ name, email }) => ({ name, email })));
        return subjects.get(run.userId)!;
      };

      const samples: InputSample[] = [];
      let chars = 0;
      for (const run of runs) {
        let inputs: string;
        try {
          inputs = await dataKeys.open(ENCRYPTED_COLUMNS.executionInputs, run.id, run.userId, run.inputsCiphertext!);
        } catch (error) {
          if (error instanceof DataKeyDestroyedError) continue; // erased between the query and now
          throw error;
        }
        chars += inputs.length;
        if (samples.length > 0 && chars > MAX_PAGE_CHARS) break;
        samples.push({ day: dayOf(run), inputs: redactInputs(JSON.parse(inputs), await subjectOf(run)) });
      }
      return samples;
    },
  };
}

export type InputSampleService = ReturnType<typeof createInputSampleService>;
