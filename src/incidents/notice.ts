// What users and the authority are told, from the incident's record: the
// responder's own words where given, plain defaults where not (documented in
// docs/INCIDENT_RUNBOOK.md), never anything about other users.
import type { Incident } from '@prisma/client';

const CONSEQUENCES: Record<string, string> = {
  confidentiality: 'Someone who should not have may have seen the data: it could be used for phishing or, for keys and passwords, to use your account or your model provider account.',
  integrity: 'The data may have been changed: results or records shown to you may have been wrong for a time.',
  availability: 'The data was unavailable or lost for a time.',
};

export const DEFAULT_MEASURES = 'We stopped the incident, secured the affected systems, are investigating the cause, and are reporting it to the supervisory authority.';
export const DEFAULT_USER_ACTIONS =
  'Be wary of messages that mention your Sotally account and ask you to click a link or give a password or code; change your Sotally password; if a model API key of yours was involved, revoke it at your provider and add a new one.';

export const likelyConsequences = (incident: Pick<Incident, 'breachType' | 'likelyConsequences'>) => incident.likelyConsequences || CONSEQUENCES[incident.breachType] || '';

/** The template data of a breach notice (strings, as the outbox's templates take them). */
export function noticeTexts(incident: Incident, contact: string): Record<string, string> {
  return {
    incidentId: incident.id,
    title: incident.title,
    description: incident.description,
    discoveredAt: incident.discoveredAt.toISOString(),
    dataCategories: incident.dataCategories.join(', '),
    measuresTaken: incident.measuresTaken,
    likelyConsequences: likelyConsequences(incident),
    userActions: incident.userActions,
    contact,
  };
}
