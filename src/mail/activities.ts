import type { PrismaClient } from '@prisma/client';
import type { Config } from '../config';
import type { DataKeys } from '../crypto/data-keys';
import type { Logger } from '../logger';
import { createProfiles } from '../accounts/profile';
import { parseEmailIndexKey } from '../accounts/email-index';
import { createMailService } from './service';
import { sendSecurityAlerts } from './security-alerts';
import { createTransport } from './transport';
import type { SecurityAlertsSent } from './contract';

export function createMailActivities({ prisma, config, logger, dataKeys }: { prisma: PrismaClient; config: Config; logger: Logger; dataKeys: DataKeys }) {
  const mail = createMailService({ prisma, dataKeys, transport: createTransport(config.SMTP_URL), from: config.MAIL_FROM });
  const profiles = createProfiles(prisma, dataKeys, parseEmailIndexKey(config.EMAIL_INDEX_KEY));
  return {
    async sendSecurityAlerts(): Promise<SecurityAlertsSent> {
      const result = await sendSecurityAlerts(prisma, profiles, mail);
      if (result.queued || result.sent) logger.info(result, 'security alerts queued and sent');
      if (!config.SMTP_URL && result.queued) logger.warn('SMTP_URL is not set: security alerts wait in the outbox');
      return result;
    },
  };
}
