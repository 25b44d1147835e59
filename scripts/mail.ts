// Operator command: send a marketing campaign to every user who consents to
// marketing and neither objected nor restricted processing (src/mail/marketing.ts).
//   npm run mail -- campaign --subject "Spring news" --body-file ./spring.txt
// The body file is plain text (blank lines separate paragraphs); no HTML is taken:
// the mail's HTML part is made from the text with everything escaped. Every mail
// carries a signed one-click unsubscribe link under PUBLIC_BASE_URL. The command
// records the campaign, starts its workflow (marketing-campaign-<id>, visible in the
// Temporal UI) and returns; the worker queues and sends.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config';
import { Keyring } from '../src/crypto/keyring';
import { createTemporalClient } from '../src/client';
import { createCampaign } from '../src/mail/marketing';
import { marketingCampaignWorkflowId } from '../src/mail/contract';
import { sendMarketingCampaignWorkflow } from '../src/mail/workflows';
import { runCommand, UsageError } from './lib/cli';

const USAGE = 'usage: npm run mail -- campaign --subject "<one line>" --body-file <plain-text file>';

runCommand(module, async (prisma, argv) => {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { subject: { type: 'string' }, 'body-file': { type: 'string' } } });
  if (positionals[0] !== 'campaign' || positionals.length !== 1 || !values.subject || !values['body-file']) throw new UsageError(USAGE);
  const body = readFileSync(values['body-file'], 'utf8');
  const config = loadConfig();
  const campaign = await createCampaign(prisma, { subject: values.subject, body });
  const temporal = createTemporalClient(config, Keyring.parse(config.DATA_ENCRYPTION_KEYS));
  try {
    const workflowId = marketingCampaignWorkflowId(campaign.id);
    await temporal.workflow.start(sendMarketingCampaignWorkflow, { workflowId, taskQueue: config.TEMPORAL_TASK_QUEUE, args: [campaign.id] });
    return `campaign ${campaign.id} started (workflow ${workflowId}): mail goes to users who consent, have not objected and have not restricted processing`;
  } finally {
    await temporal.connection.close();
  }
});
