import { useState } from 'preact/hooks';
import { type Column, DataTable, instantColumn } from '../components/data-table';
import { lastDays, type Range, RangePicker } from '../components/range-picker';
import { QueryResult, StatusBadge } from '../components/status';
import { graphql } from '../gql';
import type { DeadLettersQuery, UnpricedUsageQuery } from '../gql/graphql';
import type { PageProps } from '../lib/page';
import { can } from '../lib/permissions';
import { useQuery } from '../lib/use-query';

const UnpricedUsage = graphql(`
  query UnpricedUsage($from: DateTime!, $to: DateTime!) {
    unpricedUsage(from: $from, to: $to) {
      provider
      model
      events
      firstSeen
      lastSeen
      unpricedKeys
    }
  }
`);

const DeadLetters = graphql(`
  query DeadLetters($first: Int) {
    deadLetters(first: $first) {
      edges {
        node {
          id
          createdAt
          origin
          source
          eventId
          reason
          payload
          replayedAt
          replayResult
        }
      }
    }
  }
`);

const Replay = graphql(`
  mutation ReplayDeadLetter($id: ID!) {
    replayDeadLetter(id: $id) {
      status
      reason
    }
  }
`);

type Unpriced = UnpricedUsageQuery['unpricedUsage'][number];
type DeadLetter = DeadLettersQuery['deadLetters']['edges'][number]['node'];

/** Models seen without a price, and events that could not be ingested (replay: admins). */
export function UnpricedPage({ me, run }: PageProps) {
  const [range, setRange] = useState<Range>(() => lastDays(30));
  const unpriced = useQuery(run, UnpricedUsage, range);
  const letters = useQuery(run, DeadLetters, { first: 100 });
  const [replayed, setReplayed] = useState<{ error: boolean; text: string } | null>(null);
  const mayReplay = can(me, 'deadLetters.replay');
  const replay = async (row: DeadLetter) => {
    try {
      const answer = await run(Replay, { id: row.id });
      setReplayed({
        error: answer.replayDeadLetter.status === 'rejected',
        text: `Replay of ${row.eventId ?? row.id}: ${answer.replayDeadLetter.status}${answer.replayDeadLetter.reason ? ` (${answer.replayDeadLetter.reason})` : ''}`,
      });
      letters.reload();
    } catch (failure) {
      setReplayed({
        error: true,
        text: failure instanceof Error ? failure.message : String(failure),
      });
    }
  };
  const unpricedColumns: Column<Unpriced>[] = [
    { id: 'provider', header: 'Provider', value: (row) => row.provider },
    { id: 'model', header: 'Model', value: (row) => row.model },
    { id: 'events', header: 'Events', kind: 'decimal', value: (row) => String(row.events) },
    { id: 'keys', header: 'Usage without a price', value: (row) => row.unpricedKeys.join(', ') },
    instantColumn('firstSeen', 'First seen', (row) => row.firstSeen),
    instantColumn('lastSeen', 'Last seen', (row) => row.lastSeen),
  ];
  const letterColumns: Column<DeadLetter>[] = [
    instantColumn('createdAt', 'When', (row) => row.createdAt),
    { id: 'reason', header: 'Reason', value: (row) => row.reason },
    { id: 'origin', header: 'Origin', value: (row) => row.origin },
    { id: 'eventId', header: 'Event', value: (row) => row.eventId ?? '—' },
    {
      id: 'payload',
      header: 'Payload',
      sortable: false,
      value: (row) => row.payload,
      render: (row) => <pre>{row.payload.slice(0, 300)}</pre>,
    },
    {
      id: 'replay',
      header: 'Replayed',
      value: (row) => row.replayResult ?? '',
      render: (row) =>
        row.replayedAt ? (
          <StatusBadge
            tone={row.replayResult === 'rejected' ? 'bad' : 'good'}
            icon={row.replayResult === 'rejected' ? '✖' : '✓'}
          >
            {row.replayResult ?? 'replayed'}
          </StatusBadge>
        ) : mayReplay ? (
          <button type="button" data-testid="replay" onClick={() => replay(row)}>
            Replay<span class="visually-hidden"> {row.eventId ?? row.id}</span>
          </button>
        ) : (
          'not yet'
        ),
    },
  ];
  return (
    <>
      <section aria-labelledby="unpriced-heading">
        <h2 id="unpriced-heading">Models without a price</h2>
        <div class="controls">
          <RangePicker value={range} onChange={setRange} />
        </div>
        <QueryResult query={unpriced} what="unpriced models">
          {(data) => (
            <DataTable
              caption="Models seen without a price"
              columns={unpricedColumns}
              rows={data.unpricedUsage}
              rowKey={(row) => `${row.provider}/${row.model}`}
              testId="unpriced-table"
              empty="Every model in the period had a price."
            />
          )}
        </QueryResult>
      </section>
      <section aria-labelledby="dead-letters-heading">
        <h2 id="dead-letters-heading">Dead letters</h2>
        {replayed && (
          <p role={replayed.error ? 'alert' : 'status'} class={replayed.error ? 'error' : 'note'}>
            {replayed.text}
          </p>
        )}
        <QueryResult query={letters} what="dead letters">
          {(data) => (
            <DataTable
              caption="Events that could not be ingested, newest first"
              columns={letterColumns}
              rows={data.deadLetters.edges.map((edge) => edge.node)}
              rowKey={(row) => row.id}
              testId="dead-letters-table"
              empty="No dead letters."
            />
          )}
        </QueryResult>
      </section>
    </>
  );
}
