// What clients see of the ledger: entries by their effect on the balance.
import type { CreditAdjustment, LedgerEntry } from '@prisma/client';

export function ledgerEntryView(e: LedgerEntry) {
  return {
    id: e.id,
    type: e.type,
    amount: e.availableDelta,
    reservedAmount: e.reservedDelta,
    ...(e.shortfall ? { shortfall: e.shortfall } : {}),
    toolId: e.toolId,
    executionId: e.executionId,
    createdAt: e.createdAt,
  };
}

export function adjustmentView(adjustment: CreditAdjustment, balance: { available: number; reserved: number }) {
  return {
    id: adjustment.id,
    userId: adjustment.accountId,
    credits: adjustment.credits,
    reason: adjustment.reason,
    operator: adjustment.operator,
    createdAt: adjustment.createdAt,
    balance: { available: balance.available, reserved: balance.reserved },
  };
}
