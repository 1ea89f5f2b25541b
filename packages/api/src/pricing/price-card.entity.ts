import type { PriceCard } from '@purser/pricing';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One stored version of a price card; immutable but for the supersession markers. */
@Entity({ name: 'price_cards' })
export class PriceCardEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'base_id' }) baseId: string;
  @Column('integer') version: number;
  @Column('text') provider: string;
  @Column('text') model: string;
  @Column('timestamptz', { name: 'effective_from' }) effectiveFrom: Date;
  @Column('timestamptz', { name: 'effective_to', nullable: true }) effectiveTo: Date | null;
  /** The whole card, prices as exact decimal strings. */
  @Column('jsonb') card: PriceCard;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('text', { name: 'created_by', nullable: true }) createdBy: string | null;
  @Column('timestamptz', { name: 'superseded_at', nullable: true }) supersededAt: Date | null;
  @Column('text', { name: 'superseded_by', nullable: true }) supersededBy: string | null;
}
