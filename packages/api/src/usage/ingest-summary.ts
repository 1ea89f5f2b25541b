import type { IngestOutcome } from './ingest-types';

export interface IngestSummary {
  accepted: number;
  duplicates: number;
  rejected: number;
  results: IngestOutcome[];
}

export function summarize(outcomes: IngestOutcome[]): IngestSummary {
  return {
    accepted: outcomes.filter((outcome) => outcome.status === 'accepted').length,
    duplicates: outcomes.filter((outcome) => outcome.status === 'duplicate').length,
    rejected: outcomes.filter((outcome) => outcome.status === 'rejected').length,
    results: outcomes,
  };
}
