// Input samples for creators (SPEC feature 8, policy section 2: "support
// creators"): a creator reads what users type into their tool, to improve it,
// but never who typed it, when beyond the day, or what the tool answered.
//
// Only runs of users who neither restricted processing nor objected to creator
// sharing (eligibleWhere('creatorSharing'), the one rule for non-essential
// processing), and whose account is not being erased, are read, checked at every
// request: an objection hides all of that user's samples at once, past ones
// included. The inputs are decrypted and redacted here (./redaction.ts, with the
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

export function createInputSampleService(prisma: PrismaClient, dataKeys: DataKeys, profiles: Profiles) {
  return {
    /** The tool's most recent samples, newest day first (in no order within a day); the tool's creator only, else 404. */
    async samples(creatorId: string, toolId: string, limit: number): Promise<InputSample[]> {
      const tool = await prisma.tool.findUnique({ where: { id: toolId }, select: { creatorId: true, deletedAt: true } });
      if (!tool || tool.creatorId !== creatorId || tool.deletedAt) throw notFound('tool');

      const runs = await prisma.execution.findMany({
        where: { toolId, inputsCiphertext: { not: null }, user: { ...eligibleWhere('creatorSharing'), erasureStartedAt: null } },
        orderBy: { createdAt: 'desc' },
        take: Math.min(limit, MAX_SAMPLES),
        select: { id: true, userId: true, createdAt: true, inputsCiphertext: true, user: true },
      });

      const subjects = new Map<string, Promise<RedactionSubject>>();
      const subjectOf = (run: (typeof runs)[number]) => {
        if (!subjects.has(run.userId)) subjects.set(run.userId, profiles.open(run.user).then(({ name, email }) => ({ name, email })));
        return subjects.get(run.userId)!;
      };

      const samples: (InputSample & { order: string })[] = [];
      for (const run of runs) {
        let inputs: string;
        try {
          inputs = await dataKeys.open(ENCRYPTED_COLUMNS.executionInputs, run.id, run.userId, run.inputsCiphertext!);
        } catch (error) {
          if (error instanceof DataKeyDestroyedError) continue; // erased between the query and now
          throw error;
        }
        // Ordered by the run's random id within a day, so the order says nothing of the time.
        samples.push({ day: run.createdAt.toISOString().slice(0, 10), inputs: redactInputs(JSON.parse(inputs), await subjectOf(run)), order: run.id });
      }
      return samples
        .sort((a, b) => (a.day === b.day ? a.order.localeCompare(b.order) : b.day.localeCompare(a.day)))
        .map(({ day, inputs }) => ({ day, inputs }));
    },
  };
}

export type InputSampleService = ReturnType<typeof createInputSampleService>;
