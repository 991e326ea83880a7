import { describe, expect, it } from 'vitest';
import { FMNERG_COARSE, FMNERG_FINE, FMNERG_TREE } from '../../shared/recognize/labels';
import { resolveType } from '../../shared/recognize/type-map';

const g = (t: string | null, f?: string | null) => resolveType('gmner', t, f);
const f = (t: string | null, fine?: string | null) => resolveType('fmnerg', t, fine);
/** Each written type resolves, for the gmner label set, to the coarse type it maps to. */
const expectCoarse = (cases: Record<string, string>) => {
  for (const [written, type] of Object.entries(cases)) expect(g(written), written).toMatchObject({ type });
};

describe('label sets', () => {
  it('FMNERG has 8 coarse and 51 fine types', () => {
    expect(FMNERG_COARSE).toEqual(['person', 'organization', 'location', 'building', 'event', 'art', 'product', 'other']);
    expect(FMNERG_FINE).toHaveLength(51);
    expect(new Set(FMNERG_FINE).size).toBe(51);
    expect(FMNERG_TREE.location.fine.map((x) => x.name)).toEqual(['city', 'country', 'state', 'continent', 'location_other', 'park', 'road']);
  });
});

describe('resolveType: gmner', () => {
  it('takes the label names in any case', () => {
    expect(g('PER')).toEqual({ ok: true, type: 'PER', fine_type: null });
    expect(g('loc')).toEqual({ ok: true, type: 'LOC', fine_type: null });
    expect(g('Other')).toEqual({ ok: true, type: 'OTHER', fine_type: null });
  });

  it('maps synonyms and OntoNotes tags', () => {
    expectCoarse({ person: 'PER', Location: 'LOC', organisation: 'ORG', MISC: 'OTHER', GPE: 'LOC', work_of_art: 'OTHER' });
  });

  it('reads free-form types the way ChatGPT writes them', () => {
    expectCoarse({
      'person/politician': 'PER', 'basketball team': 'ORG', 'Cleveland Cavaliers, basketball team': 'ORG', 'news station': 'ORG',
      'landmark/building': 'LOC', 'tv show': 'OTHER', 'social media platform': 'OTHER', teams: 'ORG',
    });
  });

  it('drops handles, hashtags and non-entities with a reason', () => {
    expect(g('person/handle')).toEqual({ ok: false, reason: "type 'person/handle' marks a user handle or hashtag, not a named entity of the gmner label set" });
    expect(g('hashtag')).toMatchObject({ ok: false });
    expect(g('General entity')).toEqual({ ok: false, reason: "type 'General entity' ('general entity') is not a named-entity type of the gmner label set" });
    expect(g('date')).toMatchObject({ ok: false });
  });

  it('drops unknown types instead of guessing', () => {
    expect(g('VEHICLE')).toMatchObject({ ok: true, type: 'OTHER' }); // a vehicle is a product
    expect(g('SPACESHIP')).toEqual({ ok: false, reason: "unknown type 'SPACESHIP' for the gmner label set (PER, LOC, ORG, OTHER)" });
    expect(g(null)).toEqual({ ok: false, reason: 'unknown no type for the gmner label set (PER, LOC, ORG, OTHER)' });
    expect(g('sports division')).toMatchObject({ ok: false });
  });

  it('uses the fine type when the coarse one is missing', () => {
    expect(g(null, 'athlete')).toMatchObject({ ok: true, type: 'PER' });
    expect(g('', 'sports_facility')).toMatchObject({ ok: true, type: 'LOC' });
  });
});

describe('resolveType: fmnerg', () => {
  it('takes coarse and fine names', () => {
    expect(f('person', 'athlete')).toEqual({ ok: true, type: 'person', fine_type: 'athlete' });
    expect(f('Building', 'Sports Facility')).toEqual({ ok: true, type: 'building', fine_type: 'sports_facility' });
  });

  it('lets a valid fine type decide the coarse one', () => {
    expect(f('location', 'sports_facility')).toEqual({ ok: true, type: 'building', fine_type: 'sports_facility' });
    expect(f('LOC', 'city')).toEqual({ ok: true, type: 'location', fine_type: 'city' });
  });

  it('reads fine synonyms from either slot', () => {
    expect(f('person/politician')).toEqual({ ok: true, type: 'person', fine_type: 'politician' });
    expect(f('basketball team')).toEqual({ ok: true, type: 'organization', fine_type: 'sports_team' });
    expect(f('athlete')).toEqual({ ok: true, type: 'person', fine_type: 'athlete' });
    expect(f('organization', 'football club')).toEqual({ ok: true, type: 'organization', fine_type: 'sports_team' });
  });

  it('keeps a coarse type without a fine one rather than guessing it', () => {
    expect(f('person', 'wizard')).toEqual({ ok: true, type: 'person', fine_type: null });
    expect(f('PER')).toEqual({ ok: true, type: 'person', fine_type: null });
  });

  it('drops what it cannot place', () => {
    expect(f('SPACESHIP', null)).toMatchObject({ ok: false });
    expect(f('handle')).toMatchObject({ ok: false });
  });
});
